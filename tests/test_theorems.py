"""Theorem checkers: the heavy/light dichotomy comes out of the exact machinery."""

import math

import numpy as np
import pytest

from catgoodhart import distributions as D
from catgoodhart.theorems import check_theorem1, check_theorem3, check_theorem4
from catgoodhart.threshold import threshold_distribution

HEAVY = [D.StudentT(nu=3), D.Pareto(alpha=2.5), D.LogNormal(sigma=1.0), D.Weibull(shape=0.5),
         D.Frechet(alpha=3.0), D.GPD(xi=0.4)]
LIGHT = [D.Normal(), D.Gumbel(), D.Laplace(), D.Exponential(rate=2.0), D.Uniform(low=-1.0, high=1.0),
         D.Weibull(shape=2.0)]


@pytest.mark.parametrize("dist", HEAVY, ids=repr)
@pytest.mark.parametrize("M, eps", [(10.0, 0.01), (3.0, 0.1)])
def test_theorem1_heavy_gives_an_exact_witness(dist, M, eps):
    r = check_theorem1(dist, M=M, eps=eps)
    assert r.passed and r.heavy_tailed and r.sup_mean == math.inf
    P = threshold_distribution(dist, t=r.witness_t, p=r.witness_p)  # recomputed independently
    assert P.mean == r.witness_mean > M
    assert P.kl == r.witness_kl < eps


@pytest.mark.parametrize("dist", LIGHT, ids=repr)
def test_theorem1_light_is_capped_by_the_kl_ceiling(dist):
    eps = 0.01
    r = check_theorem1(dist, M=dist.mean + 10.0, eps=eps)
    assert r.passed and not r.heavy_tailed and r.witness_t is None
    assert r.sup_mean < dist.mean + 10.0
    assert "no distribution at all" in r.explanation
    # the ceiling is attained: a threshold member with KL < eps stays below it
    t = float(dist.isf(0.01))
    p = 0.011
    P = threshold_distribution(dist, t=t, p=p)
    if P.kl < eps:
        assert P.mean <= r.sup_mean


def test_theorem1_normal_ceiling_is_sigma_sqrt_2eps():
    r = check_theorem1(D.Normal(mu=0.0, sigma=3.0), M=100.0, eps=0.02)
    assert r.sup_mean == pytest.approx(3.0 * math.sqrt(0.04), rel=1e-12)


def test_theorem1_infinite_mean_is_its_own_witness():
    r = check_theorem1(D.Levy(), M=1e6, eps=1e-3)
    assert r.passed and r.witness_mean == math.inf and r.witness_kl == 0.0


@pytest.mark.parametrize("dist", LIGHT, ids=repr)
def test_theorem3_light_sup_shrinks_to_the_mean(dist):
    d = np.geomspace(1e-8, 1.0, 9)
    r = check_theorem3(dist, d)
    assert r.passed, r.explanation
    assert np.all(np.isfinite(r.sup_mean)) and np.all(np.diff(r.sup_mean) > 0)
    sigma = math.sqrt(dist.var)
    # local Donsker–Varadhan expansion: sup - mean = σ√(2d) + O(d)
    assert r.gap_over_sqrt_2d[0] == pytest.approx(sigma, rel=1e-3)


@pytest.mark.parametrize("dist", HEAVY, ids=repr)
def test_theorem3_heavy_sup_is_infinite(dist):
    r = check_theorem3(dist, [1e-6, 1e-3, 1.0])
    assert r.passed and np.all(np.isinf(r.sup_mean))


def test_theorem4_light_independent_utility_grows_without_bound():
    betas = np.geomspace(1e-2, 1e2, 9)
    r = check_theorem4(D.Normal(), D.Normal(mu=0.0, sigma=2.0), betas)
    assert r.passed and r.hypotheses_met
    # E[V] under π*(β) = K_V'(1/β) = σ_V² / β for normal V
    np.testing.assert_allclose(r.mean_utility, 4.0 / r.beta, rtol=1e-12)


def test_theorem4_gumbel_utility():
    r = check_theorem4(D.Laplace(b=0.1), D.Gumbel(), np.geomspace(1.05, 100, 6))
    assert r.passed and not r.hypotheses_met  # Laplace and Gumbel have finite mgf radii
    assert np.all(np.diff(r.mean_utility) > 0)


def test_theorem4_exponential_error_optimum_ceases_to_exist():
    r = check_theorem4(D.Exponential(rate=1.0), D.Normal(), np.geomspace(1e-2, 1e2, 9))
    assert not r.hypotheses_met
    assert list(r.exists) == [b > 1.0 for b in r.beta]
    assert np.all(np.isnan(r.mean_utility[~r.exists]))
    assert "does not exist" in r.explanation
    assert r.passed  # E[V] still rises over the β where the optimum exists


def test_theorem4_refuses_heavy_hypotheses():
    r = check_theorem4(D.StudentT(nu=3), D.Normal(), [1.0, 0.1])
    assert not r.hypotheses_met and not r.exists.any()


@pytest.mark.parametrize("call", [
    lambda: check_theorem1(D.Normal(), M=1.0, eps=0.0),
    lambda: check_theorem1(D.Normal(), M=math.nan, eps=0.1),
    lambda: check_theorem3(D.Normal(), []),
    lambda: check_theorem3(D.Normal(), [0.1, -1.0]),
    lambda: check_theorem4(D.Normal(), D.Normal(), [0.0]),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_results_serialize():
    import json

    r = check_theorem3(D.Normal(), [0.1, 1.0])
    assert json.loads(json.dumps(r.to_dict()))["passed"] is True
    assert "gap_over_sqrt_2d" in repr(r)
