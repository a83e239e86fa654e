"""Theorem checkers: each has three outcomes, decided from the paper's hypotheses and the exact
numbers, and every checker can return each of them."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import catgoodhart.theorems as T
from catgoodhart import distributions as D
from catgoodhart.theorems import (
    NO_CLAIM,
    Outcome,
    check_theorem1,
    check_theorem2,
    check_theorem3,
    check_theorem4,
    check_theorem5,
    check_theorem6,
)
from catgoodhart.threshold import threshold_distribution

HOLDS, FAILS, NA = Outcome.HOLDS, Outcome.FAILS, Outcome.DOES_NOT_APPLY
HEAVY = [D.StudentT(nu=3), D.Pareto(alpha=2.5), D.LogNormal(sigma=1.0), D.Weibull(shape=0.5),
         D.Frechet(alpha=3.0), D.GPD(xi=0.4)]
LIGHT = [D.Normal(), D.Gumbel(), D.Laplace(), D.Exponential(rate=2.0), D.Uniform(low=-1.0, high=1.0),
         D.Weibull(shape=2.0)]


# ----- one case per outcome per theorem --------------------------------------------------
CASES = {
    (1, HOLDS): lambda: check_theorem1(D.StudentT(nu=3), M=10.0, eps=0.01),
    (1, NA): lambda: check_theorem1(D.Normal(), M=10.0, eps=0.01),  # light Q
    # barely heavy: KL ≈ M/√t, so KL < 1e-60 at M = 1e100 needs t ≈ 1e320, beyond the doubles
    (1, FAILS): lambda: check_theorem1(D.Weibull(shape=0.5), M=1e100, eps=1e-60),
    (2, HOLDS): lambda: check_theorem2(D.Normal(), np.geomspace(1e-8, 1.0, 9)),
    (2, NA): lambda: check_theorem2(D.StudentT(nu=3), [1e-6, 1.0]),  # heavy Q
    (2, FAILS): lambda: check_theorem2(D.Normal(), [0.1, 1.0]),  # stops before d -> 0
    (3, HOLDS): lambda: check_theorem3(D.StudentT(nu=1.5), M=3.0, eps=0.05, depth=12),
    (3, NA): lambda: check_theorem3(D.Normal(), M=3.0, eps=0.05, depth=12),  # light returns
    (3, FAILS): lambda: check_theorem3(D.StudentT(nu=1.5), M=1000.0, eps=0.01, depth=6),  # 64 leaves
    (4, HOLDS): lambda: check_theorem4(D.Normal(), D.Normal(), np.geomspace(1e-3, 10.0, 5)),
    (4, NA): lambda: check_theorem4(D.StudentT(nu=3), D.Normal(), np.geomspace(1e-3, 10.0, 5)),
    (4, FAILS): lambda: check_theorem4(D.Exponential(rate=1.0), D.Normal(), np.geomspace(1e-3, 10.0, 5)),
    (5, HOLDS): lambda: check_theorem5(D.StudentT(nu=3), D.Normal()),
    (5, NA): lambda: check_theorem5(D.Normal(), D.Normal()),  # X not subexponential
    # E[V | U >= t] - E[V] ≈ 3·0.25/t is still 0.015 at t = 50, above 1 % of V's IQR (0.0067)
    (5, FAILS): lambda: check_theorem5(D.StudentT(nu=3), D.Normal(sigma=0.5), np.geomspace(5.0, 50.0, 8)),
    (6, HOLDS): lambda: check_theorem6(D.Normal(), D.Normal()),
    (6, NA): lambda: check_theorem6(D.StudentT(nu=3), D.Normal()),  # F̄(t+1)/F̄(t) -> 1
    # E[V | U >= t] ≈ t/2 = 10 at t = 20, short of 10 interquartile ranges of V (13.5)
    (6, FAILS): lambda: check_theorem6(D.Normal(), D.Normal(), np.geomspace(4.0, 20.0, 8)),
}


@pytest.mark.parametrize("theorem, outcome", list(CASES), ids=[f"theorem{n}-{o}" for n, o in CASES])
def test_every_checker_returns_every_outcome(theorem, outcome):
    r = CASES[theorem, outcome]()
    assert r.outcome is outcome, r.explanation
    assert r.hypotheses_met is (outcome is not NA)
    if outcome is NA:
        assert f"Theorem {theorem} does not apply" in r.explanation
        assert "Computed instead" in r.explanation or "nothing is computed" in r.explanation


def test_outcome_is_a_string():
    assert Outcome.HOLDS == "holds" and Outcome.DOES_NOT_APPLY == "does not apply"
    assert {str(o) for o in Outcome} == {"holds", "fails", "does not apply"}
    r = check_theorem2(D.Normal(), [0.1, 1.0])
    assert json.loads(json.dumps(r.to_dict()))["outcome"] == "fails"
    assert "passed" not in r.to_dict()
    assert "gap_over_sqrt_2d" in repr(r) and "fails" in repr(r)


# ----- Theorem 1 ---------------------------------------------------------------------------
@pytest.mark.parametrize("dist", HEAVY, ids=repr)
@pytest.mark.parametrize("M, eps", [(10.0, 0.01), (3.0, 0.1)])
def test_theorem1_heavy_gives_an_exact_witness(dist, M, eps):
    r = check_theorem1(dist, M=M, eps=eps)
    assert r.outcome is HOLDS and r.heavy_tailed and r.sup_mean == math.inf
    P = threshold_distribution(dist, t=r.witness_t, p=r.witness_p)  # recomputed independently
    assert P.mean == r.witness_mean > M
    assert P.kl == r.witness_kl < eps


@pytest.mark.parametrize("dist", LIGHT, ids=repr)
def test_theorem1_light_does_not_apply_and_reports_the_kl_ceiling(dist):
    eps = 0.01
    r = check_theorem1(dist, M=dist.mean + 10.0, eps=eps)
    assert r.outcome is NA and not r.heavy_tailed and r.witness_t is None
    assert r.sup_mean < dist.mean + 10.0
    assert "no distribution at all" in r.explanation and f"{r.sup_mean:.6g}" in r.explanation
    # the ceiling is attained: a threshold member with KL < eps stays below it
    P = threshold_distribution(dist, t=float(dist.isf(0.01)), p=0.011)
    if P.kl < eps:
        assert P.mean <= r.sup_mean


def test_theorem1_light_below_the_ceiling_still_does_not_apply():
    r = check_theorem1(D.Normal(), M=0.1, eps=0.02)  # the ceiling √(2ε) = 0.2 exceeds M
    assert r.outcome is NA and "passes M" in r.explanation


def test_theorem1_normal_ceiling_is_sigma_sqrt_2eps():
    r = check_theorem1(D.Normal(mu=0.0, sigma=3.0), M=100.0, eps=0.02)
    # σ√(2ε) through the root of KL(λ) = ε, solved to double precision: 1e-12 leaves the root finder room
    assert r.sup_mean == pytest.approx(3.0 * math.sqrt(0.04), rel=1e-12)


def test_theorem1_infinite_mean_is_its_own_witness():
    r = check_theorem1(D.Levy(), M=1e6, eps=1e-3)
    assert r.outcome is HOLDS and r.witness_mean == math.inf and r.witness_kl == 0.0


def test_theorem1_undefined_mean_does_not_apply():
    r = check_theorem1(D.Cauchy(), M=10.0, eps=1e-3)
    assert r.outcome is NA and r.heavy_tailed and "no mean" in r.explanation


def test_theorem1_fails_when_the_search_runs_out_of_doubles():
    r = check_theorem1(D.Weibull(shape=0.5), M=1e100, eps=1e-60)
    assert r.outcome is FAILS and r.hypotheses_met and r.witness_t is None
    assert "too short" in r.explanation


def test_theorem1_fails_when_the_witness_does_not_reach_M(monkeypatch):
    """The witness is rebuilt with threshold_distribution; wrong numbers there fail the check."""
    monkeypatch.setattr(T, "threshold_distribution", lambda dist, t, p: SimpleNamespace(mean=5.0, kl=1e-3))
    r = check_theorem1(D.StudentT(nu=3), M=10.0, eps=0.01)
    assert r.outcome is FAILS and r.witness_mean == 5.0 and "not mean > 10" in r.explanation


# ----- Theorem 2 ---------------------------------------------------------------------------
@pytest.mark.parametrize("dist", LIGHT, ids=repr)
def test_theorem2_light_sup_shrinks_to_the_mean(dist):
    d = np.geomspace(1e-8, 1.0, 9)
    r = check_theorem2(dist, d)
    assert r.outcome is HOLDS, r.explanation
    assert np.all(np.isfinite(r.sup_mean)) and np.all(np.diff(r.sup_mean) > 0)
    sigma = math.sqrt(dist.var)
    # local Donsker–Varadhan expansion: sup - mean = σ√(2d) + O(d), O(√d) relative: 1e-4 at
    # d = 1e-8, with room for the skewed laws' constant
    assert r.gap_over_sqrt_2d[0] == pytest.approx(sigma, rel=1e-3)


@pytest.mark.parametrize("dist", HEAVY, ids=repr)
def test_theorem2_heavy_does_not_apply_and_reports_an_infinite_sup(dist):
    r = check_theorem2(dist, [1e-6, 1e-3, 1.0])
    assert r.outcome is NA and np.all(np.isinf(r.sup_mean)) and "∞ at every d" in r.explanation


def test_theorem2_fails_on_a_grid_that_stops_short():
    r = check_theorem2(D.Exponential(), [1e-2, 1e-1, 1.0])
    assert r.outcome is FAILS and "the limit d -> 0 is not shown" in r.explanation


def test_theorem2_fails_when_the_supremum_does_not_shrink(monkeypatch):
    stuck = SimpleNamespace(value=0.5)  # a supremum that stays put as d -> 0
    monkeypatch.setattr(T, "sup_mean_under_kl", lambda dist, kl: stuck)
    r = check_theorem2(D.Normal(), np.geomspace(1e-8, 1.0, 5))
    assert r.outcome is FAILS and "not within 10% of σ" in r.explanation


def test_theorem2_fails_when_the_supremum_falls_with_d(monkeypatch):
    monkeypatch.setattr(T, "sup_mean_under_kl", lambda dist, kl: SimpleNamespace(value=math.sqrt(2e-8 / kl)))
    r = check_theorem2(D.Normal(), np.geomspace(1e-8, 1.0, 5))
    assert r.outcome is FAILS and "falls as d grows" in r.explanation


# ----- Theorem 3 (small trees; the 2^20-leaf default is in test_mdp.py) ---------------------
def test_theorem3_outcomes_on_small_trees():
    holds = CASES[3, HOLDS]()
    assert holds.witness_mean > 3.0 and holds.witness_kl < 0.05
    assert holds.tr_error < 1e-12 and holds.kl_error < 1e-10  # the checker's own identity bounds
    light = CASES[3, NA]()
    assert light.ceiling < 3.0 and "<= M = 3" in light.explanation
    small = CASES[3, FAILS]()
    assert small.leaves == 64 and small.max_return < 1000.0 and "too small" in small.explanation


def test_theorem3_infinite_mean_does_not_apply():
    r = check_theorem3(D.Levy(), M=5.0, eps=0.1, depth=10)
    assert r.outcome is NA and r.heavy_tailed and "no finite mean" in r.explanation


# ----- Theorem 4 ---------------------------------------------------------------------------
def test_theorem4_light_independent_utility_grows_without_bound():
    betas = np.geomspace(1e-2, 1e2, 9)
    r = check_theorem4(D.Normal(), D.Normal(mu=0.0, sigma=2.0), betas)
    assert r.outcome is HOLDS and r.hypotheses_met and r.mgf_radius == math.inf
    # E[V] under π*(β) = K_V'(1/β) = σ_V² / β for normal V; a few ulps of the closed form
    np.testing.assert_allclose(r.mean_utility, 4.0 / r.beta, rtol=1e-12)


def test_theorem4_finite_mgf_radius_fails_as_stated():
    """Light by the paper's definition, so the hypotheses are met; the optimum stops existing."""
    r = check_theorem4(D.Exponential(rate=1.0), D.Normal(), np.geomspace(1e-2, 1e2, 9))
    assert r.outcome is FAILS and r.hypotheses_met and r.mgf_radius == 1.0
    assert list(r.exists) == [b > 1.0 for b in r.beta]
    assert np.all(np.isnan(r.mean_utility[~r.exists]))
    assert "does not exist for β <= 1" in r.explanation and "undefined" in r.explanation


def test_theorem4_finite_radius_fails_even_where_the_grid_stays_above_it():
    r = check_theorem4(D.Laplace(b=0.1), D.Gumbel(), np.geomspace(1.05, 100, 6))
    assert r.outcome is FAILS and r.exists.all() and r.mgf_radius == 1.0  # Gumbel's radius 1/β = 1
    assert np.all(np.diff(r.mean_utility) > 0)


def test_theorem4_fails_on_a_grid_that_stops_short():
    r = check_theorem4(D.Normal(), D.Normal(), [10.0, 1.0])  # E[V] = 1/β reaches only 1
    assert r.outcome is FAILS and "does not show the growth" in r.explanation


def test_theorem4_fails_when_the_utility_does_not_rise(monkeypatch):
    real = T.tilt

    def flat(base, *, beta):
        return SimpleNamespace(**{**real(base, beta=beta).__dict__, "mean_utility": 10.0})

    monkeypatch.setattr(T, "tilt", flat)
    r = check_theorem4(D.Normal(), D.Normal(), np.geomspace(1e-3, 10.0, 5))
    assert r.outcome is FAILS and "does not rise" in r.explanation


def test_theorem4_does_not_apply_to_heavy_error_or_bounded_utility():
    heavy = check_theorem4(D.StudentT(nu=3), D.Normal(), [1.0, 0.1])
    assert heavy.outcome is NA and not heavy.exists.any()
    bounded = check_theorem4(D.Normal(), D.Uniform(), [10.0, 1.0, 0.01])
    assert bounded.outcome is NA and "bounded above by 1" in bounded.explanation
    assert np.all(bounded.mean_utility < 1.0)


# ----- input validation --------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: check_theorem1(D.Normal(), M=1.0, eps=0.0),
    lambda: check_theorem1(D.Normal(), M=math.nan, eps=0.1),
    lambda: check_theorem2(D.Normal(), []),
    lambda: check_theorem2(D.Normal(), [0.1, -1.0]),
    lambda: check_theorem4(D.Normal(), D.Normal(), [0.0]),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_no_claim_marks_the_expected_column():
    assert CASES[5, NA]().expected == NO_CLAIM
    assert CASES[5, HOLDS]().expected == "-> E[V]"
