"""Best-of-n: draw n samples from the base, keep the one with the highest proxy U = X + V.

KL (Stiennon et al. 2020; Gao, Schulman & Hilton, arXiv 2210.10760, §2):
    KL_bon(n) = log n - (n - 1)/n for a continuous U, an upper bound for discrete U, where
    the exact value is Σ_j q_j log(q_j / p_j) with q_j = F_j^n - F_{j-1}^n.

Utility and proxy, exact (Kwa et al., arXiv 2407.14503, §B best-of-N experiment): with the
level s = -log F̄_U(u) as the variable, u(s) its inverse and c(u) = E[V | U >= u], the best of
n has s distributed as n e^{-s} (1 - e^{-s})^{n-1} and, given the second best u, is a draw of
U | U >= u, so

    E_bon[U] = ∫ u(s) n e^{-s} (1 - e^{-s})^{n-1} ds,
    E_bon[V] = ∫ c(u(s)) n (n - 1) e^{-2s} (1 - e^{-s})^{n-2} ds.

In y = s - log n both weights tend to fixed shapes (e^{-y} exp(-e^{-y}) and e^{-2y} exp(-e^{-y}))
as n grows, so the work does not grow with n: n up to 1e300 costs what n = 1e3 does. The
integrals are adaptive Gauss–Legendre over u, on pieces placed at the levels of the window
where the weights live (s from log n - 7 to log n + 40), with ds = h_U(u) du (the sum's hazard
rate); F̄_U, c and h_U come from the log-space integrals of ``_convolution``, and the proxy's
part beyond the window is n F̄_U(u) E[U | U >= u] in closed form (the weights' own tails are
below e^-40).
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from catgoodhart._convolution import _W10, _W20, _X10, _X20
from catgoodhart._results import Result
from catgoodhart.conditioning import _model, positive_part_infinite

WINDOW_BELOW = 7.0  # nats of s below log n: the weights there are below exp(-e^7) = e^-1096
WINDOW_ABOVE = 40.0  # nats above: beyond, the utility weight is below e^-80, the proxy's is closed form
S_MIN = 1e-9  # for small n, s below this (F_U < 1e-9) carries less than 1e-18 of either weight
_RTOL = 1e-12
_MAX_ROUNDS = 30
_U_MAX = 1e300  # the largest level used: sums and differences of levels stay doubles


def _counts(n):
    """``n`` as a float array of integers >= 1; Python integers beyond int64 are accepted."""
    arr = np.asarray(n)
    if arr.dtype == object and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                   for v in arr.reshape(-1)):
        try:
            arr = arr.astype(float)
        except OverflowError as e:
            raise ValueError(f"`n` must be integers in [1, 1.8e308], got {n!r}") from e
    if arr.size == 0:
        raise ValueError("`n` must not be empty")
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    values = arr.astype(float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"`n` must be finite integers >= 1, got {n!r}")
    if np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    return values


def bon_kl(n):
    """KL(best-of-n ‖ base) = log n - (n - 1)/n for a continuous proxy (float or array)."""
    n = _counts(n)
    out = np.log(n) - 1.0 + 1.0 / n
    return float(out) if out.ndim == 0 else out


def bon_kl_exact(values, probs, n):
    """Exact KL(best-of-n ‖ base) for a discrete base: values with probabilities ``probs``.

    Ties are merged (best-of-n picks among equal values as the base would), and
    q_j = F_j^n - F_{j-1}^n = F_j^n (1 - (1 - p_j/F_j)^n) is evaluated in log space.
    """
    values = np.asarray(values, dtype=float)
    probs = np.asarray(probs, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("`values` must be a non-empty 1-D array")
    if not np.all(np.isfinite(values)):
        raise ValueError("`values` must be finite")
    if probs.shape != values.shape:
        raise ValueError("`probs` must have the shape of `values`")
    if np.any(~np.isfinite(probs)) or np.any(probs < 0) or probs.sum() <= 0:
        raise ValueError("`probs` must be finite, >= 0 and not all 0")
    n_arr = _counts(n)
    keep = probs > 0
    uniq, inverse = np.unique(values[keep], return_inverse=True)
    p = np.bincount(inverse, probs[keep] / probs[keep].sum(), minlength=uniq.size)
    cdf = np.minimum(np.cumsum(p), 1.0)
    nn = n_arr.reshape(-1, 1)
    with np.errstate(all="ignore"):
        log_cdf = np.log(cdf)
        log_step = np.log1p(-p / cdf)  # log(F_{j-1} / F_j); -inf at j = 0
        log_q = nn * log_cdf + np.log(-np.expm1(nn * log_step))
        q = np.exp(log_q)
        kl = np.where(q > 0, q * (log_q - np.log(p)), 0.0).sum(axis=1)
    kl = np.maximum(kl, 0.0).reshape(n_arr.shape)
    return float(kl) if kl.ndim == 0 else kl


@dataclass(frozen=True, repr=False)
class BonResult(Result):
    """Best-of-n under U = X + V: E[V], E[U] and KL of the chosen sample, for each n."""

    X: str
    V: str
    n: np.ndarray
    mean_utility: np.ndarray  # E_bon[V]
    mean_proxy: np.ndarray  # E_bon[U]; inf where E[U⁺] = ∞
    kl: np.ndarray  # log n - (n - 1)/n
    note: str


def _as_reported(n):
    """int64 where every n fits, floats otherwise (n up to 1e300)."""
    return n.astype(np.int64) if np.all(n < 2.0**63) else n


def bon_utility(X, V, n, *, breakpoints=()):
    """Exact E[V], E[U] and KL of the best-of-n sample under the proxy U = X + V.

    ``X`` is a distribution independent of V or, as in ``conditioning.conditional_utility``,
    a function v -> law of X given V = v with ``breakpoints``. ``n`` is an integer or an
    array of integers from 1 to 1e300 (Python integers beyond int64 included); the work does
    not grow with n. Where a level u(s) the integrals need lies beyond the largest double
    (n beyond about e^-40/F̄_U(1e300)), the values are nan and ``note`` says so.
    """
    model = _model(X, V, breakpoints)
    n_arr = _counts(n)
    flat = n_arr.reshape(-1)
    notes = []
    if math.isnan(V.mean) or positive_part_infinite(V):
        raise ValueError(f"`V` must have a finite mean for E_bon[V] to exist; {V!r} has mean {V.mean}")
    utility, proxy = np.full(flat.size, float(V.mean)), np.empty(flat.size)
    proxy[:] = (model.X.mean + V.mean) if model.X is not None else math.nan
    many = flat > 1
    if np.any(many):
        utility[many], proxy[many], reason = _order_statistic_means(model, flat[many])
        if reason:
            notes.append(reason)
    if model.X is None and np.any(~many):  # n = 1 with a dependent X: E[U] by the same integral
        proxy[~many] = _order_statistic_means(model, flat[~many])[1]
    if np.any(np.isposinf(proxy)):
        notes.append("E[U] = ∞ (the error's upper tail has no mean), so E_bon[U] = ∞ for every n")
    shape = n_arr.shape
    return BonResult(_name(X), repr(V), _as_reported(n_arr) if shape else _as_reported(n_arr).item(),
                     utility.reshape(shape) if shape else float(utility[0]),
                     proxy.reshape(shape) if shape else float(proxy[0]),
                     bon_kl(n_arr), "; ".join(notes) or "all values exact")


def _name(X):
    return repr(X) if not callable(X) or hasattr(X, "logpdf") else f"X | V = v given by {X!r}"


def _weights(s, n):
    """log of the densities of s for the best and the second best of n (n >= 1; rows n)."""
    nn = n[:, None]
    with np.errstate(all="ignore"):
        # log F_U = log(1 - e^{-s}), kept where e^{-s} is far below the rounding of 1 - e^{-s}
        log_f = np.where(s > math.log(2.0), np.log1p(-np.exp(-s)), np.log(-np.expm1(-s)))
        log_n = np.log(nn)
        first = log_n - s + np.where(nn == 1, 0.0, (nn - 1) * log_f)
        second = np.where(nn >= 2, log_n + np.log(np.maximum(nn - 1, 1)) - 2 * s
                          + np.where(nn == 2, 0.0, (nn - 2) * log_f), -np.inf)
    return np.exp(first), np.exp(second)


def _levels_at(u_table, s_table, s):
    """Levels u with s(u) ≈ s, interpolated in the table (geometrically between positive
    levels, where a power tail is linear in log u): edges for the quadrature, not values."""
    k = np.clip(np.searchsorted(s_table, s), 1, s_table.size - 1)
    lo, hi = u_table[k - 1], u_table[k]
    s_lo, s_hi = s_table[k - 1], s_table[k]
    with np.errstate(all="ignore"):
        frac = np.clip(np.where(s_hi > s_lo, (s - s_lo) / (s_hi - s_lo), 0.0), 0.0, 1.0)
        u = np.where(lo > 0, lo * (hi / lo) ** frac, lo + (hi - lo) * frac)
    return np.where(np.isfinite(u), u, lo)


def _order_statistic_means(model, n):
    """(E_bon[V], E_bon[U], note) for every n >= 1 by adaptive Gauss–Legendre over u, on pieces
    placed at levels s = -log F̄_U(u) that follow each n's window, with the s-densities times
    ds/du = h_U(u) as weights: every node costs one evaluation of F̄_U, c and h_U."""
    log_n = np.log(n)
    s_top = float(log_n.max()) + WINDOW_ABOVE
    u_table, s_table = _level_table(model, s_top)
    s_limit = float(s_table[-1]) if s_table[-1] < s_top else math.inf  # the table stopped at _U_MAX
    note = ""
    if s_top > s_limit:
        note = (f"for n > {math.exp(s_limit - WINDOW_ABOVE):.3g} the levels u the integrals need "
                f"exceed {_U_MAX:g}; those values are nan")
    # initial pieces: each n's window in steps of 4 nats of s (14 beyond log n + 12), geometric below 1
    targets = [S_MIN * 10.0 ** np.arange(0, 10)]
    for ln in np.unique(log_n):
        lo = max(ln - WINDOW_BELOW, 1.0)
        targets += [np.arange(lo, ln + 12.0, 4.0), np.arange(ln + 12.0, ln + WINDOW_ABOVE + 1e-9, 14.0)]
    targets = np.unique(np.concatenate([*targets, [1.0]]))
    targets = targets[targets <= min(s_top, s_limit)]
    edges = np.unique(np.concatenate([[u_table[0], u_table[-1]], _levels_at(u_table, s_table, targets)]))
    # the variable is z = asinh(u/c): du = c cosh z dz ~ |u| dz far out, which keeps h_U du/dz
    # of order 1 where h_U ~ 1/u underflows against a tiny c(u) (E[V | U >= u] - E[V] ~ 1/u)
    c = float(np.median(np.abs(u_table))) or 1.0
    edges = np.unique(np.arcsinh(edges / c))
    a, b = edges[:-1], edges[1:]
    ok_n = log_n + WINDOW_ABOVE <= s_limit
    # E[U | U >= u] at the last level: the proxy's closed-form tail, and inf where E[U⁺] = ∞
    log_sf_end, end = model.tail_terms(u_table[-1:], moments=("v", "x"))
    tail_mean = float(end["v"][0] + end["x"][0])
    k = n.size
    total = np.zeros((2, k))
    scale = np.zeros((2, k))
    nodes = np.concatenate([_X20, _X10])
    for _ in range(_MAX_ROUNDS):
        if a.size == 0:
            break
        half = 0.5 * (b - a)
        z = (0.5 * (a + b))[:, None] + half[:, None] * nodes
        u = c * np.sinh(z)
        log_sf, means = model.tail_terms(u.reshape(-1), moments=("v", "hazard"))
        s = -log_sf
        w1, w2 = _weights(s, n)
        h = means["hazard"] * (c * np.cosh(z.reshape(-1)))  # ds/dz
        with np.errstate(invalid="ignore", over="ignore"):
            f = np.stack([np.where(w2 > 0, w2 * h * means["v"], 0.0),
                          np.where(w1 > 0, w1 * h * u.reshape(-1), 0.0)])
        f = f.reshape(2, k, *u.shape)
        est20 = (f[..., :20] @ _W20) * half
        est10 = (f[..., 20:] @ _W10) * half
        mags = scale + (np.abs(f[..., :20]) @ _W20 * half).sum(axis=2)
        bad = np.abs(est20 - est10) > _RTOL * mags[..., None] + 1e-300
        bad &= ok_n[None, :, None]
        if not math.isfinite(tail_mean):  # E_bon[U] = ∞: only the utility's integral is refined
            bad[1] = False
        keep = ~np.any(bad, axis=(0, 1)) | (half <= 4e-16 * np.maximum(np.abs(a), np.abs(b)) + 1e-300)
        total += np.where(np.isnan(est20[..., keep]), 0.0, est20[..., keep]).sum(axis=2)
        scale += (np.abs(f[..., :20][..., keep, :]) @ _W20 * half[keep]).sum(axis=2)
        mid = 0.5 * (a + b)
        a, b = np.concatenate([a[~keep], mid[~keep]]), np.concatenate([mid[~keep], b[~keep]])
    else:
        if a.size:
            raise ArithmeticError(f"best-of-n quadrature over u did not converge on {a.size} pieces")
    utility, proxy = total
    # below the first level (s < S_MIN): the second best's weight there is P(s₂ <= S_MIN) =
    # F^n + n F^{n-1} F̄ at that level (2 S_MIN for n = 2), under which c = E[V | U >= u] =
    # E[V] + O(S_MIN); the best's weight is below S_MIN^n
    f_min = -math.expm1(-s_table[0])
    with np.errstate(under="ignore", divide="ignore"):
        log_f = math.log(f_min) if f_min > 0 else -math.inf  # the first level at U's lower end
        below = np.exp(n * log_f) + n * np.exp((n - 1) * log_f) * math.exp(-s_table[0])
    utility = utility + float(model.V.mean) * below
    # the proxy beyond the last level: n ∫ u e^{-s} ds = n F̄_U(u) E[U | U >= u] there
    if not math.isfinite(tail_mean):
        proxy = np.full(k, math.inf)
    elif s_top <= s_limit:
        proxy = proxy + np.exp(log_n + log_sf_end[0]) * tail_mean
    return np.where(ok_n, utility, np.nan), np.where(ok_n, proxy, np.nan), note


def _level_table(model, s_max):
    """Levels u from where s = -log F̄_U(u) <= S_MIN up to where s >= s_max, with their s
    (monotone), stepping by factors of √2 away from the centre of U."""
    laws = [r.law for r in model.regions if r.law is not None and r.constant]
    x_center = float(laws[0].ppf(0.5)) if laws else 0.0
    x_scale = float(laws[0].isf(0.25) - laws[0].ppf(0.25)) if laws else 0.0
    center = model.v_center + x_center
    scale = model.v_scale + x_scale
    steps = scale * 2.0 ** (np.arange(-8, 2040) / 2.0)
    steps = steps[(np.abs(center + steps) <= _U_MAX) & (np.abs(center - steps) <= _U_MAX)]
    us, ss = [np.array([center])], [-model.tail_terms(np.array([center]), moments=())[0]]
    for sign in (1.0, -1.0):
        for start in range(0, steps.size, 16):
            u = center + sign * steps[start:start + 16]
            s = -model.tail_terms(u, moments=())[0]
            us.append(u)
            ss.append(s)
            if sign > 0 and np.any(s >= s_max):
                break
            if sign < 0 and np.any(s <= S_MIN):
                break
    u = np.concatenate(us)
    s = np.concatenate(ss)
    order = np.argsort(u)
    u, s = u[order], s[order]
    s = np.maximum.accumulate(s)  # rounding must not make the table non-monotone
    right = np.flatnonzero(s >= s_max)
    left = np.flatnonzero(s <= S_MIN)
    hi = right[0] if right.size else u.size - 1
    lo = left[-1] if left.size else 0
    return u[lo:hi + 1], s[lo:hi + 1]


def paper_utilities():
    """The synthetic best-of-N experiment's utilities (Kwa et al., arXiv 2407.14503, §B):
    V with standard deviation 2."""
    from catgoodhart import distributions as D

    return {"2·Normal(0,1)": D.Normal(sigma=2.0),
            "2·standardized t(10)": D.StudentT(nu=10.0, scale=2.0 * math.sqrt(8.0 / 10.0))}


def paper_errors():
    """The experiment's errors X, standard deviation 1 except Lévy (infinite variance)."""
    from catgoodhart import distributions as D

    return {"Normal(0,1)": D.Normal(),
            "LogNormal(0, log 2) − 1": D.LogNormal(mu=0.0, sigma=math.log(2.0), loc=-1.0),
            "standardized t(3)": D.StudentT(nu=3.0, scale=math.sqrt(1.0 / 3.0)),
            "standardized t(5)": D.StudentT(nu=5.0, scale=math.sqrt(3.0 / 5.0)),
            "Lévy": D.Levy()}


@dataclass(frozen=True, repr=False)
class BonGrid(Result):
    """Best-of-n on the paper's grid: arrays indexed [utility, error, n]."""

    utilities: list
    errors: list
    n: np.ndarray
    mean_utility: np.ndarray  # exact E_bon[V]
    mean_proxy: np.ndarray  # exact E_bon[U]; inf where it does not exist
    kl: np.ndarray  # log n - (n - 1)/n
    mc_trials: int
    mc_mean_utility: np.ndarray  # Monte Carlo estimate of E_bon[V]
    mc_standard_error: np.ndarray
    notes: list


def best_of_n_monte_carlo(X, V, n, *, trials, seed=None):
    """(mean, standard error) of V of the best of n draws by U = X + V, over ``trials``
    independent repetitions, drawn with the distributions' samplers."""
    from catgoodhart._random import seed_sequence

    n = int(_counts(n))
    ss = seed_sequence(seed)
    sx, sv = ss.spawn(2)
    x = X.sample(trials * n, seed=sx).reshape(trials, n)
    v = V.sample(trials * n, seed=sv).reshape(trials, n)
    best = v[np.arange(trials), np.argmax(x + v, axis=1)]
    return float(best.mean()), float(best.std(ddof=1) / math.sqrt(trials)) if trials > 1 else math.nan


def paper_bon_grid(n=None, *, trials=100, seed=0, progress=None):
    """The paper's synthetic best-of-N grid, exactly and by Monte Carlo.

    Utility ∈ {2·Normal, 2·standardized t(10)} × error ∈ {Normal, LogNormal(0, log 2) − 1,
    standardized t(3), standardized t(5), Lévy}, n ∈ geomspace(1, 4^8, 9) by default, with
    ``trials`` best-of-n draws per point (the paper used 100). ``progress`` is called with
    (done, total) after each cell.
    """
    from catgoodhart._random import seed_sequence

    n = np.round(np.geomspace(1, 4**8, 9)) if n is None else np.asarray(n)
    n = _counts(n).astype(np.int64)
    utilities, errors = paper_utilities(), paper_errors()
    shape = (len(utilities), len(errors), n.size)
    exact_v, exact_u = np.empty(shape), np.empty(shape)
    mc, se = np.empty(shape), np.empty(shape)
    notes = []
    seeds = iter(seed_sequence(seed).spawn(shape[0] * shape[1] * shape[2]))
    for i, (v_name, V) in enumerate(utilities.items()):
        for j, (x_name, X) in enumerate(errors.items()):
            r = bon_utility(X, V, n)
            exact_v[i, j], exact_u[i, j] = r.mean_utility, r.mean_proxy
            if r.note != "all values exact":
                notes.append(f"{v_name} × {x_name}: {r.note}")
            for k, count in enumerate(n):
                mc[i, j, k], se[i, j, k] = best_of_n_monte_carlo(X, V, count, trials=trials, seed=next(seeds))
            if progress is not None:
                progress(i * shape[1] + j + 1, shape[0] * shape[1])
    return BonGrid(list(utilities), list(errors), n, exact_v, exact_u, bon_kl(n), trials, mc, se, notes)
