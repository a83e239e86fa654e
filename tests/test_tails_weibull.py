"""Weibull-tail coefficient θ: the estimator against its definition, the known θ of
exponential, Weibull, normal, Gumbel and lognormal samples, its documented bias, its
interval, scale invariance and bad input.

Tolerances.
* Against the definition (explicit loop, harmonic sums by ``math.fsum``): 1e-12
  relative, a few hundred ulps for sums of up to 10^5 terms.
* Single samples of known θ: 4 standard errors (the estimator's own SE, a two-sided
  6e-5 chance of a false failure under normality) plus the documented bias: 0.003 for
  exponential and Weibull samples (no slowly varying factor; the table in
  ``weibull_tail``), and for the normal, Gumbel and lognormal the documented mean θ̂ at
  the default k, whose own Monte Carlo uncertainty is taken as 0.005.
* Means over replicates: 4 Monte Carlo standard errors plus the same 0.005.
* Interval coverage over R replicates: 0.95 ± 4 √(0.95 · 0.05 / R) (binomial).
"""

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from catgoodhart.tails.weibull_tail import (
    WeibullTailEstimate,
    _exponential_moments,
    _locations,
    default_k,
    weibull_tail,
)

EXACT_BIAS = 0.003  # |bias| of θ̂ on exact Weibull tails, any k (docstring table)
MC_DOC = 0.005  # Monte Carlo uncertainty of the documented means


# ----- references written from the definitions ----------------------------------------
def _harmonic(i, n, power=1):
    return math.fsum(1.0 / j**power for j in range(i, n + 1))


def _reference_locations(n, k, bias_correction):
    if not bias_correction:
        return [math.log(math.log(n / i)) for i in range(1, k + 2)]
    out = []
    for i in range(1, k + 2):
        mu, v = _harmonic(i, n), _harmonic(i, n, 2)
        out.append(math.log(mu) - v / (2 * mu * mu))
    return out


def _reference_theta(samples, k, bias_correction):
    xs = sorted(samples, reverse=True)
    n = len(xs)
    m = _reference_locations(n, k, bias_correction)
    num = math.fsum(math.log(xs[i]) - math.log(xs[k]) for i in range(k))
    den = math.fsum(m[i] - m[k] for i in range(k))
    return num / den


def _theta_at_expected_order_statistics(isf, n, k):
    """The estimator evaluated at X_(i) = F̄^{-1}(exp(-μ_i)): its mean up to noise."""
    mu, _ = _exponential_moments(n, k)
    logs = np.log(isf(np.exp(-mu)))
    m, _, _ = _locations(n, k, True)
    return float(np.sum(logs[:k] - logs[k]) / np.sum(m[:k] - m[k]))


# ----- the estimator is its formula ------------------------------------------------------
@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize(("n", "k"), [(50, 1), (50, 10), (50, 48), (137, 20), (1000, 998)])
def test_matches_definition(n, k, bias_correction):
    x = np.random.default_rng(n + k).lognormal(size=n)
    est = weibull_tail(x, k, bias_correction=bias_correction)
    assert est.theta == pytest.approx(_reference_theta(x.tolist(), k, bias_correction), rel=1e-12)
    assert est.threshold == np.sort(x)[::-1][k]
    assert (est.k, est.n, est.k_rule, est.bias_correction, est.reason) == (k, n, "given", bias_correction, "")


@pytest.mark.parametrize("n", [50, 1000])
def test_exponential_moments_match_direct_sums(n):
    mu, v = _exponential_moments(n, n - 1)
    for i in range(1, n + 1):
        assert mu[i - 1] == pytest.approx(_harmonic(i, n), rel=1e-12)
        assert v[i - 1] == pytest.approx(_harmonic(i, n, 2), rel=1e-12)


def test_exponential_moments_large_n():
    n = 100_000
    mu, v = _exponential_moments(n, 2000)
    for i in (1, 2, 17, 1000, 2001):
        assert mu[i - 1] == pytest.approx(_harmonic(i, n), rel=1e-12)
        assert v[i - 1] == pytest.approx(_harmonic(i, n, 2), rel=1e-12)


@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize("n", [50, 51, 200])
def test_denominator_positive_for_every_k(n, bias_correction):
    for k in range(1, n - 1):
        m, _, _ = _locations(n, k, bias_correction)
        assert np.sum(m[:k] - m[k]) > 0


def test_default_k_and_result_object():
    assert [default_k(n) for n in (50, 1000, 10_000, 100_000)] == [10, 63, 251, 1000]
    est = weibull_tail(np.random.default_rng(0).exponential(size=1000))
    assert isinstance(est, WeibullTailEstimate)
    assert (est.k, est.k_rule) == (63, "round(n**0.6)")
    assert est.ci_low < est.theta < est.ci_high
    assert repr(est).startswith("WeibullTailEstimate\n")
    assert json.loads(json.dumps(est.to_dict()))["k"] == 63
    with pytest.raises(AttributeError):
        est.theta = 1.0


# ----- known θ ------------------------------------------------------------------------------
@pytest.mark.parametrize(("draw", "theta"), [
    (lambda rng, n: rng.exponential(size=n), 1.0),
    (lambda rng, n: 3.0 * rng.exponential(size=n), 1.0),
    (lambda rng, n: rng.weibull(0.5, n), 2.0),
    (lambda rng, n: 0.2 * rng.weibull(2.0, n), 0.5),
], ids=["exponential", "exponential(scale 3)", "weibull(0.5)", "weibull(2)"])
def test_exact_weibull_tails(draw, theta):
    est = weibull_tail(draw(np.random.default_rng(1), 100_000))
    assert abs(est.theta - theta) <= 4 * est.standard_error + EXACT_BIAS
    assert est.ci_low < theta < est.ci_high


def test_normal_is_light_with_the_documented_bias():
    # θ = 1/2; the docstring's mean θ̂ at n = 10^5 is 0.711, a bias of 0.21
    est = weibull_tail(np.random.default_rng(2).standard_normal(100_000))
    assert abs(est.theta - 0.711) <= 4 * est.standard_error + MC_DOC
    assert abs(est.theta - 0.5) <= 0.211 + 4 * est.standard_error + MC_DOC
    assert est.ci_high < 1.0  # light, clearly, despite the bias


def test_gumbel_is_near_one():
    est = weibull_tail(np.random.default_rng(3).gumbel(size=100_000))
    assert abs(est.theta - 1.004) <= 4 * est.standard_error + MC_DOC
    assert abs(est.theta - 1.0) <= 4 * est.standard_error + 0.004 + MC_DOC


def test_lognormal_is_heavy():
    est = weibull_tail(np.random.default_rng(4).lognormal(0.0, 1.0, 100_000))
    assert est.ci_low > 1.0
    assert abs(est.theta - 1.856) <= 4 * est.standard_error + MC_DOC


@pytest.mark.parametrize(("isf", "documented"), [
    (stats.norm.isf, (0.836, 0.756, 0.710)),
    (stats.gumbel_r.isf, (1.028, 1.010, 1.004)),
    (stats.lognorm(1.0).isf, (1.552, 1.710, 1.852)),
], ids=["normal", "gumbel", "lognormal"])
def test_expected_order_statistic_values(isf, documented):
    # deterministic: the docstring's bias model, 3 decimals
    got = [_theta_at_expected_order_statistics(isf, n, default_k(n)) for n in (1000, 10_000, 100_000)]
    assert got == pytest.approx(documented, abs=5e-4)


def test_lognormal_estimate_grows_with_n():
    isf = stats.lognorm(1.0).isf
    values = [_theta_at_expected_order_statistics(isf, n, default_k(n)) for n in (10**3, 10**4, 10**5, 10**6)]
    assert all(b > a for a, b in itertools.pairwise(values))


@pytest.mark.parametrize(("seed", "draw", "n", "reps", "documented"), [
    (10, lambda rng, s: rng.standard_normal(s), 1000, 400, 0.833),
    (11, lambda rng, s: rng.standard_normal(s), 10_000, 100, 0.758),
    (12, lambda rng, s: rng.gumbel(size=s), 1000, 400, 1.024),
    (13, lambda rng, s: rng.lognormal(0.0, 1.0, s), 1000, 400, 1.550),
    (14, lambda rng, s: rng.lognormal(0.0, 1.0, s), 10_000, 100, 1.709),
], ids=["normal-1e3", "normal-1e4", "gumbel-1e3", "lognormal-1e3", "lognormal-1e4"])
def test_documented_means(seed, draw, n, reps, documented):
    # the docstring's mean θ̂ at the default k
    rng = np.random.default_rng(seed)
    thetas = np.array([weibull_tail(row).theta for row in draw(rng, (reps, n))])
    mc_se = thetas.std(ddof=1) / math.sqrt(reps)
    assert abs(thetas.mean() - documented) <= 4 * mc_se + MC_DOC


# ----- the bias correction and the interval -----------------------------------------------
def test_bias_correction_removes_the_small_k_bias():
    # exponential, n = 1000, k = 10: documented biases +0.079 (Girard) and +0.002 (default)
    reps, k = 800, 10
    samples = np.random.default_rng(5).exponential(size=(reps, 1000))
    corrected = np.array([weibull_tail(row, k).theta for row in samples])
    girard = np.array([weibull_tail(row, k, bias_correction=False).theta for row in samples])
    mc_se = corrected.std(ddof=1) / math.sqrt(reps)
    assert abs(corrected.mean() - 1.0) <= 4 * mc_se + EXACT_BIAS
    assert abs(girard.mean() - 1.079) <= 4 * mc_se + MC_DOC
    # same data, same numerator: the ratio is the ratio of the two denominators
    np.testing.assert_allclose(girard / corrected, girard[0] / corrected[0], rtol=1e-12)


@pytest.mark.parametrize(("n", "k"), [(1000, 63), (100_000, 1000), (1000, 10), (100_000, 10)])
def test_delta_method_se_is_below_the_asymptotic_one(n, k):
    # SE/θ̂ depends on (n, k) only; the docstring gives 0.85-0.94 of 1/√k at these sizes
    est = weibull_tail(np.random.default_rng(6).exponential(size=n), k)
    ratio = est.standard_error / est.theta * math.sqrt(k)
    assert 0.85 <= ratio <= 0.95
    girard = weibull_tail(np.random.default_rng(6).exponential(size=n), k, bias_correction=False)
    assert girard.standard_error == pytest.approx(girard.theta / math.sqrt(k), rel=1e-15)


def test_interval_coverage():
    reps = 500
    samples = np.random.default_rng(7).weibull(0.5, size=(reps, 1000))
    hits = sum(e.ci_low <= 2.0 <= e.ci_high for e in map(weibull_tail, samples))
    assert abs(hits / reps - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / reps)


# ----- invariance and the positive part ----------------------------------------------------
@pytest.mark.parametrize("c", [1e-6, 0.3, 7.0, 1e8])
@pytest.mark.parametrize("bias_correction", [True, False])
def test_scale_invariance(c, bias_correction):
    x = np.random.default_rng(8).lognormal(size=5000)
    a = weibull_tail(x, bias_correction=bias_correction)
    b = weibull_tail(c * x, bias_correction=bias_correction)
    # log(cx) - log(cy) = log x - log y up to one rounding of each log (|log| < 30)
    assert b.theta == pytest.approx(a.theta, rel=1e-11)
    assert b.standard_error == pytest.approx(a.standard_error, rel=1e-11)
    assert b.threshold == pytest.approx(c * a.threshold, rel=1e-15)


def test_too_few_positive_values_gives_nan_with_reason():
    x = np.concatenate([np.linspace(1.0, 2.0, 30), -np.ones(970)])  # 30 positive, default k = 63
    est = weibull_tail(x)
    assert math.isnan(est.theta) and math.isnan(est.standard_error)
    assert math.isnan(est.ci_low) and math.isnan(est.ci_high)
    assert "30 of the 1000 values are > 0" in est.reason
    assert est.threshold == -1.0
    ok = weibull_tail(x, 28)
    assert math.isfinite(ok.theta) and ok.reason == ""


def test_zero_threshold_gives_nan():
    x = np.concatenate([np.arange(1.0, 11.0), np.zeros(90)])
    assert math.isnan(weibull_tail(x, 10).theta)
    assert math.isfinite(weibull_tail(x, 9).theta)


@pytest.mark.parametrize("x, reason", [
    (np.full(100, 2.5), "all 16 largest values are equal"),
    (np.r_[np.ones(50), np.full(50, 2.0)], "all 16 largest values are equal"),
    (np.r_[np.ones(90), np.full(10, 2.0)], "the 17 largest values take only 2 distinct values")])
def test_tied_top_values_give_nan_with_a_reason(x, reason):
    for est in (weibull_tail(x), weibull_tail(x, bias_correction=False)):
        assert all(math.isnan(v) for v in (est.theta, est.standard_error, est.ci_low, est.ci_high))
        assert est.reason == f"{reason} (ties): the tail's shape is not identifiable"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_finite_sample(data):
    n = data.draw(st.integers(50, 300), label="n")
    x = data.draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=n, max_size=n))
    k = data.draw(st.none() | st.integers(1, n - 2), label="k")
    bias_correction = data.draw(st.booleans(), label="bias_correction")
    est = weibull_tail(np.array(x), k, bias_correction=bias_correction)
    if math.isnan(est.theta):
        assert est.threshold <= 0 or "not identifiable" in est.reason
    else:
        assert est.reason == ""
        assert 0.0 <= est.ci_low <= est.theta <= est.ci_high < math.inf
        assert 0.0 <= est.standard_error < math.inf


# ----- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    np.ones(49),
    [],
    np.r_[np.ones(60), np.nan],
    np.r_[np.ones(60), np.inf],
    np.r_[np.ones(60), -np.inf],
    np.ones((10, 10)),
    ["a"] * 60,
])
def test_bad_samples(bad):
    with pytest.raises(ValueError, match="`samples`"):
        weibull_tail(bad)


@pytest.mark.parametrize("k", [0, -1, 99, 100, 2.5, True, "10"])
def test_bad_k(k):
    with pytest.raises(ValueError, match="`k`"):
        weibull_tail(np.arange(1.0, 101.0), k)


def test_bad_bias_correction():
    with pytest.raises(ValueError, match="`bias_correction`"):
        weibull_tail(np.arange(1.0, 101.0), bias_correction="yes")
