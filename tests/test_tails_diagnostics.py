"""The six-panel tail-diagnostic figure: panel data against direct computations, and
atomic saving.

Panel data are read back from the artists (found by their ``gid``) and compared with
the quantities computed independently: hill_curve, a brute-force mean excess, normal
and exponential plotting positions. Samples use fixed seeds, so a failure is real.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy import special

from catgoodhart.tails import diagnostics, evi
from catgoodhart.tails._sample import center

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures():
    """Build figures through this list; they are cleared (artists released) afterwards."""
    made = []

    def make(*args, **kwargs):
        kwargs.setdefault("center", "median")  # most panels here are checked on a median-centred sample
        fig = diagnostic_figure(*args, **kwargs)
        made.append(fig)
        return fig

    yield make
    for fig in made:
        fig.clear()


diagnostic_figure = diagnostics.diagnostic_figure


def artist(fig, gid):
    found = [a for ax in fig.axes for a in (*ax.lines, *ax.collections, *ax.patches) if a.get_gid() == gid]
    assert len(found) == 1, (gid, found)
    return found[0]


def line_data(fig, gid):
    line = artist(fig, gid)
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def brute_mean_excess(x):
    """e(u) = mean of X - u over X > u, at each distinct order statistic below the maximum."""
    out = []
    for u in np.unique(x)[:-1]:  # ascending, the maximum excluded
        above = x[x > u]
        out.append((u, float(np.mean(above - u))))
    return np.array(out[::-1]).T  # descending thresholds, as mean_excess returns them


# ----- structure ----------------------------------------------------------------------
def test_six_panels_with_titles(figures):
    x = np.random.default_rng(1).exponential(size=1_000)
    fig = figures(x)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == list(diagnostics.PANEL_TITLES)
    assert "n = 1,000" in fig.get_suptitle() and "median" in fig.get_suptitle()
    assert tuple(fig.get_size_inches()) == (12.0, 7.0) and fig.dpi == 100
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    fig.canvas.draw()  # renders without warnings (pytest turns them into errors)


def test_custom_title(figures):
    fig = figures(np.arange(100.0), title="rewards of model A", center="none")
    assert fig.get_suptitle() == "rewards of model A"


def test_import_does_not_load_matplotlib():
    code = "import sys, catgoodhart.tails.diagnostics; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----- panel data ---------------------------------------------------------------------
def test_histogram_is_a_density_with_few_bins(figures):
    x = np.random.default_rng(2).standard_cauchy(size=10_000)  # huge range: FD would want ~1e5 bins
    fig = figures(x)
    hist = artist(fig, "histogram")
    values, edges = hist.get_data().values, hist.get_data().edges
    assert values.size <= 200
    assert np.sum(values * np.diff(edges)) == pytest.approx(1.0, rel=1e-12)  # rounding only
    xs = center(x, "median")
    assert edges[0] == xs.min() and edges[-1] == xs.max()


def test_normal_qq_positions(figures):
    x = np.random.default_rng(3).normal(size=500)
    fig = figures(x, center="mean")
    z, q = line_data(fig, "normal_qq")
    i = np.arange(1, x.size + 1)
    np.testing.assert_array_equal(z, special.ndtri((i - 0.5) / x.size))
    np.testing.assert_array_equal(q, np.sort(center(x, "mean")))


@pytest.mark.parametrize("k_max", [None, 400, 1_999])
def test_hill_panel_equals_hill_curve(figures, k_max):
    x = np.random.default_rng(4).standard_t(3, size=2_000)
    fig = figures(x, k_max=k_max, center="mean")
    xs = center(x, "mean")
    expected_k_max = int(np.count_nonzero(xs > 0)) // 2 if k_max is None else k_max
    curve = evi.hill_curve(xs, k_max=expected_k_max)
    finite = np.isfinite(curve.gamma)
    assert (k_max == 1_999) == (not finite.all())  # with k up to n - 1 some thresholds are <= 0
    k, gamma = line_data(fig, "hill")
    np.testing.assert_array_equal(k, curve.k[finite])
    np.testing.assert_array_equal(gamma, curve.gamma[finite])
    band_y = artist(fig, "hill_band").get_paths()[0].vertices[:, 1]
    assert np.isin(curve.ci_low[finite], band_y).all() and np.isin(curve.ci_high[finite], band_y).all()
    assert fig.axes[3].get_xscale() == "log"


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_mean_excess_equals_brute_force(kind):
    rng = np.random.default_rng(5)
    x = rng.pareto(2.0, size=300) if kind == "continuous" else rng.integers(0, 12, size=300).astype(float)
    u, e = diagnostics.mean_excess(np.sort(x)[::-1])
    bu, be = brute_mean_excess(x)
    np.testing.assert_array_equal(u, bu)
    # cumulative sums of 300 terms of size <= max|x| against direct means: rounding only
    np.testing.assert_allclose(e, be, rtol=0, atol=1e-12 * x.size * np.max(np.abs(x)))


def test_mean_excess_panel_covers_the_upper_half(figures):
    x = np.random.default_rng(6).exponential(size=400)
    fig = figures(x)
    xs = center(x, "median")
    bu, be = brute_mean_excess(xs)
    upper = bu >= np.sort(xs)[::-1][xs.size // 2]  # u = X_(k+1) for k <= n/2
    u, e = line_data(fig, "mean_excess")
    np.testing.assert_array_equal(u, bu[upper])
    np.testing.assert_allclose(e, be[upper], rtol=0, atol=1e-12 * xs.size * np.max(np.abs(xs)))


def test_exponential_qq_is_straight_for_exponential_samples(figures):
    x = np.random.default_rng(7).exponential(size=20_000)
    fig = figures(x)
    q, excess = line_data(fig, "exponential_qq")
    k = 2_000  # the top tenth
    np.testing.assert_allclose(q, -np.log1p(-(np.arange(1, k + 1) - 0.5) / k), rtol=1e-15)
    assert np.all(np.diff(excess) >= 0)
    assert np.corrcoef(q, excess)[0, 1] > 0.99
    # reference line through the origin with slope = mean excess; for Exp(1) the excesses
    # are Exp(1), so the slope is 1 within 5 standard errors 1/sqrt(k)
    ref = fig.axes[2].lines[1]
    rx, ry = np.asarray(ref.get_xdata()), np.asarray(ref.get_ydata())
    assert rx[0] == 0.0 and ry[0] == 0.0
    slope = ry[1] / rx[1]
    assert slope == pytest.approx(np.mean(excess), rel=1e-12)
    assert abs(slope - 1.0) < 5.0 / np.sqrt(k)


def test_exponential_qq_bends_up_for_a_pareto_tail(figures):
    x = np.random.default_rng(8).uniform(size=20_000) ** (-1.0 / 1.5)  # Pareto(1.5), γ = 2/3
    fig = figures(x, center="none")
    q, excess = line_data(fig, "exponential_qq")
    slope = np.mean(excess)
    # GPD(ξ = 2/3) excesses: the largest of 2000 lies ~ (2000^ξ - 1)/ξ ≈ 240 scales above
    # the threshold, far above slope × log(4000) ≈ 25 scales on the exponential line
    assert excess[-1] > 3.0 * slope * q[-1]


def test_survival_panel(figures):
    x = np.random.default_rng(9).normal(size=300)
    fig = figures(x, center="none")
    xs = np.sort(x)[::-1]
    positive = xs[xs > 0]
    px, py = line_data(fig, "survival")
    np.testing.assert_array_equal(px, positive)
    np.testing.assert_allclose(py, np.arange(1, positive.size + 1) / (x.size + 1), rtol=1e-15)
    ax = fig.axes[5]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_no_positive_values_after_centring(figures):
    rng = np.random.default_rng(10)
    x = np.concatenate([np.zeros(60), -rng.exponential(size=40)])  # median 0, all centred <= 0
    fig = figures(x)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3] == "Hill plot (no positive values)"
    assert titles[5] == "Log-log survival (no positive values)"
    assert titles[:3] == list(diagnostics.PANEL_TITLES[:3])
    assert titles[4] == "Mean excess (no excesses)"  # the upper half is all 0
    fig.canvas.draw()


def test_constant_sample_draws(figures):
    fig = figures(np.full(60, 3.0), center="none")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3] == "Hill plot (no finite estimates)"  # X_(1) = X_(k+1): ties
    assert titles[4] == "Mean excess (no excesses)"
    fig.canvas.draw()


# ----- large samples ------------------------------------------------------------------
def test_large_samples_are_thinned_keeping_the_extremes(figures):
    x = np.random.default_rng(11).standard_t(2, size=200_000)
    fig = figures(x)
    xs = np.sort(center(x, "median"))
    _, q = line_data(fig, "normal_qq")
    assert q.size <= 20_000
    np.testing.assert_array_equal(q[:1_000], xs[:1_000])
    np.testing.assert_array_equal(q[-1_000:], xs[-1_000:])
    for gid in ("exponential_qq", "mean_excess", "survival", "hill"):
        x_data, _ = line_data(fig, gid)
        assert x_data.size <= 20_000, gid
    px, _ = line_data(fig, "survival")
    np.testing.assert_array_equal(px[:1_000], xs[::-1][:1_000])  # the 1000 largest, all kept
    k, _ = line_data(fig, "hill")
    np.testing.assert_array_equal(k[:1_000], np.arange(1, 1_001))


def test_thinning_helpers():
    idx = diagnostics._thin_ends(100_000, max_points=5_000, keep=100)
    assert idx.size <= 5_000 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx[:100], np.arange(100))
    np.testing.assert_array_equal(idx[-100:], np.arange(99_900, 100_000))
    np.testing.assert_array_equal(diagnostics._thin_ends(50), np.arange(50))
    idx = diagnostics._thin_log(1_000_000, max_points=2_000)
    assert idx.size <= 2_000 and idx[0] == 0 and idx[-1] == 999_999 and np.all(np.diff(idx) > 0)


# ----- saving -------------------------------------------------------------------------
@pytest.mark.parametrize(("suffix", "signature"), [(".png", PNG_SIGNATURE), (".pdf", b"%PDF"),
                                                   (".SVG", b"<?xml")])
def test_save(tmp_path, suffix, signature):
    x = np.random.default_rng(12).exponential(size=500)
    target = tmp_path / f"tails{suffix}"
    assert diagnostics.save_diagnostic_figure(x, target, center="mean") == target
    assert target.read_bytes().startswith(signature)
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left


@pytest.mark.parametrize("name", ["tails.xyz", "tails", "tails.png.bak"])
def test_save_unsupported_suffix(tmp_path, name):
    target = tmp_path / name
    with pytest.raises(ValueError, match=r"`path`.*" + name.replace(".", r"\.")):
        diagnostics.save_diagnostic_figure(np.arange(100.0), target)
    assert os.listdir(tmp_path) == []


def test_save_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "tails.png"
    target.write_bytes(b"old figure")
    x = np.random.default_rng(13).exponential(size=500)

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"partial")
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(Figure, "savefig", broken_savefig)
        with pytest.raises(RuntimeError, match="disk full"):
            diagnostics.save_diagnostic_figure(x, target)
    assert target.read_bytes() == b"old figure"
    assert os.listdir(tmp_path) == [target.name]

    diagnostics.save_diagnostic_figure(x, str(target))  # succeeds: replaces the old file
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    assert os.listdir(tmp_path) == [target.name]


def test_save_bad_samples_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="`samples`"):
        diagnostics.save_diagnostic_figure([1.0, np.nan] * 30, tmp_path / "tails.png")
    assert os.listdir(tmp_path) == []


# ----- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize(("samples", "kwargs", "name"), [
    ([1.0, np.nan] * 30, {}, "samples"),
    ([1.0, np.inf] * 30, {}, "samples"),
    (np.arange(49.0), {}, "samples"),
    (np.ones((10, 10)), {}, "samples"),
    (["a"] * 60, {}, "samples"),
    (np.arange(100.0), {"center": "mode"}, "center"),
    (np.arange(100.0), {"k_max": 0}, "k_max"),
    (np.arange(100.0), {"k_max": 100}, "k_max"),
    (np.arange(100.0), {"k_max": 2.5}, "k_max"),
    (np.arange(100.0), {"title": 3}, "title"),
], ids=["nan", "inf", "too-few", "2-d", "strings", "center", "k_max-0", "k_max-n", "k_max-float",
        "title"])
def test_bad_input(samples, kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        diagnostic_figure(samples, **kwargs)
