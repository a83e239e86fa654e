"""E[V | X + V >= t] and log P(X + V >= t) (Theorems 5 and 6) against independent references.

References, none of which uses the package's numerics:

* Normal X and V: U is Normal, E[V | U >= t] = μ_V + σ_V²/σ_U · φ(z)/Φ̄(z), z = (t - μ_V)/σ_U,
  with the Mills ratio from mpmath's erfc at 40 digits (it stays exact at z = 1000, where
  φ(z) and Φ̄(z) are both ~e^-500000 and underflow in double).
* Other pairs: mpmath quadrature (tanh-sinh, 30 digits) of
      ∫ v f_V(v) F̄_X(t - v) dv / ∫ f_V(v) F̄_X(t - v) dv
  with textbook densities and survival functions written in mpmath (Student t through the
  regularized incomplete beta function), the line cut at V's centre, at t - (X's centre) and
  at multiples of both scales around them, and the integrand divided by its largest value
  at those points so that mpmath's absolute stopping rule acts on an O(1) function.
* Monte Carlo with the package's samplers for moderate t (a check of the whole chain that
  shares no quadrature with either of the above).

Tolerances: the package integrates in log space in double precision with a design accuracy
of ~1e-12 relative; 1e-10 relative leaves a wide margin while catching a lost digit. Where
E[V | U >= t] is close to 0 it is a cancellation of ±v terms of the size of V's scale, so an
absolute floor of 1e-13 · scale(V) applies. Monte Carlo: 4 standard errors.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from catgoodhart import distributions as D
from catgoodhart.conditioning import conditional_utility, sum_logsf

DPS = 30
REL = 1e-10


def _close(value, ref, rel=REL, abs_=0.0):
    return abs(value - float(ref)) <= max(rel * abs(float(ref)), abs_)


# ----- textbook laws in mpmath: (log density, survival function) ---------------------------
def _mp_normal(mu=0.0, sigma=1.0):
    mu, sigma = mp.mpf(mu), mp.mpf(sigma)

    def logpdf(x):
        z = (x - mu) / sigma
        return -z * z / 2 - mp.log(sigma * mp.sqrt(2 * mp.pi))

    def sf(x):
        return mp.erfc((x - mu) / (sigma * mp.sqrt(2))) / 2

    return logpdf, sf


def _mp_student(nu, loc=0.0, scale=1.0):
    nu, loc, scale = mp.mpf(nu), mp.mpf(loc), mp.mpf(scale)
    log_c = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(mp.sqrt(nu * mp.pi) * scale)

    def logpdf(x):
        z = (x - loc) / scale
        return log_c - (nu + 1) / 2 * mp.log(1 + z * z / nu)

    def sf(x):
        # P(T >= z) = I_{ν/(ν+z²)}(ν/2, 1/2) / 2 for z >= 0
        z = (x - loc) / scale
        tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
        return tail if z >= 0 else 1 - tail

    return logpdf, sf


def _mp_lognormal_sf(mu, sigma, loc=0.0):
    mu, sigma, loc = mp.mpf(mu), mp.mpf(sigma), mp.mpf(loc)

    def sf(x):
        if x <= loc:
            return mp.mpf(1)
        return mp.erfc((mp.log(x - loc) - mu) / (sigma * mp.sqrt(2))) / 2

    return sf


def _mp_exponential_sf(rate, loc=0.0):
    rate, loc = mp.mpf(rate), mp.mpf(loc)
    return lambda x: mp.mpf(1) if x <= loc else mp.exp(-rate * (x - loc))


def _mp_gumbel_logpdf(mu, beta):
    mu, beta = mp.mpf(mu), mp.mpf(beta)

    def logpdf(x):
        z = (x - mu) / beta
        if z < -50:  # density < exp(-e^50): 0 at 30 digits; spares mpmath exp(e^huge)
            return -mp.inf
        return -z - mp.exp(-z) - mp.log(beta)

    return logpdf


# ----- quadrature reference -----------------------------------------------------------------
def _cuts(t, v_center, v_scale, x_center, x_scale, extra=()):
    """Break points for v: V's centre, the v where t - v is X's centre, t, and multiples of
    the scales around the first two (the integrand's mass sits near one of them)."""
    t = mp.mpf(t)
    pts = {mp.mpf(v_center), t - x_center, t, *(mp.mpf(e) for e in extra)}
    for k in (2, 8, 40):
        pts.update({v_center - k * v_scale, v_center + k * v_scale,
                    t - x_center - k * x_scale, t - x_center + k * x_scale})
    return [-mp.inf, *sorted(pts), mp.inf]


def _quad_reference(logpdf_v, sf_x, t, cuts):
    """(E[V | X + V >= t], log P(X + V >= t)) for independent X, V."""
    t = mp.mpf(t)

    def logg(v):
        s = sf_x(t - v)
        return logpdf_v(v) + mp.log(s) if s > 0 else -mp.inf

    top = max(logg(p) for p in cuts if mp.isfinite(p))
    g = lambda v: mp.exp(logg(v) - top)  # noqa: E731
    z0 = mp.quad(g, cuts)
    z1 = mp.quad(lambda v: v * g(v), cuts)
    return z1 / z0, mp.log(z0) + top


def _mills(z):
    """φ(z)/Φ̄(z) in mpmath (erfc keeps Φ̄ exact far in the tail)."""
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi) / (mp.erfc(z / mp.sqrt(2)) / 2)


def _normal_reference(mu_v, sigma_v, sigma_x, t):
    with mp.workdps(40):
        mu_v, sigma_v, sigma_x = mp.mpf(mu_v), mp.mpf(sigma_v), mp.mpf(sigma_x)
        sigma_u = mp.sqrt(sigma_x**2 + sigma_v**2)
        return mu_v + sigma_v**2 / sigma_u * _mills((mp.mpf(t) - mu_v) / sigma_u)


# ----- 1. Normal + Normal: closed form ----------------------------------------------------------
NORMAL_PAIRS = [(0.0, 1.0, 1.0), (0.3, 0.7, 1.5), (-2.0, 3.0, 0.2), (5.0, 0.1, 4.0)]


@pytest.mark.parametrize(("mu_v", "sigma_v", "sigma_x"), NORMAL_PAIRS)
def test_normal_closed_form(mu_v, sigma_v, sigma_x):
    sigma_u = math.hypot(sigma_x, sigma_v)
    ts = mu_v + sigma_u * np.array([-30.0, -5.0, -1.0, 0.0, 0.5, 2.0, 10.0, 40.0, 100.0, 300.0, 1000.0])
    got = conditional_utility(D.Normal(sigma=sigma_x), D.Normal(mu=mu_v, sigma=sigma_v), ts)
    assert isinstance(got, np.ndarray) and got.shape == ts.shape
    for t, value in zip(ts, got, strict=True):
        ref = _normal_reference(mu_v, sigma_v, sigma_x, t)
        z = (t - mu_v) / sigma_u
        # far out (z ~ 1000) the package's log-weights are ~ -z²/2 = -5e5, and an ulp of those
        # (~1e-10 absolute) moves the weights by that much relative: up to 1e-11 on the ratio
        # after the averaging of the quadrature, 1e-12 elsewhere (observed: ~1e-14 at z = 1000)
        rel = 1e-11 if z > 150 else 1e-12
        assert _close(value, ref, rel=rel, abs_=1e-13 * sigma_v), (t, value, float(ref))


def test_normal_closed_form_scalar_returns_float():
    value = conditional_utility(D.Normal(sigma=2.0), D.Normal(), 1.0)
    assert type(value) is float
    assert _close(value, _normal_reference(0.0, 1.0, 2.0, 1.0), rel=1e-12)
    assert conditional_utility(D.Normal(sigma=2.0), D.Normal(), np.array([[1.0, 2.0]])).shape == (1, 2)


def test_quadrature_reference_matches_closed_form():
    """The quadrature helper against the Normal closed form (guards the reference itself)."""
    with mp.workdps(DPS):
        logpdf_v, _ = _mp_normal(0.3, 0.7)
        _, sf_x = _mp_normal(0.0, 1.5)
        for t in (-3.0, 0.0, 4.0, 60.0):
            got, log_p = _quad_reference(logpdf_v, sf_x, t, _cuts(t, 0.3, 0.7, 0.0, 1.5))
            sigma_u = mp.sqrt(mp.mpf(0.7) ** 2 + mp.mpf(1.5) ** 2)
            want = _normal_reference(0.3, 0.7, 1.5, t)
            assert abs(got - want) < mp.mpf(10) ** -25 * (1 + abs(want))
            log_sf = mp.log(mp.erfc((t - mp.mpf(0.3)) / (sigma_u * mp.sqrt(2))) / 2)
            assert abs(log_p - log_sf) < mp.mpf(10) ** -25 * (1 + abs(log_sf))


# ----- 2. non-Gaussian pairs: mpmath quadrature -----------------------------------------------
# (id, X, V, mpmath log f_V, mpmath F̄_X, (V centre, V scale), (X centre, X scale), X's lower end, ts)
QUAD_CASES = [
    ("student3+normal", D.StudentT(nu=3.0), D.Normal(mu=0.5, sigma=1.2),
     _mp_normal(0.5, 1.2)[0], _mp_student(3.0)[1], (0.5, 1.2), (0.0, 1.0), None,
     (0.0, 3.0, 30.0, 1e3, 1e6)),
    ("lognormal+normal", D.LogNormal(mu=0.2, sigma=0.8, loc=-1.0), D.Normal(sigma=2.0),
     _mp_normal(0.0, 2.0)[0], _mp_lognormal_sf(0.2, 0.8, -1.0), (0.0, 2.0), (0.22, 1.0), -1.0,
     (-2.0, 1.0, 5.0, 50.0, 1e3)),
    ("exponential+gumbel", D.Exponential(rate=1.5, loc=0.5), D.Gumbel(mu=0.2, beta=0.8),
     _mp_gumbel_logpdf(0.2, 0.8), _mp_exponential_sf(1.5, 0.5), (0.5, 0.8), (0.96, 0.67), 0.5,
     (-1.0, 0.0, 2.0, 10.0, 100.0)),
    ("normal+student10", D.Normal(sigma=1.0), D.StudentT(nu=10.0, loc=-0.5, scale=1.5),
     _mp_student(10.0, -0.5, 1.5)[0], _mp_normal(0.0, 1.0)[1], (-0.5, 1.5), (0.0, 1.0), None,
     (0.0, 3.0, 10.0, 100.0, 1e3)),
]
_QUAD_REF = {}


def _quad_case_reference(case, t):
    case_id, _, _, logpdf_v, sf_x, (vc, vs), (xc, xs), x_lower, _ = case
    key = (case_id, t)
    if key not in _QUAD_REF:
        with mp.workdps(DPS):
            # X's lower end is a kink of F̄_X(t - v), at v = t - lower end
            cuts = _cuts(t, vc, vs, xc, xs, () if x_lower is None else (t - x_lower,))
            _QUAD_REF[key] = tuple(float(r) for r in _quad_reference(logpdf_v, sf_x, t, cuts))
    return _QUAD_REF[key]


@pytest.mark.parametrize("case", QUAD_CASES, ids=[c[0] for c in QUAD_CASES])
def test_against_mpmath_quadrature(case):
    case_id, X, V, *_, ts = case
    got = conditional_utility(X, V, np.array(ts))
    got_log = sum_logsf(X, V, np.array(ts))
    bad = []
    for t, value, log_p in zip(ts, got, got_log, strict=True):
        ref, log_ref = _quad_case_reference(case, t)
        floor = 1e-13 * float(V.isf(0.25) - V.ppf(0.25))
        if not _close(value, ref, abs_=floor):
            bad.append(f"E[V|U>=t] at t={t}: package {value!r}, mpmath {ref!r}")
        if not _close(log_p, log_ref, abs_=1e-15):
            bad.append(f"log P(U>=t) at t={t}: package {log_p!r}, mpmath {log_ref!r}")
        # each scalar call agrees with the vectorized one, up to how numpy's exp and log round
        # on one number and on an array (each within 1 ulp, so 2 ulps apart): perturbing every
        # numpy call of the quadrature by 2 ulps moves these values by at most 4.3e-14 relative
        assert conditional_utility(X, V, t) == pytest.approx(value, rel=1e-13, abs=1e-15)
    assert not bad, f"{case_id}:\n" + "\n".join(bad)


# ----- 3. Monte Carlo -----------------------------------------------------------------------
MC_DRAWS = 2_000_000


def _mc_check(v, u, ts, exact):
    for t, value in zip(ts, np.atleast_1d(exact), strict=True):
        sel = v[u >= t]
        assert sel.size > 1000, (t, sel.size)
        se = sel.std(ddof=1) / math.sqrt(sel.size)
        assert abs(value - sel.mean()) <= 4 * se, (t, value, sel.mean(), se)


@pytest.mark.parametrize(("X", "V", "ts"), [
    (D.StudentT(nu=3.0), D.Normal(mu=0.5, sigma=1.2), (0.0, 2.0, 5.0)),
    (D.LogNormal(mu=0.2, sigma=0.8, loc=-1.0), D.Normal(sigma=2.0), (0.0, 3.0, 6.0)),
    (D.Exponential(rate=1.5, loc=0.5), D.Gumbel(mu=0.2, beta=0.8), (1.0, 3.0, 5.0)),
    (D.Laplace(mu=0.5, b=2.0), D.Weibull(shape=2.0, scale=1.5), (1.0, 4.0, 8.0)),
], ids=["student3+normal", "lognormal+normal", "exponential+gumbel", "laplace+weibull"])
def test_monte_carlo(X, V, ts):
    x = X.sample(MC_DRAWS, seed=11)
    v = V.sample(MC_DRAWS, seed=12)
    _mc_check(v, x + v, ts, conditional_utility(X, V, np.array(ts)))


def _footnote_x(v):
    return D.Normal(sigma=2.0) if -1 <= v <= 1 else 0.0


def test_monte_carlo_dependent_footnote():
    v = D.Normal().sample(MC_DRAWS, seed=21)
    z = D.Normal(sigma=2.0).sample(MC_DRAWS, seed=22)
    u = v + np.where(np.abs(v) <= 1, z, 0.0)
    ts = (0.0, 1.0, 2.0, 3.0)
    _mc_check(v, u, ts, conditional_utility(_footnote_x, D.Normal(), np.array(ts), breakpoints=(-1, 1)))


# ----- 4. log P(X + V >= t) ----------------------------------------------------------------------
def test_sum_logsf_normal_closed_form():
    sigma_u = math.hypot(1.5, 0.7)
    ts = 0.3 + sigma_u * np.array([-8.0, -3.0, 0.0, 1.0, 5.0, 20.0, 38.0, 60.0, 141.0, 300.0])
    got = sum_logsf(D.Normal(sigma=1.5), D.Normal(mu=0.3, sigma=0.7), ts)
    want = stats.norm.logsf((ts - 0.3) / sigma_u)
    assert want[-2] < -9e3  # P underflows in double there
    # 1e-12 relative (the design accuracy); near 0 (t far left) an absolute 1e-15
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.all(got <= 0)


def test_sum_logsf_student_underflow():
    """StudentT(3) + Normal out to t = 1e120, where P ~ t^-3 underflows in double."""
    logpdf_v, _ = _mp_normal(0.5, 1.2)
    _, sf_x = _mp_student(3.0)
    ts = (1e5, 1e40, 1e120)
    got = sum_logsf(D.StudentT(nu=3.0), D.Normal(mu=0.5, sigma=1.2), np.array(ts))
    for t, value in zip(ts, got, strict=True):
        with mp.workdps(DPS):
            _, ref = _quad_reference(logpdf_v, sf_x, t, _cuts(t, 0.5, 1.2, 0.0, 1.0))
        assert _close(value, ref, rel=1e-12), (t, value, float(ref))
    assert got[-1] < -700


_LOG_P_PAIRS = [
    pytest.param(D.Normal(sigma=1.5), D.Normal(sigma=0.7), id="normal+normal"),
    pytest.param(D.StudentT(nu=3.0), D.Normal(), id="student3+normal"),
    pytest.param(D.Gumbel(), D.Laplace(b=0.5), id="gumbel+laplace"),
    pytest.param(D.Levy(), D.Normal(), id="levy+normal"),
]


@pytest.mark.parametrize(("X", "V"), _LOG_P_PAIRS)
def test_sum_logsf_is_a_log_probability(X, V):
    """log P is <= 0 and non-increasing in t, also far to the left where P rounds to 1."""
    ts = np.linspace(-60.0, 60.0, 241)
    got = sum_logsf(X, V, ts)
    assert np.all(np.diff(got) <= 1e-15), (X, V)
    assert np.all(got <= 0), (X, V, ts[got > 0], got.max())


# ----- 5. dependent X and V -----------------------------------------------------------------------
def _footnote_reference(t):
    """(E[V | U >= t], log P(U >= t)) for V ~ N(0, 1), X | V ~ N(0, 4) on |V| <= 1, X = 0 off it."""
    with mp.workdps(DPS):
        t = mp.mpf(t)
        phi = lambda v: mp.exp(-v * v / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
        sf_n = lambda z: mp.erfc(z / mp.sqrt(2)) / 2  # noqa: E731
        # |V| <= 1: ∫ (1, v) φ(v) P(N(0, 4) >= t - v) dv, scaled by its value at v = 1 (the
        # maximum for t >= 1: the weight concentrates there as t grows)
        log_g = lambda v: -v * v / 2 - mp.log(mp.sqrt(2 * mp.pi)) + mp.log(sf_n((t - v) / 2))  # noqa: E731
        top = max(log_g(mp.mpf(p)) for p in (-1, 0, 1))
        g = lambda v: mp.exp(log_g(v) - top)  # noqa: E731
        cuts = [-1, 0, 0.9, 0.99, 0.999, 1]
        m0 = mp.quad(g, cuts) * mp.exp(top)
        m1 = mp.quad(lambda v: v * g(v), cuts) * mp.exp(top)
        # |V| > 1: X = 0, so U >= t  <=>  V >= t; ∫_a^b φ = Φ̄(a) - Φ̄(b), ∫_a^b v φ = φ(a) - φ(b)
        for a, b in ((max(t, mp.mpf(1)), mp.inf), (t, mp.mpf(-1))):
            if a < b:
                m0 += sf_n(a) - (sf_n(b) if mp.isfinite(b) else 0)
                m1 += phi(a) - (phi(b) if mp.isfinite(b) else 0)
        return float(m1 / m0), float(mp.log(m0))


def test_dependent_footnote_against_mpmath():
    ts = np.array([-3.0, 0.0, 1.0, 2.0, 5.0, 20.0, 100.0])
    got = conditional_utility(_footnote_x, D.Normal(), ts, breakpoints=(-1, 1))
    got_log = sum_logsf(_footnote_x, D.Normal(), ts, breakpoints=(-1, 1))
    for t, value, log_p in zip(ts, got, got_log, strict=True):
        ref, log_ref = _footnote_reference(t)
        assert _close(value, ref, abs_=1e-13), (t, value, ref)
        assert _close(log_p, log_ref, abs_=1e-15), (t, log_p, log_ref)


def test_dependent_footnote_tends_to_one():
    """The weight on [-1, 1] ∝ exp(-v²/2 - (t - v)²/8) piles up at v = 1, while V >= t off
    [-1, 1] costs e^{-t²/2}: E[V | U >= t] -> 1, not 0 (and not t)."""
    value = conditional_utility(_footnote_x, D.Normal(), 1000.0, breakpoints=(-1, 1))
    assert 0.99 < value < 1.0
    ref, _ = _footnote_reference(1000.0)
    assert _close(value, ref), (value, ref)
    ts = np.array([10.0, 100.0, 1000.0, 1e4])
    got = conditional_utility(_footnote_x, D.Normal(), ts, breakpoints=(-1, 1))
    assert np.all(np.diff(got) > 0) and np.all(got < 1.0)
    # to first order the weight near 1 is exp(-(t - 1)(1 - v)/4): 1 - E ≈ 4/(t - 1)
    assert 1 - got[-1] == pytest.approx(4 / (1e4 - 1), rel=1e-2)


@pytest.mark.parametrize("a", [-0.5, 0.5, 2.0])
def test_dependent_linear_gaussian(a):
    """X | V = v ~ N(a v, 1): U = (1 + a) V + Z, E[V | U >= t] = (1 + a) σ_V²/σ_U · Mills(t/σ_U)."""
    sigma_v = 1.3
    ts = np.array([-2.0, 0.0, 1.0, 4.0, 15.0])
    got = conditional_utility(lambda v: D.Normal(mu=a * v, sigma=1.0), D.Normal(sigma=sigma_v), ts)
    with mp.workdps(40):
        sigma_u = mp.sqrt((1 + mp.mpf(a)) ** 2 * mp.mpf(sigma_v) ** 2 + 1)
        for t, value in zip(ts, got, strict=True):
            ref = (1 + mp.mpf(a)) * mp.mpf(sigma_v) ** 2 / sigma_u * _mills(mp.mpf(t) / sigma_u)
            assert _close(value, ref, abs_=1e-13), (a, t, value, float(ref))


# ----- 6. a constant callable is the independent case ------------------------------------------
@pytest.mark.parametrize(("X", "V"), [
    (D.Normal(sigma=1.5), D.Normal(mu=0.3, sigma=0.7)),
    (D.StudentT(nu=3.0), D.Normal()),
    (D.Exponential(rate=1.5, loc=0.5), D.Gumbel(mu=0.2, beta=0.8)),
], ids=["normal+normal", "student3+normal", "exponential+gumbel"])
def test_constant_callable_matches_independent(X, V):
    ts = np.array([-2.0, 0.0, 3.0, 30.0, 300.0])
    want = conditional_utility(X, V, ts)
    got = conditional_utility(lambda v: X, V, ts)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sum_logsf(lambda v: X, V, ts), sum_logsf(X, V, ts), rtol=1e-12, atol=1e-15)


# ----- 7. properties --------------------------------------------------------------------------------
_settings = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_sigma = st.floats(0.05, 20.0)


@_settings
@given(_sigma, _sigma, st.floats(-10.0, 10.0), st.floats(-40.0, 200.0))
def test_normal_bounds_and_closed_form(sigma_x, sigma_v, mu_v, z):
    """E[V] <= E[V | U >= t] (F̄_X(t - v) increases in v) and, Mills(z) < max(z, 0) + 1, an
    upper bound; plus the closed form itself."""
    sigma_u = math.hypot(sigma_x, sigma_v)
    t = mu_v + z * sigma_u
    value = conditional_utility(D.Normal(sigma=sigma_x), D.Normal(mu=mu_v, sigma=sigma_v), t)
    slack = 1e-12 * (abs(mu_v) + sigma_v**2 / sigma_u * (abs(z) + 1))
    assert value >= mu_v - slack
    assert value <= mu_v + sigma_v**2 / sigma_u * (max(z, 0.0) + 1) + slack
    assert _close(value, _normal_reference(mu_v, sigma_v, sigma_x, t), rel=1e-11, abs_=slack)


_LOG_CONCAVE = [D.Normal(mu=0.5, sigma=1.5), D.Gumbel(mu=-1.0, beta=0.7), D.Laplace(mu=0.3, b=2.0),
                D.Exponential(rate=0.8, loc=-1.0), D.Normal(sigma=0.2)]


@_settings
@given(st.sampled_from(_LOG_CONCAVE), st.sampled_from(_LOG_CONCAVE), st.floats(-5.0, 5.0))
def test_monotone_in_t_for_log_concave(X, V, start):
    """For log-concave X, F̄_X(t - v) is TP2 in (v, t): V | U >= t increases in t in the
    likelihood-ratio order, so E[V | U >= t] is non-decreasing in t."""
    ts = start + np.concatenate([np.linspace(0.0, 10.0, 41), [20.0, 50.0, 100.0]])
    got = conditional_utility(X, V, ts)
    scale = float(V.isf(0.25) - V.ppf(0.25))
    assert np.all(np.diff(got) >= -1e-11 * (np.abs(got[1:]) + scale)), (X, V, got)
    assert np.all(got >= V.mean - 1e-12 * scale)


def _scaled(dist, a, c=0.0):
    """The law of a·X + c for a > 0, through the family's own parameters."""
    if isinstance(dist, D.Normal):
        return D.Normal(mu=a * dist.mu + c, sigma=a * dist.sigma)
    if isinstance(dist, D.StudentT):
        return D.StudentT(nu=dist.nu, loc=a * dist.loc + c, scale=a * dist.scale)
    if isinstance(dist, D.Gumbel):
        return D.Gumbel(mu=a * dist.mu + c, beta=a * dist.beta)
    if isinstance(dist, D.Laplace):
        return D.Laplace(mu=a * dist.mu + c, b=a * dist.b)
    raise AssertionError(dist)


_PAIRS = [(D.Normal(sigma=1.5), D.Normal(mu=0.3, sigma=0.7)),
          (D.StudentT(nu=3.0), D.Normal(mu=0.5)),
          (D.Gumbel(mu=0.2, beta=0.8), D.Laplace(mu=-0.4, b=1.1)),
          (D.Normal(), D.StudentT(nu=5.0, scale=2.0))]


@_settings
@given(st.sampled_from(_PAIRS), st.floats(1e-3, 1e3), st.floats(-5.0, 30.0))
def test_scale_equivariance(pair, a, t):
    X, V = pair
    base = conditional_utility(X, V, t)
    scaled = conditional_utility(_scaled(X, a), _scaled(V, a), a * t)
    assert _close(scaled, a * base, rel=1e-10, abs_=1e-12 * a), (a, t, base, scaled)
    assert _close(sum_logsf(_scaled(X, a), _scaled(V, a), a * t), sum_logsf(X, V, t), rel=1e-10, abs_=1e-14)


@_settings
@given(st.sampled_from(_PAIRS), st.floats(-1e3, 1e3), st.floats(-5.0, 30.0))
def test_shift(pair, c, t):
    """V -> V + c and t -> t + c add c; X -> X + c and t -> t + c change nothing."""
    X, V = pair
    base = conditional_utility(X, V, t)
    shifted_v = conditional_utility(X, _scaled(V, 1.0, c), t + c)
    # the shifted result carries the rounding of t + c and of the shifted means: ~1e-16 |c|
    assert _close(shifted_v, base + c, rel=1e-10, abs_=1e-12 * (1 + abs(c))), (c, t, base, shifted_v)
    shifted_x = conditional_utility(_scaled(X, 1.0, c), V, t + c)
    assert _close(shifted_x, base, rel=1e-10, abs_=1e-12 * (1 + abs(c))), (c, t, base, shifted_x)


# ----- 8. Theorems 5 and 6 ------------------------------------------------------------------------
def test_theorem_5_heavy_error_utility_returns_to_mean():
    """Heavy-tailed X, light V: E[V | U >= t] -> E[V]; for Student t(3) and V ~ N(0, 1) the
    excess is ≈ 3 Var(V)/t (the score d/dt log F̄_X(t) = -3/t)."""
    ts = np.array([1e2, 1e3, 1e4, 1e5, 1e6])
    got = conditional_utility(D.StudentT(nu=3.0), D.Normal(), ts)
    assert abs(got[-1]) < 1e-4
    np.testing.assert_allclose(got * ts, 3.0, rtol=5e-2)
    assert np.all(np.diff(got) < 0)


def test_theorem_6_light_error_utility_grows():
    """Light-tailed (Normal) X: E[V | U >= t] grows linearly, slope σ_V²/σ_U²."""
    sigma_x, sigma_v = 1.5, 0.7
    slope = sigma_v**2 / (sigma_x**2 + sigma_v**2)
    ts = np.array([10.0, 100.0, 1e3, 1e4])
    got = conditional_utility(D.Normal(sigma=sigma_x), D.Normal(sigma=sigma_v), ts)
    assert got[-1] == pytest.approx(slope * 1e4, rel=1e-6)
    assert np.all(np.diff(got) > 0)
    # E = slope · t + σ_V²/σ_U · (Mills(z) - z) and Mills(z) - z ≈ 1/z: the ratio tends to slope
    np.testing.assert_allclose(got[1:] / ts[1:], slope, rtol=1e-3)
    assert np.all(np.diff(got / ts) < 0)


def test_infinite_and_undefined_means():
    ts = np.array([0.0, 5.0])
    assert conditional_utility(D.Normal(), D.Levy(), 1.0) == math.inf
    np.testing.assert_array_equal(conditional_utility(D.Normal(), D.Levy(), ts), [math.inf, math.inf])
    assert math.isnan(conditional_utility(D.Normal(), D.Cauchy(), 1.0))
    assert np.all(np.isnan(conditional_utility(D.StudentT(nu=3.0), D.Cauchy(loc=1.0), ts)))


# ----- 9. bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [[], np.array([]), math.nan, math.inf, -math.inf, [0.0, math.nan]],
                         ids=["empty-list", "empty-array", "nan", "inf", "-inf", "nan-in-array"])
def test_bad_t(t):
    match = "empty" if np.size(t) == 0 else "finite"
    with pytest.raises(ValueError, match=match):
        conditional_utility(D.Normal(), D.Normal(), t)
    with pytest.raises(ValueError, match=match):
        sum_logsf(D.Normal(), D.Normal(), t)


@pytest.mark.parametrize("V", ["normal", 1.0, None, stats.norm()], ids=["str", "float", "None", "scipy"])
def test_bad_v(V):
    for fn in (conditional_utility, sum_logsf):
        with pytest.raises(ValueError, match="`V` must be a catgoodhart distribution"):
            fn(D.Normal(), V, 1.0)


@pytest.mark.parametrize("X", ["normal", 1.0, None, stats.norm()], ids=["str", "float", "None", "scipy"])
def test_bad_x(X):
    for fn in (conditional_utility, sum_logsf):
        with pytest.raises(ValueError, match="`X` must be a catgoodhart distribution or a function"):
            fn(X, D.Normal(), 1.0)


def test_bad_breakpoints():
    with pytest.raises(ValueError, match="only when `X` is a function"):
        conditional_utility(D.Normal(), D.Normal(), 1.0, breakpoints=(0.0,))
    for points in ((math.nan,), (0.0, math.inf), (-math.inf,)):
        with pytest.raises(ValueError, match="`breakpoints` must be finite"):
            conditional_utility(_footnote_x, D.Normal(), 1.0, breakpoints=points)


@pytest.mark.parametrize(("X", "points", "match"), [
    (lambda v: "junk", (), "returned"),
    (lambda v: None, (), "returned"),
    (lambda v: True, (), "returned"),
    (lambda v: v, (), "same finite point mass"),  # a point mass that moves with v
    (lambda v: 2.0 * v if v > 0 else 0.0, (0.0,), "same finite point mass"),
    (lambda v: math.inf, (), "same finite point mass"),
    (lambda v: D.Normal() if v > 0 else 0.0, (), "kind may change only at `breakpoints`"),
    # the footnote without its breakpoints: caught where a quadrature node leaves [-1, 1]
    (_footnote_x, (), "point masses from continuous laws with `breakpoints`"),
], ids=["str", "None", "bool", "moving-atom", "moving-atom-right", "inf-atom", "mixed-kinds",
        "footnote-unbroken"])
def test_bad_callable(X, points, match):
    for fn in (conditional_utility, sum_logsf):
        with pytest.raises(ValueError, match=match):
            fn(X, D.Normal(), np.array([0.0, 2.0]), breakpoints=points)


def test_callable_junk_away_from_the_probes():
    """A law that turns into junk only far out (where only the quadrature looks) is caught."""
    X = lambda v: D.Normal() if abs(v) < 3 else "junk"  # noqa: E731
    with pytest.raises(ValueError, match="returned 'junk'"):
        conditional_utility(X, D.Normal(), 0.0)
