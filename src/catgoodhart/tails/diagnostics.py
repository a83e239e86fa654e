"""A six-panel diagnostic figure for the right tail of a sample.

Every panel reads the centred sample (see :func:`catgoodhart.tails._sample.center`),
sorted as X_(1) >= X_(2) >= ... >= X_(n). Reading the panels, top left to bottom right:

1. **Histogram** (density, Freedman–Diaconis bins, at most 200): the bulk of the law. A
   heavy right tail shows as a long, sparse run of bins on the right.
2. **Normal Q–Q**: sample quantiles against standard normal quantiles at the plotting
   positions (i - 0.5)/n, with the line through the quartiles. Points bending up at the
   right end mean a right tail heavier than the normal's.
3. **Exponential Q–Q of excesses**: the excesses X_(i) - u over the threshold
   u = X_(k+1), k the top tenth of the sample (at least 20 values), against standard
   exponential quantiles, with the line through the origin whose slope is the mean
   excess. Straight: exponential tail; bending up: heavier than exponential (a sign of
   the papers' *heavy*); bending down: lighter.
4. **Hill plot**: γ̂_H(k) = (1/k) Σ_{i<=k} log X_(i) - log X_(k+1) against k (log
   axis) with the band γ̂ ± z γ̂/√k (z = 1.96) from
   :func:`catgoodhart.tails.evi.hill_curve`. A plateau above 0 over a range of k suggests
   a Pareto-type tail with index γ; a curve drifting down towards 0 suggests γ = 0
   (exponential, normal, lognormal). Needs X_(k+1) > 0; by default k runs over the upper
   half of the positive values, since thresholds near 0 send log X_(k+1) to -∞ and the
   estimate up without bound.
5. **Mean excess** e(u) = E[X - u | X > u] at the order statistics u = X_(k+1) in the
   upper half of the sample (k <= n/2). Rising linearly: power law (generalized Pareto
   with γ > 0, slope γ/(1 - γ)); flat: exponential; falling: lighter than exponential.
   Its right end rests on a few points and is noisy.
6. **Log–log survival**: the empirical survival function F̄(X_(i)) ≈ i/(n + 1) of the
   positive values on log–log axes. A straight line with slope -α means a power law
   F̄(x) ∝ x^{-α} (γ = 1/α); a curve bending down means a lighter tail.

Scatter panels draw at most about 20,000 points: large samples are thinned, always
keeping the most extreme values, so that a sample of a million values draws in seconds.
matplotlib is imported inside the functions, so importing this module is cheap.
"""

import math
import os
from pathlib import Path

import numpy as np

from catgoodhart._files import write_atomically
from catgoodhart.tails import _sample

#: panel titles, in order (a note in parentheses is appended when a panel is empty)
PANEL_TITLES = (
    "Histogram",
    "Normal Q-Q",
    "Exponential Q-Q of excesses",
    "Hill plot",
    "Mean excess",
    "Log-log survival",
)

# Okabe & Ito, "Color universal design" (2008): distinguishable with any colour vision
_POINTS = "#0072B2"  # blue
_REFERENCE = "#D55E00"  # vermillion
_BAND = "#56B4E9"  # sky blue
_FILL = "#009E73"  # bluish green
_BLACK = "#000000"

_MAX_POINTS = 20_000  # per scatter panel
_KEEP_EXTREME = 1_000  # values kept unthinned at each end of a thinned panel
_MAX_BINS = 200
_MIN_EXCESSES = 20


# ----- thinning and panel data --------------------------------------------------------
def _thin_ends(n, max_points=_MAX_POINTS, keep=_KEEP_EXTREME):
    """Indices 0 .. n-1: all of them if few, else every index within ``keep`` of either
    end and an even grid in between (about ``max_points`` in all)."""
    if n <= max_points:
        return np.arange(n)
    middle = np.linspace(keep, n - keep - 1, max_points - 2 * keep).round().astype(np.intp)
    return np.unique(np.concatenate([np.arange(keep), middle, np.arange(n - keep, n)]))


def _thin_log(m, max_points=_MAX_POINTS):
    """Indices 0 .. m-1 on a geometric grid of ranks 1 .. m (for a logarithmic axis): all
    the small ranks, ever sparser large ones."""
    if m <= max_points:
        return np.arange(m)
    return np.unique(np.geomspace(1, m, max_points).round().astype(np.intp)) - 1


def _bin_count(xs):
    """Freedman–Diaconis: width 2 IQR n^{-1/3}, at most ``_MAX_BINS`` bins (√n if IQR = 0)."""
    n = xs.size
    span = float(xs[0] - xs[-1])
    if span == 0.0:
        return 1
    q25, q75 = np.quantile(xs, [0.25, 0.75])
    width = 2.0 * float(q75 - q25) / n ** (1.0 / 3.0)
    bins = span / width if width > 0.0 else math.sqrt(n)
    return int(min(max(math.ceil(bins), 1), _MAX_BINS))


def mean_excess(xs):
    """The empirical mean-excess function at the order statistics.

    e(u) = Σ_{X_i > u} (X_i - u) / #{X_i > u}, at every distinct u = X_(k+1),
    k = 1 .. n - 1, with X_(k+1) < X_(1) (so that some value exceeds u). With
    S(m) = Σ_{i<=m} (X_(i) - X_(1)) and m(u) = #{X_i > u}, e(u) = S(m)/m - (u - X_(1)):
    one cumulative sum for all thresholds, exact under ties.

    Parameters
    ----------
    xs : numpy.ndarray
        The sample sorted in descending order (float64).

    Returns
    -------
    u, e : numpy.ndarray
        Thresholds in descending order and the mean excess over each.

    Examples
    --------
    >>> u, e = mean_excess(np.array([4.0, 2.0, 1.0]))
    >>> u.tolist(), e.tolist()
    ([2.0, 1.0], [2.0, 2.0])
    """
    n = xs.size
    u = xs[1:]
    above = n - np.searchsorted(xs[::-1], u, side="right")  # #{X_i > u}
    keep = above > 0
    keep[1:] &= u[1:] != u[:-1]  # one point per distinct threshold
    u, above = u[keep], above[keep]
    partial = np.cumsum(xs - xs[0])
    e = partial[above - 1] / above - (u - xs[0])
    return u, e


# ----- panels -------------------------------------------------------------------------
def _empty(ax, title, note, detail):
    ax.set_title(f"{title} ({note})")
    ax.text(0.5, 0.5, detail, transform=ax.transAxes, ha="center", va="center")
    ax.set_xticks([])
    ax.set_yticks([])


def _histogram(ax, xs, label):
    density, edges = np.histogram(xs, bins=_bin_count(xs), density=True)
    ax.stairs(density, edges, fill=True, color=_FILL, alpha=0.6, gid="histogram")
    ax.stairs(density, edges, color=_FILL)
    ax.set_title(PANEL_TITLES[0])
    ax.set_xlabel(label)
    ax.set_ylabel("density")


def _normal_qq(ax, xs, label):
    from scipy import special

    n = xs.size
    ascending = xs[::-1]
    idx = _thin_ends(n)
    z = special.ndtri((idx + 0.5) / n)
    ax.plot(z, ascending[idx], ".", color=_POINTS, ms=3, rasterized=idx.size > 2_000, gid="normal_qq")
    q25, q75 = np.quantile(xs, [0.25, 0.75])
    z25, z75 = special.ndtri([0.25, 0.75])
    slope = (q75 - q25) / (z75 - z25)
    ends = np.array([z[0], z[-1]])
    ax.plot(ends, q25 + slope * (ends - z25), color=_REFERENCE, lw=1.5, label="quartile line")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(PANEL_TITLES[1])
    ax.set_xlabel("standard normal quantile")
    ax.set_ylabel(f"sample quantile ({label})")


def _exponential_qq(ax, xs):
    n = xs.size
    k = min(n - 1, max(n // 10, _MIN_EXCESSES))
    threshold = xs[k]
    excess = xs[:k][::-1] - threshold  # ascending
    idx = _thin_ends(k)
    q = -np.log1p(-(idx + 0.5) / k)
    slope = float(np.mean(excess))
    ax.plot(q, excess[idx], ".", color=_POINTS, ms=3, rasterized=idx.size > 2_000,
            label=f"top {k:,} over u = {threshold:.3g}", gid="exponential_qq")
    ends = np.array([0.0, q[-1]])
    ax.plot(ends, slope * ends, color=_REFERENCE, lw=1.5, label=f"slope = mean excess = {slope:.3g}")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(PANEL_TITLES[2])
    ax.set_xlabel("standard exponential quantile")
    ax.set_ylabel("excess over u")


def _hill(ax, xs, k_max):
    from catgoodhart.tails import evi

    if k_max is None:
        k_max = max(1, min(xs.size - 1, int(np.count_nonzero(xs > 0.0)) // 2))
    curve = evi.hill_curve(xs, k_max=k_max)
    finite = np.flatnonzero(np.isfinite(curve.gamma))
    if finite.size == 0:
        note = "no positive values" if xs[0] <= 0.0 else "no finite estimates"
        _empty(ax, PANEL_TITLES[3], note, "Hill needs X_(k+1) > 0\nand X_(1) > X_(k+1)")
        return
    idx = finite[_thin_log(finite.size)]
    k = curve.k[idx]
    ax.fill_between(k, curve.ci_low[idx], curve.ci_high[idx], color=_BAND, alpha=0.4, lw=0,
                    label=f"{curve.level:.0%} band", gid="hill_band")
    ax.plot(k, curve.gamma[idx], color=_POINTS, lw=1.2, label=r"$\hat\gamma_H(k)$", gid="hill")
    ax.axhline(0.0, color=_BLACK, lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(PANEL_TITLES[3])
    ax.set_xlabel("k (upper order statistics used)")
    ax.set_ylabel(r"$\hat\gamma_H(k)$")


def _mean_excess(ax, xs):
    u, e = mean_excess(xs)
    upper = u >= xs[xs.size // 2]  # the lower half says nothing about the right tail
    u, e = u[upper], e[upper]
    if u.size == 0:
        _empty(ax, PANEL_TITLES[4], "no excesses", "the upper half of the sample\nis one repeated value")
        return
    idx = _thin_ends(u.size)
    ax.plot(u[idx], e[idx], ".", color=_POINTS, ms=3, rasterized=idx.size > 2_000, gid="mean_excess")
    ax.set_title(PANEL_TITLES[4])
    ax.set_xlabel("threshold u")
    ax.set_ylabel("mean excess e(u)")


def _survival(ax, xs):
    n = xs.size
    positive = int(np.count_nonzero(xs > 0.0))  # the leading values: xs is descending
    if positive == 0:
        _empty(ax, PANEL_TITLES[5], "no positive values", "log axes need x > 0")
        return
    idx = _thin_log(positive)
    ax.plot(xs[idx], (idx + 1.0) / (n + 1.0), ".", color=_POINTS, ms=3,
            rasterized=idx.size > 2_000, gid="survival")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title(PANEL_TITLES[5])
    ax.set_xlabel("x")
    ax.set_ylabel(r"empirical $\bar F(x) = i/(n+1)$")


# ----- public API ---------------------------------------------------------------------
def diagnostic_figure(samples, *, center="none", k_max=None, title=None):
    """Draw the six tail-diagnostic panels for a sample (see the module docstring).

    Panels, 2 rows × 3 columns: histogram; normal Q–Q; exponential Q–Q of the excesses
    over the top tenth; Hill plot with its 95% band; mean-excess plot; log–log
    empirical survival function. Straight lines in the last four mean, in turn: an
    exponential tail, a Pareto tail with index γ (a plateau), a power law (rising line),
    a power law (line of slope -1/γ).

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    center : {"median", "mean", "none"}
        Location subtracted before plotting. Hill and the log–log panel read only the
        positive centred values, so the centring changes them; the tail class does not
        change.
    k_max : int or None
        Largest k in the Hill plot, 1 <= k_max <= n - 1; None for half the number of
        positive centred values (at least 1, at most n - 1).
    title : str or None
        Figure title; None for one stating n and the centring.

    Returns
    -------
    matplotlib.figure.Figure
        A figure with an Agg canvas (figsize 12 × 7 inches, dpi 100), not registered
        with pyplot; save it with ``fig.savefig`` or :func:`save_diagnostic_figure`.

    Raises
    ------
    ValueError
        If ``samples`` is not one-dimensional, holds nan or inf, or has fewer than 50
        values; for an unknown ``center`` or a ``k_max`` outside [1, n - 1].

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_t(3, size=5_000)
    >>> fig = diagnostic_figure(x, k_max=1_000)
    >>> [ax.get_title() for ax in fig.axes][3]
    'Hill plot'
    """
    if center not in _sample.CENTRES:
        raise ValueError(f"`center` must be one of {', '.join(map(repr, _sample.CENTRES))}, got {center!r}")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"`title` must be a string or None, got {type(title).__name__}")
    xs = _sample.upper_order_statistics(_sample.center(samples, center))
    n = xs.size

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 7), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3).ravel()
    label = "value" if center == "none" else f"value - {center}"
    _histogram(axes[0], xs, label)
    _normal_qq(axes[1], xs, label)
    _exponential_qq(axes[2], xs)
    _hill(axes[3], xs, k_max)
    _mean_excess(axes[4], xs)
    _survival(axes[5], xs)
    if title is None:
        shift = "not centred" if center == "none" else f"centred at the {center}"
        title = f"Tail diagnostics: n = {n:,}, {shift}"
    fig.suptitle(title)
    return fig


def _format_for(path):
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix[1:].lower()
    if suffix not in formats:
        known = ", ".join(f".{s}" for s in sorted(formats))
        raise ValueError(f"`path` must end in a suffix matplotlib can write ({known}), got {str(path)!r}")
    return suffix


def save_diagnostic_figure(samples, path, *, overwrite=True, **kwargs):
    """Draw :func:`diagnostic_figure` and write it to ``path`` atomically.

    The format comes from the suffix (``.png``, ``.pdf``, ``.svg``, ...). The figure is
    written to a temporary file in the same folder and renamed over ``path`` only once
    complete, so a failure never leaves a partial file or damages an existing one.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    path : str or os.PathLike
        Where to write; its folder must exist.
    overwrite : bool
        Whether an existing file may be replaced (also one created while the figure is drawn).
    **kwargs
        ``center``, ``k_max``, ``title``: passed to :func:`diagnostic_figure`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        For a suffix matplotlib cannot write (checked before anything is drawn), or
        the input errors of :func:`diagnostic_figure`.

    Examples
    --------
    >>> import tempfile
    >>> x = np.random.default_rng(0).exponential(size=1_000)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_diagnostic_figure(x, Path(d) / "tails.png").stat().st_size > 0
    True
    """
    path = Path(os.fspath(path))
    fmt = _format_for(path)
    fig = diagnostic_figure(samples, **kwargs)
    return write_atomically(path, lambda fh: fig.savefig(fh, format=fmt), overwrite=overwrite)
