"""Best-of-n: KL (continuous and discrete bases) and the exact E_bon[V], E_bon[U], against
independent references.

References, none of which uses the package's numerics:

* Normal X and V: U is Normal and V = σ_V²/σ_U² (U - μ_U) + μ_V + (independent noise), so the
  best of n has E_bon[U] = μ_U + σ_U m_n and E_bon[V] = μ_V + σ_V²/σ_U · m_n, with m_n the
  mean of the largest of n standard normals, ∫ x n φ(x) Φ(x)^{n-1} dx, by mpmath quadrature
  at 30 digits.
* KL for a continuous base: ∫_0^1 n q^{n-1} log(n q^{n-1}) dq by mpmath quadrature.
* KL for a discrete base: the law of the maximum of n draws by enumerating every n-tuple
  with exact fractions, then the KL sum in mpmath.
* Monte Carlo with the package's samplers: best of n among trials × n seeded draws.

Tolerances: the package integrates over u by adaptive Gauss–Legendre with a relative target
of 1e-11 on each weight; 1e-11 relative is asserted up to n = 65536 and 1e-10 at n = 4^10,
where the order statistic's weight sits ~14 nats into the tail and the log-space weights
are larger numbers. The closed-form KL is a few ulps (1e-13). Monte Carlo: 4 standard errors.
"""

import itertools
import math
from collections import defaultdict
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

from catgoodhart import distributions as D
from catgoodhart.bon import BonResult, bon_kl, bon_kl_exact, bon_utility

DPS = 30
NS = np.array([1, 2, 3, 10, 100, 4096, 65536, 4**10])


def _expected_max_normal(n):
    """E[max of n standard normals] = ∫ x n φ(x) Φ(x)^{n-1} dx (30 digits)."""
    with mp.workdps(DPS):
        n = mp.mpf(n)
        f = lambda x: x * n * mp.npdf(x) * mp.ncdf(x) ** (n - 1)  # noqa: E731
        return mp.quad(f, [-mp.inf, -5, 0, 2, 4, 6, mp.inf])


def test_expected_max_reference():
    """The reference against the known m_2 = 1/√π and m_3 = 3/(2√π) (guards the helper)."""
    with mp.workdps(DPS):
        assert abs(_expected_max_normal(2) - 1 / mp.sqrt(mp.pi)) < mp.mpf(10) ** -25
        assert abs(_expected_max_normal(3) - 3 / (2 * mp.sqrt(mp.pi))) < mp.mpf(10) ** -25
        assert abs(_expected_max_normal(1)) < mp.mpf(10) ** -25


# ----- 1. Normal + Normal: closed form ---------------------------------------------------------
MU_X, SIGMA_X, MU_V, SIGMA_V = -0.2, 1.5, 0.3, 0.7
X_NORMAL = D.Normal(mu=MU_X, sigma=SIGMA_X)
V_NORMAL = D.Normal(mu=MU_V, sigma=SIGMA_V)


@pytest.fixture(scope="module")
def normal_bon():
    return bon_utility(X_NORMAL, V_NORMAL, NS)


@pytest.fixture(scope="module")
def normal_bon_swapped():
    return bon_utility(V_NORMAL, X_NORMAL, NS)


def _rel_for(n):
    return 1e-11 if n <= 65536 else 1e-10


def test_normal_closed_form(normal_bon):
    r = normal_bon
    sigma_u = math.hypot(SIGMA_X, SIGMA_V)
    assert isinstance(r, BonResult)
    assert r.mean_utility.shape == r.mean_proxy.shape == r.kl.shape == NS.shape
    np.testing.assert_array_equal(r.n, NS)
    bad = []
    for n, utility, proxy in zip(NS, r.mean_utility, r.mean_proxy, strict=True):
        m = _expected_max_normal(int(n))
        want_v = float(MU_V + SIGMA_V**2 / sigma_u * m)
        want_u = float(MU_X + MU_V + sigma_u * m)
        rel = _rel_for(n)
        # at n = 1 E[U] = 0.1 comes from the cancellation of terms of the size of σ_U
        if abs(utility - want_v) > rel * max(abs(want_v), SIGMA_V):
            bad.append(f"E_bon[V] at n={n}: package {utility!r}, mpmath {want_v!r}")
        if abs(proxy - want_u) > rel * max(abs(want_u), sigma_u):
            bad.append(f"E_bon[U] at n={n}: package {proxy!r}, mpmath {want_u!r}")
    assert not bad, "\n".join(bad)
    assert r.note == "all values exact"


def test_normal_closed_form_zero_means():
    """Zero means put far-left nodes where P(U >= u) rounds to 1: log F̄_U must stay <= 0."""
    ns = np.array([1, 2, 16, 4096])
    r = bon_utility(D.Normal(sigma=SIGMA_X), D.Normal(sigma=SIGMA_V), ns)
    sigma_u = math.hypot(SIGMA_X, SIGMA_V)
    m = np.array([float(_expected_max_normal(int(n))) for n in ns])
    np.testing.assert_allclose(r.mean_utility, SIGMA_V**2 / sigma_u * m, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(r.mean_proxy, sigma_u * m, rtol=1e-11, atol=1e-11)


def test_n_equal_one_is_the_base(normal_bon):
    assert normal_bon.mean_utility[0] == MU_V
    assert normal_bon.mean_proxy[0] == pytest.approx(MU_X + MU_V, rel=1e-11, abs=1e-11)
    assert normal_bon.kl[0] == 0.0


def test_means_increase_with_n(normal_bon):
    assert np.all(np.diff(normal_bon.mean_utility) > 0)
    assert np.all(np.diff(normal_bon.mean_proxy) > 0)
    np.testing.assert_array_equal(normal_bon.kl, bon_kl(NS))


def test_swapped_roles_add_up(normal_bon, normal_bon_swapped):
    """U = X + V: E_bon[V] + E_bon[X] = E_bon[U], with E_bon[X] from swapping the arguments;
    the proxy is the same law either way."""
    r, s = normal_bon, normal_bon_swapped
    np.testing.assert_allclose(r.mean_utility + s.mean_utility, r.mean_proxy, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(s.mean_proxy, r.mean_proxy, rtol=1e-11, atol=1e-11)


def test_scalar_n_gives_floats(normal_bon):
    r = bon_utility(X_NORMAL, V_NORMAL, 10)
    assert type(r.mean_utility) is float and type(r.mean_proxy) is float and type(r.kl) is float
    assert r.n == 10
    i = list(NS).index(10)
    # the same quadrature with fewer n: agrees to the quadrature's tolerance
    assert r.mean_utility == pytest.approx(normal_bon.mean_utility[i], rel=1e-11)
    assert r.mean_proxy == pytest.approx(normal_bon.mean_proxy[i], rel=1e-11)
    assert r.kl == bon_kl(10)
    d = r.to_dict()
    assert d["mean_utility"] == r.mean_utility and d["n"] == 10


# ----- 2. KL for a continuous base -------------------------------------------------------------
def _kl_definition(n):
    """∫_0^1 n q^{n-1} log(n q^{n-1}) dq, cut near q = 1 where the weight sits for large n."""
    with mp.workdps(DPS):
        n = mp.mpf(n)
        f = lambda q: n * q ** (n - 1) * (mp.log(n) + (n - 1) * mp.log(q)) if q > 0 else mp.mpf(0)  # noqa: E731
        near_one = (1 - k / n for k in (100, 30, 10, 3, 1) if k < n)
        cuts = sorted({mp.mpf(0), mp.mpf(1) / 2, *near_one, mp.mpf(1)})
        return mp.quad(f, cuts)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 100, 4096, 4**10])
def test_bon_kl_against_definition(n):
    value = bon_kl(n)
    assert type(value) is float
    assert value == pytest.approx(float(_kl_definition(n)), rel=1e-13, abs=1e-15)


def test_bon_kl_array_and_exact_values():
    ns = np.array([[1, 2], [4, 1024]])
    got = bon_kl(ns)
    assert got.shape == (2, 2)
    assert got[0, 0] == 0.0
    # log n - (n - 1)/n: numpy's log of an array (SIMD loops) and of one number (or math.log)
    # may round differently, each within 1 ulp of log n, so 2 ulps of log n apart, an absolute
    # difference that the subtraction keeps, plus its own rounding (<= 1 ulp of log n)
    ulps = 3 * np.spacing(np.log(ns.ravel().astype(float)))
    assert got[0, 1] == pytest.approx(math.log(2) - 0.5, rel=0, abs=ulps[1])
    pointwise = np.array([bon_kl(int(n)) for n in ns.ravel()])
    assert np.all(np.abs(got.ravel() - pointwise) <= ulps), (got.ravel(), pointwise)
    # float integers are accepted
    assert bon_kl(4.0) == bon_kl(4)


# ----- 3. KL for a discrete base ---------------------------------------------------------------
def _kl_brute_force(values, probs, n):
    """Enumerate every n-tuple of atoms (exact fractions), take the max value, KL in mpmath."""
    frac = [Fraction(p) for p in probs]
    total = sum(frac)
    frac = [p / total for p in frac]
    base = defaultdict(Fraction)
    for v, p in zip(values, frac, strict=True):
        base[v] += p
    best = defaultdict(Fraction)
    for combo in itertools.product(range(len(values)), repeat=n):
        prob = Fraction(1)
        for i in combo:
            prob *= frac[i]
        best[max(values[i] for i in combo)] += prob
    with mp.workdps(40):
        as_mp = lambda q: mp.mpf(q.numerator) / q.denominator  # noqa: E731
        return sum((as_mp(q) * mp.log(as_mp(q) / as_mp(base[v])) for v, q in best.items() if q), mp.mpf(0))


DISCRETE = [
    ([0.0, 1.0, 2.0], [0.2, 0.5, 0.3]),
    ([1.0, 0.0, 2.0, 1.0], [0.25, 0.25, 0.3, 0.2]),  # ties at 1.0
    ([5.0, -1.0, 3.0, 7.0], [2.0, 5.0, 3.0, 0.0]),  # unnormalized, a zero-probability atom on top
    ([0.0, 1.0], [0.999, 0.001]),  # a rare top value
]


@pytest.mark.parametrize(("values", "probs"), DISCRETE, ids=["three", "ties", "unnormalized", "rare-top"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_bon_kl_exact_against_enumeration(values, probs, n):
    value = bon_kl_exact(values, probs, n)
    assert type(value) is float
    ref = _kl_brute_force(values, probs, n)
    assert value == pytest.approx(float(ref), rel=1e-13, abs=1e-15)
    assert value <= bon_kl(n) + 1e-15
    if n == 1:
        assert value == 0.0


@pytest.mark.parametrize(("values", "probs"), DISCRETE, ids=["three", "ties", "unnormalized", "rare-top"])
def test_bon_kl_exact_array_n_and_limit(values, probs):
    ns = np.array([1, 2, 3, 10, 100, 10**4, 10**6, 4**10])
    got = bon_kl_exact(values, probs, ns)
    assert got.shape == ns.shape
    for n, value in zip(ns, got, strict=True):
        assert value == bon_kl_exact(values, probs, int(n))
    assert np.all(got <= bon_kl(ns) + 1e-15)
    assert np.all(np.diff(got) >= 0)
    # n -> ∞: the best of n is the top value, KL -> -log p_top
    p = np.asarray(probs) / np.sum(probs)
    v = np.asarray(values)
    p_top = p[v == v[p > 0].max()].sum()
    assert got[-1] == pytest.approx(-math.log(p_top), rel=1e-12)


def _uniform_kl_reference(m, n):
    """Σ_j q_j log(m q_j), q_j = (j/m)^n - ((j-1)/m)^n: m equally likely values (40 digits)."""
    with mp.workdps(40):
        m = mp.mpf(m)
        total = mp.mpf(0)
        prev = mp.mpf(0)
        for j in range(1, int(m) + 1):
            cur = (j / m) ** n
            q = cur - prev
            total += q * mp.log(m * q)
            prev = cur
        return total


@pytest.mark.parametrize("n", [2, 10, 100])
def test_bon_kl_exact_uniform_tends_to_continuous(n):
    """m equally likely values: the exact KL against a 40-digit sum, below the continuous
    formula, and closing in on it as m grows (the gap falls ~ 1/m² once m >= n)."""
    ms = [10, 100, 1000, 10_000]
    gaps = []
    for m in ms:
        value = bon_kl_exact(np.arange(m, dtype=float), np.ones(m), n)
        if m <= 1000:
            # the package sums m terms with logs of size log m: ~1e-13 relative
            assert value == pytest.approx(float(_uniform_kl_reference(m, n)), rel=1e-12)
        gaps.append(bon_kl(n) - value)
    gaps = np.array(gaps)
    assert np.all(gaps > 0)
    assert np.all(np.diff(gaps) < 0)
    assert np.all(gaps[2:] < gaps[1:-1] / 50)
    assert gaps[-1] < 1e-5


def test_bon_kl_exact_order_and_ties_irrelevant():
    values = [3.0, 1.0, 2.0, 1.0, 3.0]
    probs = [0.1, 0.2, 0.3, 0.15, 0.25]
    merged = bon_kl_exact([1.0, 2.0, 3.0], [0.35, 0.3, 0.35], np.array([2, 7]))
    np.testing.assert_allclose(bon_kl_exact(values, probs, np.array([2, 7])), merged, rtol=1e-14)
    np.testing.assert_allclose(bon_kl_exact(values[::-1], probs[::-1], np.array([2, 7])), merged, rtol=1e-14)
    # a single value: best-of-n changes nothing
    assert bon_kl_exact([4.0, 4.0], [0.5, 0.5], 100) == 0.0


# ----- 4. Monte Carlo ----------------------------------------------------------------------------
MC_TRIALS = 20_000
MC_NS = np.array([4, 16, 64])
X_HEAVY = D.StudentT(nu=3.0, scale=math.sqrt(1 / 3))  # variance 1
V_HEAVY = D.Normal(sigma=2.0)
X_GIVEN_V_LAW = D.Normal(sigma=2.0)


def _footnote_x(v):
    """The footnote's X | V = v: N(0, 4) for |v| <= 1, else the point mass 0 (one law object,
    so the package groups every quadrature node in [-1, 1] under one law)."""
    return X_GIVEN_V_LAW if -1 <= v <= 1 else 0.0


def _mc_best_of_n(draw, r):
    """draw(k, seed) -> (x, v), k draws of (X, V); best of n over MC_TRIALS rows of n."""
    for k, (n, utility, proxy) in enumerate(zip(MC_NS, r.mean_utility, r.mean_proxy, strict=True)):
        xs, vs = draw(MC_TRIALS * int(n), 10 * k)
        xs, vs = xs.reshape(MC_TRIALS, int(n)), vs.reshape(MC_TRIALS, int(n))
        us = xs + vs
        best = np.argmax(us, axis=1)
        rows = np.arange(MC_TRIALS)
        for what, exact, draws in (("V", utility, vs[rows, best]), ("U", proxy, us[rows, best])):
            se = draws.std(ddof=1) / math.sqrt(MC_TRIALS)
            assert abs(exact - draws.mean()) <= 4 * se, (n, what, exact, draws.mean(), se)


def test_monte_carlo_heavy_error():
    r = bon_utility(X_HEAVY, V_HEAVY, MC_NS)
    assert np.all(np.isfinite(r.mean_utility)) and np.all(np.isfinite(r.mean_proxy))
    _mc_best_of_n(lambda k, seed: (X_HEAVY.sample(k, seed=seed + 1), V_HEAVY.sample(k, seed=seed + 2)), r)


def test_monte_carlo_dependent_footnote():
    r = bon_utility(_footnote_x, D.Normal(), MC_NS, breakpoints=(-1, 1))
    assert r.X.startswith("X | V = v given by")

    def draw(k, seed):
        v = D.Normal().sample(k, seed=seed + 3)
        return np.where(np.abs(v) <= 1, X_GIVEN_V_LAW.sample(k, seed=seed + 4), 0.0), v

    _mc_best_of_n(draw, r)


@pytest.mark.slow  # the swapped model's tail table takes minutes: U's hazard far in V's t tails
def test_swapped_roles_add_up_heavy():
    """E_bon[X] + E_bon[V] = E_bon[U] for a Student t error too (X and V independent)."""
    r = bon_utility(X_HEAVY, V_HEAVY, MC_NS)
    s = bon_utility(V_HEAVY, X_HEAVY, MC_NS)
    np.testing.assert_allclose(r.mean_utility + s.mean_utility, r.mean_proxy, rtol=1e-11)
    np.testing.assert_allclose(s.mean_proxy, r.mean_proxy, rtol=1e-11)


# ----- 6. Lévy error: no mean ----------------------------------------------------------------------
def test_levy_error():
    ns = np.array([1, 2, 10, 1000, 10**6])
    r = bon_utility(D.Levy(), D.Normal(), ns)
    assert np.all(np.isposinf(r.mean_proxy))
    assert "E[U] = ∞" in r.note and "no mean" in r.note
    assert np.all(np.isfinite(r.mean_utility))
    assert r.mean_utility[0] == 0.0
    # the best of many is picked by a huge X, whatever V is: E_bon[V] -> E[V] = 0
    assert np.all(np.diff(r.mean_utility[1:]) < 0)
    assert 0 < r.mean_utility[-1] < 1e-6


# ----- 7. bad input ----------------------------------------------------------------------------------
BAD_N = [0, -1, 2.5, True, [], math.nan, math.inf, np.array([1, 0]), "3", None]
BAD_N_IDS = ["0", "-1", "2.5", "True", "empty", "nan", "inf", "array-with-0", "str", "None"]


@pytest.mark.parametrize("n", BAD_N, ids=BAD_N_IDS)
def test_bad_n(n):
    with pytest.raises(ValueError, match="`n` must"):
        bon_kl(n)
    with pytest.raises(ValueError, match="`n` must"):
        bon_kl_exact([0.0, 1.0], [0.5, 0.5], n)
    with pytest.raises(ValueError, match="`n` must"):
        bon_utility(D.Normal(), D.Normal(), n)


@pytest.mark.parametrize("V", [D.Cauchy(), D.Levy(), D.Pareto(alpha=0.8)],
                         ids=["cauchy", "levy", "pareto0.8"])
def test_utility_without_finite_mean(V):
    with pytest.raises(ValueError, match="finite mean"):
        bon_utility(D.Normal(), V, 4)


def test_bad_laws():
    with pytest.raises(ValueError, match="`V` must be a catgoodhart distribution"):
        bon_utility(D.Normal(), "normal", 4)
    with pytest.raises(ValueError, match="`X` must be a catgoodhart distribution or a function"):
        bon_utility(1.0, D.Normal(), 4)
    with pytest.raises(ValueError, match="only when `X` is a function"):
        bon_utility(D.Normal(), D.Normal(), 4, breakpoints=(0.0,))


@pytest.mark.parametrize(("values", "probs", "match"), [
    ([], [], "non-empty"),
    ([[0.0, 1.0]], [[0.5, 0.5]], "1-D"),
    ([0.0, math.nan], [0.5, 0.5], "finite"),
    ([0.0, math.inf], [0.5, 0.5], "finite"),
    ([0.0, 1.0], [0.5, 0.3, 0.2], "shape"),
    ([0.0, 1.0], [0.5, -0.1], ">= 0"),
    ([0.0, 1.0], [0.0, 0.0], "not all 0"),
    ([0.0, 1.0], [0.5, math.nan], "finite"),
], ids=["empty", "2-D", "nan-value", "inf-value", "shape", "negative", "all-zero", "nan-prob"])
def test_bon_kl_exact_bad_input(values, probs, match):
    with pytest.raises(ValueError, match=match):
        bon_kl_exact(values, probs, 3)
