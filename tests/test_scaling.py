"""Gao et al.'s functional forms: values, peaks against numerical maximization, fits."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from catgoodhart.scaling import fit_form, gold_reward, peak

positive = st.floats(min_value=0.05, max_value=20.0)


@settings(max_examples=60, deadline=None)
@given(alpha=positive, beta=positive, form=st.sampled_from(["bon", "rl"]))
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


@pytest.mark.parametrize("form", ["bon", "rl"])
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
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
