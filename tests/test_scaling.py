"""Gao et al.'s functional forms and the two compared with them (a power law, a return to the
baseline): values, peaks against numerical maximization, fits, prediction beyond the fitted
range, and bootstrap intervals against the least-squares standard error."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from catgoodhart.scaling import FORMS, bootstrap_fit, compare_forms, fit_form, gold_reward, peak, predict

positive = st.floats(min_value=0.05, max_value=20.0)


@settings(max_examples=60, deadline=None)
@given(alpha=positive, beta=positive, form=st.sampled_from(["bon", "rl", "return"]))
def test_peak_is_the_numerical_maximum(alpha, beta, form):
    p = peak(alpha, beta, form)
    if not math.isfinite(p.d):
        return  # e^{α/β - 1} beyond doubles: reported with a reason
    assert p.reason == ""
    # search in d / d* and R / R*, values of order 1: Brent's parabolic step multiplies three
    # differences of its points and values, which overflows for d* = e^255 (alpha/beta = 256)
    hi = 4.0 + 1.0 / p.d
    res = optimize.minimize_scalar(lambda s: -gold_reward(s * p.d, alpha, beta, form) / p.reward,
                                   bounds=(0.0, hi), method="bounded", options={"xatol": 1e-12 * hi})
    # R_RL(d) = d (alpha - beta log d) cancels near the peak, where alpha - beta log d = beta:
    # its rounding is about (alpha / beta) eps <= 400 * 2.2e-16 = 9e-14 relative (R_bon: a few eps)
    assert -res.fun <= 1 + 1e-12
    assert p.reward == pytest.approx(gold_reward(p.d, alpha, beta, form), rel=1e-12)
    assert p.kl == pytest.approx(p.d * p.d, rel=1e-15)  # float product: inf past 1.8e308, as kl


@pytest.mark.parametrize("form", ["bon", "rl"])
def test_derivative_vanishes_at_the_peak(form):
    alpha, beta = 1.3, 0.4
    p = peak(alpha, beta, form)
    f = (lambda d: d * (alpha - beta * d)) if form == "bon" else (lambda d: d * (alpha - beta * mp.log(d)))
    with mp.workdps(40):
        assert abs(mp.diff(f, mp.mpf(p.d))) < 1e-13
        assert mp.diff(f, mp.mpf(p.d), 2) < 0


def test_closed_forms():
    assert peak(2.0, 0.5, "bon").d == 2.0 and peak(2.0, 0.5, "bon").reward == 2.0
    p = peak(1.0, 0.5, "rl")
    assert p.d == pytest.approx(math.e) and p.reward == pytest.approx(0.5 * math.e)
    assert gold_reward(0.0, 1.0, 1.0, "rl") == 0.0 == gold_reward(0.0, 1.0, 1.0, "bon")
    np.testing.assert_allclose(gold_reward([1.0, 2.0], 1.0, 0.25, "bon"), [0.75, 1.0])


@pytest.mark.parametrize("alpha, beta, finite", [(1.0, -0.1, False), (1.0, 0.0, False), (-1.0, 0.0, True)])
def test_no_turn_over_is_reported(alpha, beta, finite):
    for form in ("bon", "rl"):
        p = peak(alpha, beta, form)
        assert math.isfinite(p.d) == finite and p.reason


@pytest.mark.parametrize("form", FORMS)
def test_fit_recovers_the_coefficients(form):
    d = np.linspace(0.0, 12.0, 40)
    r = gold_reward(d, 0.9, 0.07, form)
    fit = fit_form(d, r, form)
    assert fit.alpha == pytest.approx(0.9, rel=1e-12) and fit.beta == pytest.approx(0.07, rel=1e-11)
    assert fit.residual_rms < 1e-12 and fit.peak.d == pytest.approx(peak(0.9, 0.07, form).d, rel=1e-10)
    noisy = r + np.random.default_rng(0).normal(scale=0.01, size=d.size)
    fit = fit_form(d, noisy, form)
    assert abs(fit.alpha - 0.9) < 0.05 and abs(fit.beta - 0.07) < 0.02


@pytest.mark.parametrize("call, match", [
    (lambda: gold_reward(-1.0, 1.0, 1.0, "bon"), "`d`"),
    (lambda: gold_reward(1.0, 1.0, 1.0, "ppo"), "`form`"),
    (lambda: gold_reward(1.0, math.nan, 1.0, "bon"), "`alpha`"),
    (lambda: peak(1.0, math.inf, "rl"), "`beta`"),
    (lambda: fit_form([1.0, 2.0], [1.0], "bon"), "`reward`"),
    (lambda: fit_form([1.0, 2.0], [1.0, math.nan], "bon"), "`reward`"),
    (lambda: fit_form([2.0, 2.0], [1.0, 1.0], "bon"), "two distinct"),
    (lambda: fit_form([0.0, 1.0], [0.0, 1.0], "rl"), "two distinct"),
    (lambda: fit_form([1.0, 2.0], [-1.0, 1.0], "power"), "two distinct d > 0 with reward > 0"),
    (lambda: predict([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], "bon", d_fit=0.0), "`d_fit`"),
    (lambda: bootstrap_fit([1.0, 2.0], [[1.0, 2.0]], "bon"), "`curves`"),
    (lambda: bootstrap_fit([1.0, 2.0], [[1.0, 2.0, 3.0]] * 2, "bon"), "`curves`"),
    (lambda: bootstrap_fit([1.0, 2.0], [[1.0, 2.0]] * 2, "bon", n_boot=1), "`n_boot`"),
    (lambda: bootstrap_fit([1.0, 2.0], [[1.0, 2.0]] * 2, "bon", level=1.0), "`level`"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_return_form_peak_and_power_law():
    p = peak(2.0, 0.5, "return")
    assert p.d == 2.0 and p.reward == pytest.approx(2.0 / (0.5 * math.e), rel=1e-15)
    assert math.isinf(peak(1.0, 0.5, "power").d) and peak(1.0, 0.5, "power").reason
    assert peak(-1.0, 0.5, "power").d == 0.0
    np.testing.assert_allclose(gold_reward([0.0, 4.0], 3.0, 0.5, "power"), [0.0, 6.0], rtol=1e-15)


def test_prediction_beyond_the_fitted_range():
    # a curve that returns to the baseline: only its own form predicts the far part
    d = np.linspace(0.0, 6.0, 61)
    r = gold_reward(d, 1.0, 0.5, "return")
    predictions, best = compare_forms(d, r, d_fit=2.0)
    assert best == "return"
    assert predictions["return"].rms_out < 1e-12 and predictions["return"].n_out == 40
    assert all(predictions[f].rms_out > 1e-3 for f in ("bon", "rl", "power"))
    # nothing beyond the range: no error to report
    assert math.isnan(predict(d, r, "bon", d_fit=10.0).rms_out)


def test_bootstrap_intervals_match_the_least_squares_error():
    """Groups with independent N(0, σ²) noise on the bon form: the mean curve's α has the
    least-squares standard error se = σ/√G·sqrt((XᵀX)⁻¹₀₀); the bootstrap's 95% interval is
    ±1.96·se·sqrt((G - 1)/G) but for its own sampling error (relative sd ~ 1/√(2G) = 0.11 for
    G = 40 groups, and ~1/√n_boot for the percentiles): its half-width within [0.7, 1.4]·that."""
    d = np.linspace(0.2, 8.0, 30)
    sigma, groups = 0.05, 40
    noise = np.random.default_rng(5).normal(scale=sigma, size=(groups, d.size))
    curves = gold_reward(d, 1.0, 0.12, "bon") + noise
    fit = bootstrap_fit(d, curves, "bon", n_boot=2000, seed=9)
    design = np.column_stack([d, -d * d])
    se = sigma / math.sqrt(groups) * math.sqrt(np.linalg.inv(design.T @ design)[0, 0])
    half = 0.5 * (fit.alpha_interval[1] - fit.alpha_interval[0])
    assert 0.7 < half / (1.96 * se * math.sqrt((groups - 1) / groups)) < 1.4
    assert fit.alpha_interval[0] < fit.fit.alpha < fit.alpha_interval[1]
    assert fit.peak_interval[0] < fit.fit.peak.d < fit.peak_interval[1]
    # identical groups: every resample is the same curve, the intervals collapse onto the fit
    same = bootstrap_fit(d, np.tile(gold_reward(d, 1.0, 0.12, "bon"), (5, 1)), "bon", n_boot=50)
    assert same.alpha_interval == pytest.approx((1.0, 1.0), rel=1e-12)
    # seeded
    again = bootstrap_fit(d, curves, "bon", n_boot=2000, seed=9)
    assert again.alpha_interval == fit.alpha_interval and again.peak_interval == fit.peak_interval


def test_compare_forms_leaves_out_forms_it_cannot_fit():
    # gold never above 0: the power law and the return form (fitted through log R) have no
    # starting line, the two linear forms do
    d = np.linspace(0.1, 3.0, 12)
    r = -0.2 * d * d
    predictions, best = compare_forms(d, r, d_fit=2.0)
    assert set(predictions) == {"bon", "rl"}
    assert best == "bon" and predictions["bon"].rms_out < 1e-12
    with pytest.raises(ValueError, match="power"):
        compare_forms(d, r, d_fit=2.0, forms=("power",))


def test_percentile_interval_with_infinite_draws():
    from catgoodhart.scaling import percentile_interval

    draws = np.arange(1.0, 101.0)
    # numpy's linear interpolation between order statistics: 2.5% of 99 steps above 1
    assert percentile_interval(draws, 0.95) == pytest.approx((1 + 0.025 * 99, 1 + 0.975 * 99), rel=1e-15)
    draws[-10:] = np.inf  # forms that never turn over: d* = inf
    lo, hi = percentile_interval(draws, 0.95)
    assert hi == math.inf and math.isfinite(lo) and 2.0 <= lo <= 4.0
