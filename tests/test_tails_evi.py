"""Extreme-value index estimators (Hill, Pickands, moment) and the choice of k.

Known answers come from laws whose γ is exact: Pareto X = U^{-1/α} (γ = 1/α, and the
log-spacings above any threshold are exactly i.i.d. exponential, so Hill has no bias),
Uniform(0, 1) (γ = -1, a generalized Pareto quantile function, so Pickands has no bias)
and Exponential (γ = 0). Samples use fixed seeds, so a failure is real.

Tolerances: "within 4 SE" uses each estimator's own asymptotic standard error; a correct
estimator without bias lands outside with probability 6e-5. Where an estimator has a known
bias at the chosen k, a comment says how large it is next to the SE.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from catgoodhart.tails import evi, selection
from catgoodhart.tails._sample import center, upper_order_statistics

N = 100_000
ESTIMATORS = [evi.hill, evi.moment, evi.pickands]
EST_IDS = ["hill", "moment", "pickands"]


def pareto(alpha, n=N, seed=0):
    """Exact Pareto(α) on [1, ∞): X = U^{-1/α}, γ = 1/α."""
    return np.random.default_rng(seed).uniform(size=n) ** (-1.0 / alpha)


@pytest.fixture(scope="module", params=[1.0, 2.0, 4.0], ids=lambda a: f"alpha={a:g}")
def pareto_case(request):
    alpha = request.param
    x = pareto(alpha, seed=20_250 + int(alpha))
    return alpha, x, selection.select_k(x)


def within(est, truth, n_se=4.0):
    return abs(est.gamma - truth) <= n_se * est.standard_error


# ----- known answers ------------------------------------------------------------------
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=EST_IDS)
def test_pareto_fixed_k(pareto_case, estimator):
    alpha, x, _ = pareto_case
    est = estimator(x, k=2000)
    assert est.reason == "" and est.k == 2000 and est.k_rule == "given"
    assert within(est, 1.0 / alpha), est


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=EST_IDS)
def test_pareto_automatic_k(pareto_case, estimator):
    alpha, x, sel = pareto_case
    est = estimator(x, k=sel)
    assert est.reason == "" and est.k_rule.startswith("double bootstrap")
    assert within(est, 1.0 / alpha), est


def test_pareto_default_k_is_the_bootstrap(pareto_case):
    _, x, sel = pareto_case
    est = evi.hill(x)  # k=None: the bootstrap with the default seed, as select_k
    assert est.k == sel.k and est.k_rule == sel.label


def test_hill_standard_error_and_interval():
    x = pareto(2.0, seed=3)
    est = evi.hill(x, k=400)
    assert est.standard_error == pytest.approx(est.gamma / math.sqrt(400), rel=1e-15)
    z = 1.959963984540054  # Φ^{-1}(0.975)
    assert est.ci_low == pytest.approx(est.gamma - z * est.standard_error, rel=1e-14)
    assert est.ci_high == pytest.approx(est.gamma + z * est.standard_error, rel=1e-14)
    assert est.threshold == np.sort(x)[::-1][400]
    wide = evi.hill(x, k=400, level=0.99)
    assert wide.ci_low < est.ci_low and wide.ci_high > est.ci_high and wide.level == 0.99


@pytest.mark.parametrize("k", [500, 2000, None], ids=["k=500", "k=2000", "auto"])
@pytest.mark.parametrize("estimator", [evi.moment, evi.pickands], ids=["moment", "pickands"])
def test_uniform_negative_index(estimator, k):
    x = np.random.default_rng(11).uniform(size=N)
    est = estimator(x, k=k)
    assert est.reason == ""
    assert est.gamma < 0 and within(est, -1.0), est


@pytest.mark.parametrize("k", [500, None], ids=["k=500", "auto"])
def test_exponential_moment_near_zero(k):
    # at γ = 0 the moment estimator's bias decays like 1/log²(n/k); over 20 seeds at
    # n = 1e5 it is about 0.3 SE at k = 500 and 1.1 SE at k = 2000, hence k = 500
    x = np.random.default_rng(12).exponential(size=N)
    est = evi.moment(x, k=k)
    assert est.reason == "" and within(est, 0.0), est


def test_pickands_uniform_is_exact_in_expectation():
    # for U(t) = 1 - 1/t the Pickands ratio (U(4t) - U(2t))/(U(2t) - U(t)) is exactly 2^-1
    q = lambda t: 1.0 - 1.0 / t  # noqa: E731
    x = q(np.array([1.0, 2.0, 4.0]))
    assert math.log((x[2] - x[1]) / (x[1] - x[0])) / math.log(2) == pytest.approx(-1.0, abs=1e-15)


def test_student_t_bootstrap_stays_in_the_tail():
    # t(3): γ = 1/3 with second-order ρ = -2/3, so unlike exact Pareto the bootstrap must
    # stop well inside the sample; the Hill bias at the chosen k is a few hundredths
    x = np.random.default_rng(5).standard_t(3.0, size=N)
    sel = selection.select_k(x)
    assert sel.rule == "bootstrap" and 10 <= sel.k <= N // 20 and sel.rho < 0
    assert abs(evi.hill(x, k=sel).gamma - 1.0 / 3.0) < 0.05


# ----- invariances and the Hill plot --------------------------------------------------
@pytest.mark.parametrize("c", [1e-3, 7.5, 1e6])
def test_hill_and_moment_scale_invariant(c):
    # log(cX_(i)) - log(cX_(k+1)) differs from the unscaled spacing by a few ulps of
    # |log X| (≈ 10 here), i.e. ~1e-15 against γ ~ 0.5: 1e-12 relative is ample
    x = pareto(2.0, n=20_000, seed=4)
    for est in (evi.hill, evi.moment):
        assert est(c * x, k=1000).gamma == pytest.approx(est(x, k=1000).gamma, rel=1e-12, abs=0)


def test_pickands_shift_and_scale_invariant():
    # the shift costs ~|shift| ε / spacing of relative accuracy in each difference
    x = pareto(2.0, n=20_000, seed=4)
    base = evi.pickands(x, k=1000).gamma
    assert evi.pickands(3.0 * x - 5.0, k=1000).gamma == pytest.approx(base, rel=1e-9)


def test_hill_is_not_shift_invariant_but_centring_is_explicit():
    x = pareto(2.0, n=20_000, seed=4)
    shifted = center(x, "median")
    assert np.median(shifted) == pytest.approx(0.0, abs=1e-12)
    assert evi.hill(shifted, k=1000).gamma != pytest.approx(evi.hill(x, k=1000).gamma, rel=1e-3)


def test_hill_curve_matches_hill():
    x = pareto(1.0, n=20_000, seed=6)
    curve = evi.hill_curve(x)
    assert curve.k[0] == 1 and curve.k[-1] == x.size - 1 and curve.reason == ""
    # the curve uses cumulative sums, hill() a direct mean: they agree to rounding,
    # k ε |log X| ≲ 1e-12 relative for k <= 2e4 and |log X| <= 20
    for k in (1, 2, 10, 137, 2000, x.size - 1):
        est = evi.hill(x, k=k)
        assert curve.gamma[k - 1] == pytest.approx(est.gamma, rel=1e-12)
        assert curve.standard_error[k - 1] == pytest.approx(est.standard_error, rel=1e-12)
        assert curve.ci_high[k - 1] == pytest.approx(est.ci_high, rel=1e-12)
        assert curve.threshold[k - 1] == est.threshold
    assert evi.hill_curve(x, k_max=50).gamma.shape == (50,)


def test_hill_curve_marks_non_positive_thresholds():
    x = np.r_[pareto(2.0, n=100, seed=1), -np.arange(1.0, 51.0)]
    curve = evi.hill_curve(x)
    assert np.all(np.isfinite(curve.gamma[:99])) and np.all(np.isnan(curve.gamma[99:]))
    assert "k >= 100" in curve.reason


# ----- interval coverage --------------------------------------------------------------
def test_hill_interval_coverage():
    # 200 runs of Pareto(2), n = 2000, k = 200: the binomial sd of the coverage at 95% is
    # 1.5 points, so [88%, 99%] is a wide band that still catches an SE too small by a
    # factor 1.3 (87%) or too large by 1.5 (99.9%)
    hits = 0
    for seed in range(200):
        est = evi.hill(pareto(2.0, n=2000, seed=seed), k=200)
        hits += est.ci_low <= 0.5 <= est.ci_high
    assert 0.88 <= hits / 200 <= 0.99


@pytest.mark.parametrize("estimator, truth, sampler", [
    (evi.moment, 0.5, lambda r: r.uniform(size=5000) ** -0.5),
    (evi.pickands, 0.5, lambda r: r.uniform(size=5000) ** -0.5),
    (evi.pickands, -1.0, lambda r: r.uniform(size=5000)),
], ids=["moment-pareto", "pickands-pareto", "pickands-uniform"])
def test_interval_coverage_other_estimators(estimator, truth, sampler):
    hits = 0
    for seed in range(400):
        est = estimator(sampler(np.random.default_rng(seed)), k=250)
        hits += est.ci_low <= truth <= est.ci_high
    assert 0.88 <= hits / 400 <= 0.99


# ----- asymptotic variances -----------------------------------------------------------
def test_pickands_standard_deviation():
    def direct(g):
        return g * math.sqrt(2 ** (2 * g + 1) + 1) / (2 * (2**g - 1) * math.log(2))

    for g in (-3.0, -0.5, 0.25, 1.0, 4.0):
        assert evi.pickands_standard_deviation(g) == pytest.approx(direct(g), rel=1e-13)
    limit = math.sqrt(3) / (2 * math.log(2) ** 2)
    assert evi.pickands_standard_deviation(0.0) == pytest.approx(limit, rel=1e-15)
    assert evi.pickands_standard_deviation(1e-9) == pytest.approx(limit, rel=1e-8)
    assert evi.pickands_standard_deviation(-1e-9) == pytest.approx(limit, rel=1e-8)
    assert math.isfinite(evi.pickands_standard_deviation(5000.0))


def test_moment_variance():
    assert evi.moment_variance(0.5) == 1.25
    assert evi.moment_variance(-1e-12) == pytest.approx(1.0, rel=1e-10)
    g = -1.0  # 4 * 3 * 8 / (4 * 5)
    assert evi.moment_variance(g) == pytest.approx(4.8, rel=1e-15)
    assert math.isfinite(evi.moment_variance(-1e60))


# ----- the double bootstrap -----------------------------------------------------------
def test_double_bootstrap_pareto():
    x = pareto(2.0, seed=8)
    sel = selection.select_k(x)
    assert 1 <= sel.k <= x.size - 1 and sel.rule == "bootstrap"
    assert 1 <= sel.k1 <= sel.n1 - 1 and 1 <= sel.k2 <= sel.n2 - 1
    assert sel.n1 == math.floor(N**0.9) and sel.n2 == sel.n1**2 // N
    assert abs(evi.hill(x, k=sel).gamma - 0.5) < 0.05


def test_double_bootstrap_deterministic():
    x = np.random.default_rng(9).standard_t(4.0, size=5000)
    a = selection.select_k(x, seed=123, n_boot=50)
    b = selection.select_k(x, seed=123, n_boot=50)
    assert a == b
    assert selection.select_k(x) == selection.select_k(x)  # the default seed is fixed
    assert a.n_boot == 50 and 1 <= a.k <= x.size - 1


def test_double_bootstrap_formula():
    # k0 = k1²/k2 (log² k1 / (2 log n1 - log k1)²)^{(log n1 - log k1)/log n1}
    x = np.random.default_rng(10).standard_t(3.0, size=20_000)
    sel = selection.select_k(x)
    l1, ln1 = math.log(sel.k1), math.log(sel.n1)
    k0 = sel.k1**2 / sel.k2 * (l1**2 / (2 * ln1 - l1) ** 2) ** ((ln1 - l1) / ln1)
    assert sel.k == round(k0)
    assert sel.rho == pytest.approx(l1 / (2 * l1 - 2 * ln1), rel=1e-15)


def test_sqrt_rule():
    assert selection.sqrt_rule_k(100_000) == 316
    assert selection.sqrt_rule_k(1000) == 50
    assert selection.sqrt_rule_k(50) == 5
    x = pareto(2.0, n=10_000, seed=2)
    sel = selection.select_k(x, rule="sqrt")
    assert sel.k == 100 and sel.rule == "sqrt" and sel.n1 is None
    assert evi.hill(x, k="sqrt").k == 100


def test_fallback_is_named():
    x = np.r_[np.full(40, 3.0), np.arange(20.0)]  # ties at the top: k1 = 1
    sel = selection.select_k(x)
    assert sel.rule == "sqrt" and sel.note and "double bootstrap not usable" in sel.label


def test_pickands_caps_a_rule_k():
    x = pareto(2.0, n=400, seed=3)  # exact Pareto: the bootstrap wants nearly all of it
    est = evi.pickands(x)
    assert est.k <= 100 and est.reason == ""


# ----- robustness: any finite sample gives numbers or an explicit nan -----------------
def _check_outcome(est):
    nums = [est.gamma, est.standard_error, est.ci_low, est.ci_high]
    if est.reason:
        assert all(math.isnan(v) for v in nums), est
    else:
        assert all(math.isfinite(v) for v in nums), est
        assert est.ci_low <= est.gamma <= est.ci_high and est.standard_error >= 0
    assert 1 <= est.k <= est.n - 1
    json.dumps(est.to_dict())


finite = st.floats(allow_nan=False, allow_infinity=False)
samples = st.one_of(
    hnp.arrays(np.float64, st.integers(50, 300), elements=finite),
    # constant arrays, arrays of a few tied values, wide ranges and tiny values
    st.builds(lambda v, n: np.full(n, v), finite, st.integers(50, 120)),
    hnp.arrays(np.float64, st.integers(50, 200), elements=st.sampled_from([-1.0, 0.0, 1.0, 2.5, 1e300])),
    hnp.arrays(np.float64, st.integers(50, 200), elements=st.floats(-1e300, 1e300)),
    hnp.arrays(np.float64, st.integers(50, 200), elements=st.floats(0.0, 1e-300)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=samples)
def test_any_finite_sample(x):
    for estimator in ESTIMATORS:
        _check_outcome(estimator(x))
    sel = selection.select_k(x)
    assert 1 <= sel.k <= x.size - 1
    curve = evi.hill_curve(x)
    assert np.all(np.isnan(curve.gamma) | (curve.gamma >= 0))
    assert bool(curve.reason) == bool(np.any(np.isnan(curve.gamma)))


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(0, 49), elements=finite))
def test_short_samples_rejected(x):
    for estimator in [*ESTIMATORS, evi.hill_curve, selection.select_k]:
        with pytest.raises(ValueError, match=rf"`samples` must hold at least 50 finite values, got {x.size}"):
            estimator(x)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_rejected(bad):
    x = pareto(2.0, n=100)
    x[17] = bad
    for estimator in [*ESTIMATORS, evi.hill_curve, selection.select_k]:
        with pytest.raises(ValueError, match="`samples` must be finite"):
            estimator(x)


def test_degenerate_samples_explain_themselves():
    not_identifiable = "(ties): the tail's shape is not identifiable"
    for const in (np.full(60, 2.0), np.zeros(60), np.full(60, -1.0)):
        for estimator in ESTIMATORS:
            est = estimator(const, k=10)
            assert math.isnan(est.gamma) and est.reason.endswith(not_identifiable), est.reason
    two_valued = np.r_[np.ones(80), np.full(20, 2.0)]
    for estimator in (evi.hill, evi.moment):
        assert estimator(two_valued, k=10).reason == f"all 10 largest values are equal {not_identifiable}"
        assert estimator(two_valued, k=30).reason == ("the 31 largest values take only 2 distinct values "
                                                      + not_identifiable)
    assert evi.pickands(two_valued, k=5).reason == f"all 20 largest values are equal {not_identifiable}"
    assert math.isnan(evi.pickands(two_valued, k=10).gamma)
    neg = -pareto(2.0, n=100)
    for estimator in (evi.hill, evi.moment):
        est = estimator(neg, k=10)
        assert math.isnan(est.gamma) and "<= 0" in est.reason
    assert math.isfinite(evi.pickands(neg, k=10).gamma)


# ----- input handling -----------------------------------------------------------------
def test_upper_order_statistics():
    xs = upper_order_statistics([3, 1, 2] * 20)
    assert xs.dtype == np.float64 and np.all(np.diff(xs) <= 0) and xs[0] == 3.0
    assert upper_order_statistics(np.arange(5), min_size=5).tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="`samples` must be one-dimensional"):
        upper_order_statistics(np.ones((60, 2)))
    with pytest.raises(ValueError, match="`samples` must hold real numbers"):
        upper_order_statistics(["a"] * 60)
    with pytest.raises(ValueError, match="`samples` must hold real numbers"):
        upper_order_statistics(np.ones(60, dtype=complex))
    with pytest.raises(ValueError, match="`rewards` must hold at least 50 finite values, got 12"):
        upper_order_statistics(np.ones(12), name="rewards")


def test_center():
    x = np.array([1.0, 2.0, 6.0])
    assert center(x, "mean").tolist() == [-2.0, -1.0, 3.0]
    assert center(x, "median").tolist() == [-1.0, 0.0, 4.0]
    assert center(x, "none").tolist() == x.tolist()
    big = np.array([1.5e308, 1.0e308, 1.2e308])  # the plain mean would overflow
    assert np.all(np.isfinite(center(big, "mean")))
    with pytest.raises(ValueError, match="`how` must be one of"):
        center(x, "mode")
    with pytest.raises(ValueError, match="`samples` spans more than double precision"):
        center(np.array([1.7e308, -1.7e308, 1.7e308]), "median")


@pytest.mark.parametrize("call, match", [
    (lambda x: evi.hill(x, k=0), r"`k` must be an integer in \[1, 99\]"),
    (lambda x: evi.hill(x, k=100), r"`k` must be an integer in \[1, 99\]"),
    (lambda x: evi.moment(x, k=1), r"`k` must be an integer in \[2, 99\]"),
    (lambda x: evi.pickands(x, k=26), r"`k` must be an integer in \[1, 25\]"),
    (lambda x: evi.hill(x, k=2.5), "`k` must be an integer, one of"),
    (lambda x: evi.hill(x, k=np.array([1, 2])), "`k` must be an integer, one of"),
    (lambda x: evi.hill(x, k="hill"), "`k` must be an integer, one of 'bootstrap', 'sqrt'"),
    (lambda x: evi.hill(x, k=10, level=1.0), "`level` must be in"),
    (lambda x: evi.hill_curve(x, k_max=100), r"`k_max` must be an integer in \[1, 99\]"),
    (lambda x: selection.select_k(x, n_boot=0), "`n_boot` must be an integer >= 1"),
    (lambda x: selection.select_k(x, epsilon=0.5), "`epsilon` must be in"),
    (lambda x: selection.select_k(x, seed=-1), "`seed` must be"),
    (lambda x: evi.hill(x, k=selection.select_k(x[:60])), "`k` was selected for a sample of 60"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call(pareto(2.0, n=100, seed=1))


def test_results_print_and_serialize():
    x = pareto(2.0, n=1000, seed=1)
    est = evi.moment(x, k=100)
    text = repr(est)
    assert text.startswith("EVIEstimate") and "standard_error" in text and "k_rule" in text
    assert json.loads(json.dumps(est.to_dict()))["k"] == 100
    assert json.loads(json.dumps(evi.hill_curve(x, k_max=20).to_dict()))["k"][-1] == 20
    assert "KSelection" in repr(selection.select_k(x))
