"""Peaks over threshold: the GPD maximum-likelihood fit against scipy.stats.genpareto,
the profile-likelihood interval, the ξ -> 0 limit, threshold rules and bad input.

scipy is the reference for the likelihood itself (``genpareto.logpdf``) and, through
``genpareto.fit`` (a Nelder-Mead search on the same likelihood), a fit that ours must never
lose to. Tolerances: 1e-6 in log-likelihood is the issue's bound (the sums are ~1e4 in
size, so that is ~1e-10 relative, far above rounding and far below any real difference
between two maxima); 4 standard errors for ξ̂ against the truth leaves a false-alarm rate
near 6e-5 per case for an asymptotically normal estimator.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import optimize, stats

from catgoodhart.tails.gpd import CHI2_95, GPDFit, _default_k, _profile_log_likelihood, gpd_fit

XIS = [-0.3, 0.0, 0.2, 0.5]


def _gpd_sample(xi, n, seed, scale=2.0):
    return stats.genpareto.rvs(xi, scale=scale, size=n, random_state=np.random.default_rng(seed))


def _scipy_loglik(y, xi, scale):
    return float(np.sum(stats.genpareto.logpdf(y, xi, loc=0.0, scale=scale)))


def _scipy_profile(y, xi, scale_guess):
    """max over σ of scipy's GPD log-likelihood at fixed ξ (a bounded search in log σ)."""
    lo = math.log(scale_guess) - 3.0
    if xi < 0:  # the support needs σ > |ξ| max y
        lo = max(lo, math.log(-xi * float(np.max(y))) + 1e-12)
    res = optimize.minimize_scalar(lambda s: -_scipy_loglik(y, xi, math.exp(s)),
                                   bounds=(lo, math.log(scale_guess) + 3.0), method="bounded",
                                   options={"xatol": 1e-12})
    return -float(res.fun)


@pytest.fixture(scope="module", params=XIS, ids=lambda x: f"xi={x}")
def fitted(request):
    xi = request.param
    y = _gpd_sample(xi, 5000, seed=int(1000 * (xi + 1)))
    return xi, y, gpd_fit(y, threshold=0.0)


# ----- against scipy ------------------------------------------------------------------------
def test_loglik_is_scipys_and_never_below_scipys_fit(fitted):
    xi, y, fit = fitted
    assert fit.converged and fit.reason == ""
    assert fit.n_exceedances == y.size and fit.threshold == 0.0
    # our maximized value is scipy's likelihood at our parameters (same function, 1e-10 rel.)
    assert fit.log_likelihood == pytest.approx(_scipy_loglik(y, fit.xi, fit.scale), rel=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's optimizer may warn on the way
        c, _, scale = stats.genpareto.fit(y, floc=0.0)
    assert fit.log_likelihood >= _scipy_loglik(y, c, scale) - 1e-6


def test_xi_within_four_standard_errors(fitted):
    xi, _, fit = fitted
    assert fit.xi_standard_error > 0
    assert abs(fit.xi - xi) <= 4 * fit.xi_standard_error
    # observed information agrees with the expected one, var ξ̂ ≈ (1 + ξ)²/m (Smith 1985),
    # to the ~1/√m relative noise of an observed information (10% is > 5 such units)
    assert fit.xi_standard_error == pytest.approx((1 + fit.xi) / math.sqrt(fit.n_exceedances), rel=0.1)


def test_profile_at_interval_ends_is_the_chi2_cut(fitted):
    _, y, fit = fitted
    target = fit.log_likelihood - CHI2_95 / 2
    assert fit.xi_ci_low < fit.xi < fit.xi_ci_high
    for end in (fit.xi_ci_low, fit.xi_ci_high):
        # independently: σ maximized on scipy's likelihood at ξ = end
        assert _scipy_profile(y, end, fit.scale) == pytest.approx(target, abs=1e-6)
        # and our own profile, to the root finder's precision
        assert _profile_log_likelihood(y, 0.0, end) == pytest.approx(target, abs=1e-8)


def test_profile_is_below_the_maximum_inside_the_interval(fitted):
    _, y, fit = fitted
    inside = np.linspace(fit.xi_ci_low, fit.xi_ci_high, 9)[1:-1]
    target = fit.log_likelihood - CHI2_95 / 2
    values = [_profile_log_likelihood(y, 0.0, x) for x in inside]
    assert all(target < v <= fit.log_likelihood + 1e-9 for v in values)


@pytest.mark.slow
def test_profile_interval_coverage():
    # 200 fits of 1000 excesses with ξ = 0.2: the 95% interval's coverage has a binomial
    # standard error of 1.5%, so [88%, 99%] is more than 4 of them below and 2.6 above
    covered = 0
    for seed in np.random.SeedSequence(20240601).generate_state(200):
        fit = gpd_fit(_gpd_sample(0.2, 1000, seed=int(seed)), threshold=0.0)
        assert fit.converged
        covered += fit.xi_ci_low <= 0.2 <= fit.xi_ci_high
    assert 0.88 <= covered / 200 <= 0.99


# ----- the ξ -> 0 limit and invariances --------------------------------------------------
def test_profile_is_smooth_through_zero():
    y = _gpd_sample(0.0, 2000, seed=7)
    m, ybar = y.size, float(np.mean(y))
    # at ξ = 0 the profile is the exponential fit, σ̂ = ȳ: ℓ = -m log ȳ - m
    assert _profile_log_likelihood(y, 0.0, 0.0) == pytest.approx(-m * math.log(ybar) - m, rel=1e-13)
    # and it is continuous there: |ℓ_p'| ~ √m·few, so a step of 1e-12 moves it < 1e-8
    for eps in (1e-300, 1e-12, -1e-12):
        assert _profile_log_likelihood(y, 0.0, eps) == pytest.approx(
            _profile_log_likelihood(y, 0.0, 0.0), abs=1e-8)
    # no kink at 0: the one-sided slopes differ by ℓ_p'' h, not by a constant, so the second
    # difference is the same at two step sizes (to O(h), 5%), and near -m, the curvature of
    # an exponential sample's profile (var ξ̂ = 1/m), to its O(1/√m) noise (20%)
    def curvature(h):
        return (_profile_log_likelihood(y, 0.0, h) - 2 * _profile_log_likelihood(y, 0.0, 0.0)
                + _profile_log_likelihood(y, 0.0, -h)) / h**2

    assert curvature(1e-3) == pytest.approx(curvature(1e-4), rel=0.05)
    assert curvature(1e-4) == pytest.approx(-m, rel=0.2)


@pytest.mark.parametrize("c, b", [(1e250, 0.0), (1e-250, 1e-249), (7.5, -1e6)])
def test_affine_equivariance(c, b):
    x = _gpd_sample(0.2, 1500, seed=11) - 1.0
    base = gpd_fit(x, threshold=0.0)
    moved = gpd_fit(c * x + b, threshold=b)
    assert moved.n_exceedances == base.n_exceedances
    # excesses c·y lose at most a few ulps to the shift, so ξ and the interval hold to ~1e-9
    assert moved.xi == pytest.approx(base.xi, abs=1e-9)
    assert moved.scale == pytest.approx(c * base.scale, rel=1e-8)
    assert moved.log_likelihood == pytest.approx(base.log_likelihood - base.n_exceedances * math.log(c),
                                                 abs=1e-6 * base.n_exceedances)
    assert moved.xi_ci_low == pytest.approx(base.xi_ci_low, abs=1e-8)
    assert moved.xi_ci_high == pytest.approx(base.xi_ci_high, abs=1e-8)


# ----- thresholds ------------------------------------------------------------------------
def test_k_uses_the_k_plus_first_largest_value():
    x = np.random.default_rng(3).standard_t(4, size=1000)
    fit = gpd_fit(x, k=120)
    assert fit.threshold == np.sort(x)[::-1][120]
    assert fit.n_exceedances == 120
    same = gpd_fit(x, threshold=fit.threshold)
    assert same.xi == fit.xi and same.log_likelihood == fit.log_likelihood


@pytest.mark.parametrize("n", [50, 100, 499, 500, 501, 10_000])
def test_default_k(n):
    x = np.arange(n, dtype=float)
    k = _default_k(n)
    assert k == min(n - 1, max(math.ceil(n / 10), 50))
    assert gpd_fit(x).n_exceedances == k


def test_ties_at_the_threshold_are_not_excesses():
    x = np.r_[np.full(40, 5.0), np.random.default_rng(0).exponential(size=200) + 5.0, np.zeros(100)]
    fit = gpd_fit(x, threshold=5.0)
    assert fit.n_exceedances == 200 and fit.converged


# ----- degenerate samples ------------------------------------------------------------------
def test_all_excesses_equal_is_not_identifiable():
    x = np.r_[np.full(30, 2.0), np.zeros(100)]
    fit = gpd_fit(x, threshold=1.0)
    assert not fit.converged and fit.n_exceedances == 30
    assert fit.reason == "all 30 excesses are equal (ties): the tail's shape is not identifiable"
    assert all(math.isnan(v) for v in (fit.xi, fit.scale, fit.xi_ci_low, fit.z_exponential))


@pytest.mark.parametrize("x, reason", [
    (np.full(100, 3.0), "all 50 largest values are equal"),
    (np.r_[np.zeros(50), np.ones(50)], "all 50 largest values are equal"),
    (np.r_[np.ones(90), np.full(10, 2.0)], "the 51 largest values take only 2 distinct values")])
def test_tied_top_values_are_not_identifiable(x, reason):
    fit = gpd_fit(x, k=50)
    assert math.isnan(fit.xi) and math.isnan(fit.z_exponential)
    assert fit.reason == f"{reason} (ties): the tail's shape is not identifiable"


# ----- the likelihood-ratio test of exponential excesses -------------------------------------
def test_z_exponential_is_the_signed_root_of_the_likelihood_ratio():
    y = _gpd_sample(0.3, 400, seed=11)
    fit = gpd_fit(y, threshold=0.0)
    rate = 1.0 / float(np.mean(y))  # the exponential's maximum-likelihood fit
    lr = 2.0 * (fit.log_likelihood - float(np.sum(stats.expon.logpdf(y, scale=1.0 / rate))))
    # both log-likelihoods are sums of 400 terms of size ~1: 1e-9 is far above their rounding
    assert fit.z_exponential == pytest.approx(math.sqrt(lr), abs=1e-9)
    light = gpd_fit(stats.uniform.rvs(size=400, random_state=3), threshold=0.0)
    assert light.z_exponential < -2.5 < 2.5 < fit.z_exponential


def test_z_exponential_is_standard_normal_under_exponential_excesses():
    """Wilks: under ξ = 0 the signed root is N(0, 1) to O(1/√m)."""
    z = np.array([gpd_fit(stats.expon.rvs(size=200, random_state=seed), k=100).z_exponential
                  for seed in range(300)])
    # Monte Carlo standard errors with 300 replicates: 0.058 for the mean, 0.041 for the sd;
    # 4 of them each, plus 0.05 for the O(1/√m) = O(0.1) departure from normality at m = 100
    assert abs(np.mean(z)) < 4 * 0.058 + 0.05
    assert abs(np.std(z) - 1.0) < 4 * 0.041 + 0.05
    assert np.mean(np.abs(z) > 2.5) < 0.03  # nominal 1.2%; binomial SE 0.6% with 300 draws


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), xi=st.sampled_from([-0.4, 0.0, 0.3]),
       a=st.floats(1e-6, 1e6), b=st.floats(-1e6, 1e6))
def test_shape_and_z_are_affine_invariant(seed, xi, a, b):
    y = _gpd_sample(xi, 300, seed)
    fit, moved = gpd_fit(y, k=100), gpd_fit(a * y + b * a, k=100)
    # a·y + b·a rounds each value by about 1e-16·|b|·a, i.e. 1e-10 of the excesses' scale (y ~ 1,
    # |b| <= 1e6); ξ̂ and z move by that relative amount times the likelihood's conditioning
    assert moved.xi == pytest.approx(fit.xi, abs=1e-6)
    assert moved.z_exponential == pytest.approx(fit.z_exponential, abs=1e-6)


def test_uniform_excesses_are_near_the_boundary():
    x = np.random.default_rng(5).uniform(size=4000)
    fit = gpd_fit(x, threshold=0.5)
    # uniform excesses are GPD with ξ = -1: the estimate is at or next to the boundary
    assert fit.xi_ci_low == -1.0
    assert fit.xi < -0.9


def test_too_few_excesses_is_a_reason_not_an_error():
    fit = gpd_fit(np.arange(100.0), threshold=95.0)
    assert fit.n_exceedances == 4 and math.isnan(fit.xi) and not fit.converged
    assert "at least 10" in fit.reason


def test_excesses_beyond_double_range_is_a_reason():
    x = np.r_[np.linspace(0.0, 1.0, 100), 1.7e308, -1.7e308]
    fit = gpd_fit(x, threshold=0.5)
    assert math.isnan(fit.xi) and "orders of magnitude" in fit.reason


def test_result_is_a_frozen_result():
    fit = gpd_fit(_gpd_sample(0.1, 500, seed=2), threshold=0.0)
    assert isinstance(fit, GPDFit)
    d = fit.to_dict()
    assert set(d) >= {"xi", "scale", "threshold", "n_exceedances", "log_likelihood", "xi_ci_low",
                      "xi_ci_high", "xi_standard_error", "converged", "z_exponential", "reason"}
    assert "xi_ci_high" in repr(fit)
    with pytest.raises(AttributeError):
        fit.xi = 0.0


# ----- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("samples", [np.r_[np.ones(60), np.nan], np.r_[np.ones(60), np.inf], np.ones(49),
                                     np.ones((10, 10)), ["a"] * 60])
def test_bad_samples(samples):
    with pytest.raises(ValueError, match="`samples`"):
        gpd_fit(samples)


@pytest.mark.parametrize("kwargs, name", [({"k": 0}, "`k`"), ({"k": 100}, "`k`"), ({"k": 2.5}, "`k`"),
                                          ({"k": True}, "`k`"), ({"threshold": math.nan}, "`threshold`"),
                                          ({"threshold": "1"}, "`threshold`"),
                                          ({"threshold": 1.0, "k": 5}, "`threshold`")])
def test_bad_threshold_or_k(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gpd_fit(np.arange(100.0), **kwargs)


# ----- anything finite ----------------------------------------------------------------------
_finite = st.one_of(st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
                    st.integers(-3, 3).map(float))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=hnp.arrays(np.float64, st.integers(50, 150), elements=_finite),
       use_k=st.booleans(), k=st.integers(1, 49))
def test_never_crashes(x, use_k, k):
    fit = gpd_fit(x, k=k) if use_k else gpd_fit(x)
    if math.isnan(fit.xi):
        assert fit.reason and not fit.converged
    else:
        assert -1.0 <= fit.xi_ci_low <= fit.xi <= fit.xi_ci_high
        assert fit.scale > 0 and not math.isnan(fit.log_likelihood)
        assert fit.converged == (fit.reason == "")
