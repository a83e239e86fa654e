"""Figures and animations: every registered file is written, valid and atomic, and the
numbers behind the figures match independent references."""

import math
import os
import subprocess
import sys

import mpmath
import numpy as np
import pytest
from scipy import integrate, optimize, stats

from catgoodhart import distributions as D
from catgoodhart import threshold
from catgoodhart.viz import CAPTIONS, FIGURES, FILES, make_figures
from catgoodhart.viz import conditioning_curves as cc
from catgoodhart.viz import frontier as fr
from catgoodhart.viz import gao_forms as gf
from catgoodhart.viz import threshold_animation as ta
from catgoodhart.viz import tilting_theorem4 as tt
from catgoodhart.viz import token_tree as tk

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fast_figures(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    calls = []
    paths = make_figures(out, fast=True, progress=lambda done, total, name: calls.append((done, total, name)))
    return out, paths, calls


# ----- files ------------------------------------------------------------------------------
def test_every_registered_file_is_written(fast_figures):
    out, paths, calls = fast_figures
    expected = [name for names in FILES.values() for name in names]
    assert [p.name for p in paths] == expected
    assert sorted(os.listdir(out)) == sorted(expected)  # no temporary files left
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    assert calls == [(i + 1, len(FIGURES), name) for i, name in enumerate(FIGURES)]


def test_registry_is_consistent():
    assert set(FIGURES) == set(CAPTIONS) == set(FILES)
    assert all(FIGURES[n] and CAPTIONS[n] and FILES[n] for n in FIGURES)
    names = [f for files in FILES.values() for f in files]
    assert len(names) == len(set(names))


def test_png_files_are_valid(fast_figures):
    from PIL import Image

    _, paths, _ = fast_figures
    pngs = [p for p in paths if p.suffix == ".png"]
    assert len(pngs) == 13
    for p in pngs:
        assert p.read_bytes()[:8] == PNG_MAGIC
        with Image.open(p) as im:
            im.verify()
        with Image.open(p) as im:
            assert im.size[0] == 1200  # 8 in at 150 dpi: README width with headroom


def test_gif_is_an_animation(fast_figures):
    from PIL import Image

    out, _, _ = fast_figures
    gif = out / "threshold_animation.gif"
    assert gif.read_bytes()[:6] == b"GIF89a"
    with Image.open(gif) as im:
        assert im.n_frames > 1
        assert im.size == (800, 640)
        assert im.info.get("loop") == 0


def test_mp4_is_h264(fast_figures):
    out, _, _ = fast_figures
    data = (out / "threshold_animation.mp4").read_bytes()
    assert data[4:8] == b"ftyp"
    assert b"avc1" in data  # H.264 sample entry
    assert b"moov" in data and b"mdat" in data


def test_only_selects_figures(tmp_path):
    paths = make_figures(tmp_path, only="gao_forms", fast=True)
    assert [p.name for p in paths] == ["gao_forms.png"]
    paths = make_figures(tmp_path / "two", only=["gao_forms", "tilting"], fast=True)
    assert [p.name for p in paths] == ["gao_forms.png", "tilting_theorem4.png"]
    assert sorted(os.listdir(tmp_path / "two")) == ["gao_forms.png", "tilting_theorem4.png"]


@pytest.mark.parametrize("only", ["nope", ["gao_forms", "nope"], []])
def test_unknown_figure_names_the_valid_ones(tmp_path, only):
    with pytest.raises(ValueError) as err:
        make_figures(tmp_path / "out", only=only, fast=True)
    assert all(name in str(err.value) for name in FIGURES)
    assert not (tmp_path / "out").exists()


def test_failed_render_leaves_existing_files_untouched(tmp_path, monkeypatch):
    (target,) = make_figures(tmp_path, only="gao_forms", fast=True)
    before = target.read_bytes()

    def broken(stage, *, fast=False):
        stage.path("gao_forms.png").write_bytes(b"partial")
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(gf, "render", broken)
    with pytest.raises(RuntimeError, match="renderer failed"):
        make_figures(tmp_path, only="gao_forms", fast=True)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["gao_forms.png"]


def test_failed_multi_file_figure_replaces_none(tmp_path, monkeypatch):
    from catgoodhart.viz import _io

    for name in FILES["threshold"]:
        (tmp_path / name).write_bytes(b"old " + name.encode())

    def broken(frames, path, fps):
        path.write_bytes(b"half an mp4")
        raise OSError("ffmpeg failed")

    monkeypatch.setattr(_io, "save_mp4", broken)
    with pytest.raises(OSError, match="ffmpeg failed"):
        make_figures(tmp_path, only="threshold", fast=True)
    assert sorted(os.listdir(tmp_path)) == sorted(FILES["threshold"])
    for name in FILES["threshold"]:
        assert (tmp_path / name).read_bytes() == b"old " + name.encode()


def test_import_is_light_and_drawing_uses_no_pyplot(tmp_path):
    code = ("import sys, matplotlib; import catgoodhart.viz as v; light = 'catgoodhart.threshold' not in "
            "sys.modules; size = matplotlib.rcParams['font.size']; "
            f"v.make_figures({str(tmp_path)!r}, only='gao_forms', fast=True); "
            "print(light, 'matplotlib.pyplot' in sys.modules, matplotlib.rcParams['font.size'] == size)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False", "True"]


# ----- numbers behind the threshold animation ------------------------------------------------
def _student_t3_pdf(x):
    """Student-t(3) density written out: Γ(2)/(Γ(3/2)√(3π)) (1 + x²/3)^-2."""
    const = mpmath.gamma(2) / (mpmath.gamma(mpmath.mpf(3) / 2) * mpmath.sqrt(3 * mpmath.pi))
    return const * (1 + x**2 / 3) ** -2


def _normal_pdf(x):
    return mpmath.exp(-x**2 / 2) / mpmath.sqrt(2 * mpmath.pi)


def _tilted_mean_kl(pdf, t, p):
    """E_P[X] and KL(P‖Q) of P = Q (1 - p)/F(t) below t, Q p/F̄(t) above, by quadrature of the
    density P and of P log(P/Q)."""
    with mpmath.workdps(40):
        t, p = mpmath.mpf(t), mpmath.mpf(p)
        lower = [-mpmath.inf] + [x for x in (-10, -1, 0, 1, 10) if x < t] + [t]  # the body is narrow
        upper = [t + h / t for h in (0, 0.1, 0.3, 1, 3, 10, 30)] + [2 * t + 1, mpmath.inf]  # decay scale 1/t
        below = mpmath.quad(pdf, lower)
        above = mpmath.quad(pdf, upper)
        w_lo, w_hi = (1 - p) / below, p / above
        mean = (w_lo * mpmath.quad(lambda x: x * pdf(x), lower)
                + w_hi * mpmath.quad(lambda x: x * pdf(x), upper))
        kl = (mpmath.quad(lambda x: w_lo * pdf(x) * mpmath.log(w_lo), lower)
              + mpmath.quad(lambda x: w_hi * pdf(x) * mpmath.log(w_hi), upper))
        return float(mean), float(kl)


@pytest.mark.parametrize("t", [2.0, 100.0])
def test_threshold_frames_match_quadrature(t):
    frames = ta.threshold_frames([t])
    assert frames.heavy_p[0] == pytest.approx(t**-0.8, rel=1e-15)
    mean, kl = _tilted_mean_kl(_student_t3_pdf, t, t**-0.8)
    assert frames.heavy_mean[0] == pytest.approx(mean, rel=1e-10)
    assert frames.heavy_kl[0] == pytest.approx(kl, rel=1e-10)
    mean, kl = _tilted_mean_kl(_normal_pdf, t, frames.light_p[0])
    assert frames.light_mean[0] == pytest.approx(mean, rel=1e-8)
    assert frames.light_kl[0] == pytest.approx(kl, rel=1e-8)


def test_threshold_frames_heavy_grows_light_collapses():
    frames = ta.threshold_frames(ta.frame_thresholds())
    assert frames.t[0] == 1.5 and frames.t[-1] == pytest.approx(1e4)
    assert np.all(np.diff(frames.heavy_kl) < 0) and frames.heavy_kl[-1] < 0.02
    assert frames.heavy_mean[-1] > 9 > 2 > frames.heavy_mean[0]
    np.testing.assert_allclose(frames.light_kl, frames.heavy_kl, rtol=1e-10)
    np.testing.assert_allclose(frames.dv_ceiling, np.sqrt(2 * frames.heavy_kl), rtol=1e-9)
    assert np.all(frames.light_mean <= frames.dv_ceiling)
    assert frames.light_mean[-1] < 1e-5


@pytest.mark.parametrize("dist, t, kl", [(D.Normal(), 1e4, 0.012), (D.Normal(), 1.5, 1.0),
                                          (D.StudentT(nu=3.0), 50.0, 0.3), (D.Exponential(), 3.0, 2.9)])
def test_threshold_mass_for_kl_inverts_the_kl(dist, t, kl):
    p = ta.threshold_mass_for_kl(dist, t, kl)
    assert float(dist.sf(t)) <= p < 1
    assert threshold.threshold_curve(dist, t=t, p=p).kl == pytest.approx(kl, rel=1e-12)


def test_threshold_mass_for_kl_beyond_reach_is_nan():
    t = 3.0
    assert math.isnan(ta.threshold_mass_for_kl(D.Normal(), t, -float(D.Normal().logsf(t)) + 0.1))


# ----- other figures' data ------------------------------------------------------------------
def test_frontier_light_sup_and_heavy_divergence():
    eps = np.array([1e-3, 0.1, 1.0, 5.0])
    curves = fr.frontier_curves(eps)
    np.testing.assert_allclose(curves.light_gain["Normal(0, 1)"], np.sqrt(2 * eps), rtol=1e-8)
    np.testing.assert_allclose(curves.normal_closed_form, np.sqrt(2 * eps), rtol=1e-15)
    for e, gain in zip(eps, curves.light_gain["Exponential(1)"], strict=True):
        # Exponential(1): K(λ) = -log(1 - λ) on [0, 1); sup E_P[X] = inf_λ (K(λ) + ε)/λ
        best = optimize.minimize_scalar(lambda lam, e=e: (-math.log1p(-lam) + e) / lam,
                                        bounds=(1e-9, 1 - 1e-12), method="bounded",
                                        options={"xatol": 1e-12})
        assert gain + 1.0 == pytest.approx(best.fun, rel=1e-7)
    assert np.all(curves.light_gain["Uniform(−√3, √3)"] < math.sqrt(3.0))
    assert np.all(np.isposinf(curves.heavy_sup)) and "heavy-tailed" in curves.heavy_reason
    gains = np.array([curves.heavy_member_gain[t] for t in fr.HEAVY_T])
    assert np.all(np.diff(gains[1:], axis=0) > 0)  # larger t: larger mean at the same KL
    assert gains[-1, 0] > 10  # KL = 0.001 already buys a mean gain above 10


def test_tilting_curves_normal_closed_form_and_missing_optimum():
    beta = np.array([0.1, 0.5, 0.5000001, 2.0, 10.0])
    curves = tt.tilting_curves(beta)
    normal = "X ~ Normal, V ~ Normal"
    # N(0,1) ⊥ N(0,1): E_π*[V] = K_V'(1/β) = 1/β, KL = λ²(σ_X² + σ_V²)/2 = 1/β²
    np.testing.assert_allclose(curves.utility_gain[normal], 1 / beta, rtol=1e-12)
    np.testing.assert_allclose(curves.kl[normal], 1 / beta**2, rtol=1e-9)
    expo = list(tt.PAIRS)[1]
    np.testing.assert_array_equal(curves.exists[expo], beta > 1 / tt.RATE)
    assert np.all(np.isnan(curves.utility_gain[expo][beta <= 1 / tt.RATE]))
    assert "= ∞" in curves.reasons[expo]
    bounded = list(tt.PAIRS)[3]
    assert np.all(curves.utility_gain[bounded] < math.sqrt(3.0))


def _dependent_reference(t):
    """E[V | X + V >= t], t > 1, for V ~ N(0, 1), X | V ~ N(0, 4) on |V| <= 1, X = 0 elsewhere, by
    scipy quadrature; where |V| > 1, U = V, so only V >= t counts (∫_t^∞ v φ(v) dv = φ(t))."""

    def weight(v):
        return stats.norm.pdf(v) * stats.norm.sf(t - v, scale=2.0)

    num = integrate.quad(lambda v: v * weight(v), -1, 1, epsabs=0, epsrel=1e-12)[0] + stats.norm.pdf(t)
    den = integrate.quad(weight, -1, 1, epsabs=0, epsrel=1e-12)[0] + stats.norm.sf(t)
    return num / den


def test_conditioning_curves_against_quadrature():
    t = np.array([1.0, 5.0, 30.0])
    curves = cc.conditioning_curves(t, [3.0, 20.0])
    # X, V ~ N(0, 1): E[V | U >= t] = E[U | U >= t]/2 with U ~ N(0, 2)
    s = math.sqrt(2.0)
    expected = s * stats.norm.pdf(t / s) / stats.norm.sf(t / s) / 2
    np.testing.assert_allclose(curves.independent["Normal error (light, Theorem 6)"], expected, rtol=1e-9)
    heavy = curves.independent["Student-t(3) error (heavy, Theorem 5)"]
    assert heavy[-1] < heavy[0] and heavy[-1] < 0.15
    for level, value in zip([3.0, 20.0], curves.dependent, strict=True):
        assert value == pytest.approx(_dependent_reference(level), rel=1e-8)
    far = cc.conditioning_curves([1.0], [cc.DEPENDENT_T_MAX])
    assert 0.95 < far.dependent[0] < 1.0


def test_token_tree_sweep_chain_rule_and_means():
    from catgoodhart import mdp

    sweep = tk.token_tree_sweep(depth=8, points=4, seed=3)
    np.testing.assert_allclose(sweep.state_kl, sweep.trajectory_kl, rtol=1e-9)
    tree = mdp.token_tree(tk.K, 8, returns=tk.HEAVY_LEAVES, seed=3)
    r = tree.returns
    assert sweep.max_return == r.max()
    for t, p, mean, kl in zip(sweep.t, sweep.p, sweep.mean_return, sweep.state_kl, strict=True):
        q0 = np.full(r.size, 1.0 / r.size)  # uniform π0
        F, Fbar = q0[r <= t].sum(), q0[r > t].sum()
        rho = np.where(r <= t, q0 * (1 - p) / F, q0 * p / Fbar)
        assert mean == pytest.approx(float(rho @ r), rel=1e-10)
        assert kl == pytest.approx((1 - p) * math.log((1 - p) / F) + p * math.log(p / Fbar), rel=1e-9)
    assert np.all(np.diff(sweep.light_kl) < 0)  # larger β: smaller KL
    assert sweep.light_mean[-1] < 0.1


def test_gao_curves_peaks():
    curves = gf.gao_curves()
    for form, pairs in gf.COEFFICIENTS.items():
        for (alpha, beta), values, top in zip(pairs, curves.reward[form], curves.peaks[form], strict=True):
            d_star = alpha / (2 * beta) if form == "bon" else math.exp(alpha / beta - 1)
            assert top.d == pytest.approx(d_star, rel=1e-14)
            assert top.d < gf.D_MAX[form]  # every peak is inside the plotted range
            assert np.max(values) <= top.reward * (1 + 1e-12)
            assert top.reward == pytest.approx(alpha * d_star - beta * d_star * (
                d_star if form == "bon" else math.log(d_star)), rel=1e-12)


def test_still_thresholds_are_in_the_sweep_range():
    assert all(ta.T_RANGE[0] <= t <= ta.T_RANGE[1] for t in ta.STILL_T)


def test_registry_files_match_the_renderers():
    import importlib

    from catgoodhart.viz.registry import _ENTRIES

    for name, entry in _ENTRIES.items():
        assert importlib.import_module(f"catgoodhart.viz.{entry.module}").FILES == FILES[name]


@pytest.mark.slow
def test_full_quality_animation_is_modest(tmp_path):
    from PIL import Image

    make_figures(tmp_path, only="threshold")
    gif = tmp_path / "threshold_animation.gif"
    assert gif.stat().st_size <= 3 * 2**20
    with Image.open(gif) as im:
        assert im.n_frames == ta.FRAMES  # the held last frame is merged into one long frame
