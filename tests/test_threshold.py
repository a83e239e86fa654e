"""The Theorem 1 family P_{t,p}: exact mean and KL against 50-digit mpmath references,
P as a distribution, and bad input.

The references are independent of the package: each base law's textbook density is
written in mpmath and integrated by mpmath quadrature at 50 digits (the Normal far out,
where F̄(t) underflows in double, uses mpmath's erfc closed form instead). From
F̄(t) = ∫_t^∞ f, M₊(t) = ∫_t^∞ x f and μ = ∫ x f:

    E_P[X] = (1 - p)(μ - M₊)/(1 - F̄) + p M₊/F̄,
    KL     = (1 - p) log((1 - p)/(1 - F̄)) + p log(p/F̄).

Tolerance: the package works in double precision from closed forms in log space, so each
quantity carries a few ulps per operation; 1e-10 relative (1e-14 absolute near 0) is the
issue's bound and leaves a wide margin for that while still catching a lost digit of the
formulas (e.g. F(t) computed as 1 - F̄ when F̄ is tiny, or a non-log-space F̄).
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from catgoodhart import distributions as D
from catgoodhart.threshold import threshold_curve, threshold_distribution

DPS = 50
REL = 1e-10
ABS = 1e-14


# ----- textbook densities in mpmath ---------------------------------------------------
def _student_pdf(nu):
    nu = mp.mpf(nu)
    with mp.workdps(DPS + 10):
        c = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))

    def f(x):
        return c * (1 + x * x / nu) ** (-(nu + 1) / 2)

    return f


def _pareto_pdf(alpha, xm):
    alpha, xm = mp.mpf(alpha), mp.mpf(xm)
    return lambda x: alpha * xm**alpha / x ** (alpha + 1) if x >= xm else mp.mpf(0)


def _lognormal_pdf(mu, sigma):
    mu, sigma = mp.mpf(mu), mp.mpf(sigma)
    return lambda x: (mp.exp(-((mp.log(x) - mu) ** 2) / (2 * sigma**2)) / (x * sigma * mp.sqrt(2 * mp.pi))
                      if x > 0 else mp.mpf(0))


def _normal_pdf(mu, sigma):
    mu, sigma = mp.mpf(mu), mp.mpf(sigma)

    def f(x):
        z = (x - mu) / sigma
        # beyond 100σ the density (< e^-5000) is 0 at 50 digits; cutting it there keeps
        # mpmath from evaluating exp(-e^(2u)) for the huge u of the x = e^u substitution
        if abs(z) > 100:
            return mp.mpf(0)
        return mp.exp(-z * z / 2) / (sigma * mp.sqrt(2 * mp.pi))

    return f


# ----- mpmath quadrature --------------------------------------------------------------
def _u_breaks(g):
    """Breakpoints on u in [0, ∞) for an integrand g(u) that decays from its value at 0:
    start at the decay scale h = 1/|d log g/du (0)| and go out geometrically."""
    d = abs(mp.diff(lambda u: mp.log(g(u)), 0, direction=1))  # one-sided: g may jump at 0
    h = min(mp.mpf(1), 1 / d) if mp.isfinite(d) and d > 0 else mp.mpf(1)
    pts = [mp.mpf(0), h / 10]
    while pts[-1] < 200:
        pts.append(pts[-1] * 10)
    return [*pts, mp.inf]


def _upper(f, t):
    """(∫_t^∞ f, ∫_t^∞ x f) for t > 0 via x = t e^u (power tails become exponential)."""
    t = mp.mpf(t)
    out = []
    for power in (1, 2):
        # mpmath's quad stops on an absolute error of ~10^-dps: integrate g/g(0), which is
        # O(1), so that tiny tails (F̄ = 1e-80) keep all their digits
        scale = f(t) * t**power
        g = lambda u, power=power, scale=scale: f(t * mp.exp(u)) * (t * mp.exp(u)) ** power / scale  # noqa: E731
        out.append(scale * mp.quad(g, _u_breaks(g)))
    return tuple(out)


def _positive_part(f, sign=1):
    """(∫_0^∞ f(sign·x) dx, ∫_0^∞ x f(sign·x) dx) via x = e^u, u over the reals."""
    pts = [-mp.inf, -20, -5, -2, -1, 0, 1, 2, 3, 5, 10, 20, mp.inf]
    m0 = mp.quad(lambda u: f(sign * mp.exp(u)) * mp.exp(u), pts)
    m1 = mp.quad(lambda u: f(sign * mp.exp(u)) * mp.exp(2 * u), pts)
    return m0, m1


def _reference(f, t, p, lower_bound=None):
    """50-digit (E_P[X], KL) for the density f, threshold t > 0 and p (mpf or float).

    lower_bound: the left end of the support (> 0) or None for a law on the whole line /
    on (0, ∞)."""
    sf, m_plus = _upper(f, t)
    if lower_bound is not None:
        total, mu = _upper(f, lower_bound)
    else:
        pos0, pos1 = _positive_part(f)
        neg0, neg1 = _positive_part(f, -1)
        total, mu = pos0 + neg0, pos1 - neg1
    return _combine(sf, m_plus, mu, p, total)


def _combine(sf, m_plus, mu, p, total=1):
    p = mp.mpf(p)
    cdf = total - sf
    mean = (1 - p) * (mu - m_plus) / cdf + p * m_plus / sf
    kl = (1 - p) * mp.log((1 - p) / cdf) + p * mp.log(p / sf)
    return mean, kl


def _normal_closed(mu, sigma, t, p):
    """Normal reference by mpmath's erfc: F̄ = erfc(z/√2)/2, M₊ = μF̄ + σφ(z)."""
    mu, sigma = mp.mpf(mu), mp.mpf(sigma)
    z = (mp.mpf(t) - mu) / sigma
    sf = mp.erfc(z / mp.sqrt(2)) / 2
    phi = mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
    return _combine(sf, mu * sf + sigma * phi, mu, p)


# ----- the cases ----------------------------------------------------------------------
P_VALUES = (1e-12, 1e-6, 1e-3, 0.1, 0.5)

# (id, package law, mpmath density, lower bound of the support or None, thresholds)
CASES = [
    ("student_t(1.5)", D.StudentT(nu=1.5), _student_pdf(1.5), None, (1.0, 10.0, 1e3, 1e6, 1e8)),
    ("student_t(2)", D.StudentT(nu=2.0), _student_pdf(2.0), None, (0.5, 3.0, 1e4, 1e8)),
    ("student_t(3)", D.StudentT(nu=3.0), _student_pdf(3.0), None, (1.0, 100.0, 1e5, 1e8)),
    ("student_t(10)", D.StudentT(nu=10.0), _student_pdf(10.0), None, (0.25, 5.0, 1e3, 1e8)),
    ("pareto(1.5)", D.Pareto(alpha=1.5, xm=1.0), _pareto_pdf(1.5, 1.0), 1.0,
     (2.0 ** (1 / 1.5), 3.0, 1e3, 1e8)),
    ("pareto(3,xm=2)", D.Pareto(alpha=3.0, xm=2.0), _pareto_pdf(3.0, 2.0), 2.0,
     (2.0 * 2.0 ** (1 / 3), 10.0, 1e4, 1e8)),
    ("lognormal(0.5)", D.LogNormal(mu=0.0, sigma=0.5), _lognormal_pdf(0.0, 0.5), None,
     (1.0, 2.0, 10.0, 100.0, 1e4)),
    ("lognormal(1)", D.LogNormal(mu=0.3, sigma=1.0), _lognormal_pdf(0.3, 1.0), None,
     (math.exp(0.3), 10.0, 1e3, 1e6, 1e8)),
    ("normal(1,2)", D.Normal(mu=1.0, sigma=2.0), _normal_pdf(1.0, 2.0), None, (1.0, 3.0, 10.0, 30.0)),
]

_REF_CACHE = {}


def _moments(case_id, f, lower):
    """(∫ f, ∫ x f) over the support, once per law."""
    if case_id not in _REF_CACHE:
        if lower is not None:
            _REF_CACHE[case_id] = _upper(f, lower)
        else:
            pos0, pos1 = _positive_part(f)
            neg0, neg1 = _positive_part(f, -1)
            _REF_CACHE[case_id] = (pos0 + neg0, pos1 - neg1)
    return _REF_CACHE[case_id]


def _refs(case_id, f, lower, t):
    """{p: (mean, kl)} at 50 digits, computed once per (law, t)."""
    key = (case_id, t)
    if key not in _REF_CACHE:
        with mp.workdps(DPS):
            sf, m_plus = _upper(f, t)
            total, mu = _moments(case_id, f, lower)
            out = {p: _combine(sf, m_plus, mu, p, total) for p in P_VALUES}
            # p at F̄(t) (KL = 0) and p = t^-0.8 (the paper's Figure 3)
            p_sf = float(sf / total)
            if 0 < p_sf < 1:
                out[p_sf] = _combine(sf, m_plus, mu, p_sf, total)
            p_fig = t ** -0.8
            if 0 < p_fig < 1:
                out[p_fig] = _combine(sf, m_plus, mu, p_fig, total)
        _REF_CACHE[key] = {p: (float(m), float(k)) for p, (m, k) in out.items()}
    return _REF_CACHE[key]


def _close(value, ref, rel=REL, abs_=ABS):
    if math.isinf(ref):
        return value == ref
    return abs(value - ref) <= max(rel * abs(ref), abs_)


def _case_params():
    for case_id, dist, f, lower, ts in CASES:
        for t in ts:
            yield pytest.param(case_id, dist, f, lower, t, id=f"{case_id}-t={t:g}")


@pytest.mark.parametrize(("case_id", "dist", "f", "lower", "t"), list(_case_params()))
def test_mean_and_kl_against_mpmath(case_id, dist, f, lower, t):
    refs = _refs(case_id, f, lower, t)
    bad = []
    for p, (m_ref, kl_ref) in refs.items():
        P = threshold_distribution(dist, t=t, p=p)
        for what, value, ref in (("mean", P.mean, m_ref), ("kl", P.kl, kl_ref)):
            if not _close(value, ref):
                bad.append(f"{what} at p={p!r}: package {value!r}, mpmath {ref!r}, "
                           f"rel err {abs(value - ref) / abs(ref) if ref else math.inf:.3g}")
    assert not bad, f"{dist!r}, t={t!r}:\n" + "\n".join(bad)


@pytest.mark.parametrize(("case_id", "dist", "f", "lower", "ts"),
                         [pytest.param(*c, id=c[0]) for c in CASES])
def test_curve_matches_mpmath_and_scalar(case_id, dist, f, lower, ts):
    """threshold_curve on all thresholds at once agrees with the references and with the
    scalar construction, up to how numpy rounds exp and log on arrays and on numbers."""
    ts = np.array(ts)
    for p in (1e-12, 0.1):
        curve = threshold_curve(dist, t=ts, p=p)
        assert curve.t.shape == curve.p.shape == curve.mean.shape == curve.kl.shape == ts.shape
        for i, t in enumerate(ts):
            m_ref, kl_ref = _refs(case_id, f, lower, float(t))[p]
            assert _close(curve.mean[i], m_ref), (t, p, curve.mean[i], m_ref)
            assert _close(curve.kl[i], kl_ref), (t, p, curve.kl[i], kl_ref)
            P = threshold_distribution(dist, t=float(t), p=p)
            # numpy's exp and log may round differently on one number and on an array (each
            # within 1 ulp, so 2 ulps apart); through e^(log F̄(t)) an absolute change of
            # log F̄(t) becomes a relative one |log F̄(t)| times larger (184 for Student-t(10) at
            # t = 1e8). Perturbing every numpy call by 2 ulps moves these means and KLs by at
            # most 27 eps |log F̄(t)| relative.
            rel = 64 * np.finfo(float).eps * max(1.0, abs(float(dist.logsf(t))))
            assert curve.mean[i] == pytest.approx(P.mean, rel=rel, abs=1e-300)
            assert curve.kl[i] == pytest.approx(P.kl, rel=rel, abs=1e-300)


# ----- Normal far out: F̄(t) underflows in double ---------------------------------------
NORMAL_FAR = [(0.0, 1.0, 40.0), (0.0, 1.0, 1e3), (1.0, 2.0, 1e6), (0.0, 1.0, 1e8), (-3.0, 0.5, 1e4)]


@pytest.mark.parametrize(("mu", "sigma", "t"), NORMAL_FAR)
@pytest.mark.parametrize("p", [1e-12, 1e-6, 0.1, 0.5])
def test_normal_far_tail_against_erfc(mu, sigma, t, p):
    with mp.workdps(DPS):
        m_ref, kl_ref = (float(v) for v in _normal_closed(mu, sigma, t, p))
    P = threshold_distribution(D.Normal(mu=mu, sigma=sigma), t=t, p=p)
    assert _close(P.mean, m_ref), (P.mean, m_ref)
    assert _close(P.kl, kl_ref), (P.kl, kl_ref)


@pytest.mark.parametrize("t", [0.7, 1.0, 5.0])
def test_normal_quadrature_and_erfc_references_agree(t):
    """The two reference methods agree (checks the mpmath quadrature helpers themselves)."""
    with mp.workdps(30):
        f = _normal_pdf(0.5, 1.5)
        sf, m_plus = _upper(f, t)
        pos0, pos1 = _positive_part(f)
        neg0, neg1 = _positive_part(f, -1)
        got = _combine(sf, m_plus, pos1 - neg1, 0.01, pos0 + neg0)
        want = _normal_closed(0.5, 1.5, t, 0.01)
        assert abs(got[0] - want[0]) < mp.mpf(10) ** -25
        assert abs(got[1] - want[1]) < mp.mpf(10) ** -25


def test_reference_independent_of_package_example():
    """The documented example value (StudentT(3), t = 100, p = 100^-0.8)."""
    with mp.workdps(DPS):
        m_ref, kl_ref = _reference(_student_pdf(3.0), 100.0, 100.0**-0.8)
    P = threshold_distribution(D.StudentT(nu=3), t=100.0, p=100.0**-0.8)
    assert _close(P.mean, float(m_ref)) and _close(P.kl, float(kl_ref))
    assert round(P.mean, 4) == 3.7679 and round(P.kl, 6) == 0.227243


# ----- curve forms of p ----------------------------------------------------------------
def test_curve_p_callable_array_scalar_agree():
    dist = D.StudentT(nu=3.0)
    ts = np.geomspace(1.0, 1e8, 50)
    a = threshold_curve(dist, t=ts, p=lambda t: t**-0.8 * 0.5)
    b = threshold_curve(dist, t=ts, p=ts**-0.8 * 0.5)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.kl, b.kl)
    np.testing.assert_array_equal(a.p, ts**-0.8 * 0.5)
    c = threshold_curve(dist, t=ts, p=0.01)
    np.testing.assert_array_equal(c.p, np.full(ts.shape, 0.01))


def test_curve_many_thresholds_finite_and_fast():
    ts = np.geomspace(0.5, 1e12, 100_000)
    curve = threshold_curve(D.Pareto(alpha=3.0), t=np.maximum(ts, 1.5), p=lambda t: 1 / t)
    assert np.all(np.isfinite(curve.mean)) and np.all(np.isfinite(curve.kl))
    assert np.all(curve.kl >= 0)


def test_student_t_paper_growth():
    """p = c/t keeps KL -> 0 while E_P[X] stays bounded away from 0 for ν > 1 heavy tails
    (the p·E[X | X > t] term is ~ c ν/(ν-1))."""
    ts = np.array([1e2, 1e4, 1e6, 1e8])
    curve = threshold_curve(D.StudentT(nu=3.0), t=ts, p=lambda t: 1.0 / t)
    assert np.all(np.diff(curve.kl) < 0) and curve.kl[-1] < 1e-6
    assert np.all(curve.mean > 1.0)


# ----- hypothesis: properties ----------------------------------------------------------
LAWS = [
    D.Normal(mu=1.0, sigma=2.0), D.StudentT(nu=3.0), D.StudentT(nu=1.5), D.Pareto(alpha=1.5, xm=2.0),
    D.LogNormal(mu=0.3, sigma=1.0), D.Exponential(rate=2.0), D.Gumbel(mu=-1.0, beta=0.5),
    D.Laplace(mu=0.5, b=2.0), D.Weibull(shape=2.0, scale=1.5),
]

_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.sampled_from(LAWS), st.floats(0.0, 1.0), st.floats(1e-12, 1 - 1e-9))
def test_kl_nonnegative(dist, u, p):
    t = float(dist.isf(0.5 * (1 - u) + 1e-9 * u))  # quantile levels 0.5 ... 1e-9
    assume(0 < dist.sf(t) < 1)
    P = threshold_distribution(dist, t=t, p=p)
    assert P.kl >= -1e-15
    assert math.isfinite(P.kl)


@_settings
@given(st.sampled_from(LAWS), st.floats(1e-9, 0.99))
def test_kl_zero_and_mean_unchanged_at_p_equal_sf(dist, q):
    t = float(dist.isf(q))
    sf = float(dist.sf(t))
    assume(0 < sf < 1)
    P = threshold_distribution(dist, t=t, p=sf)
    assert abs(P.kl) <= 1e-15
    assert P.mean == pytest.approx(dist.mean, rel=1e-9, abs=1e-12)


@_settings
@given(st.sampled_from(LAWS), st.floats(1e-6, 0.5), st.floats(1e-6, 0.9), st.floats(1e-6, 0.9))
def test_mean_increasing_in_p(dist, q, p1, p2):
    """E_P[X] = (1-p) E[X|X<=t] + p E[X|X>t] is increasing in p (upper mean > lower mean)."""
    assume(abs(p1 - p2) > 1e-6)
    t = float(dist.isf(q))
    lo, hi = sorted((p1, p2))
    assert threshold_distribution(dist, t=t, p=lo).mean < threshold_distribution(dist, t=t, p=hi).mean


# ----- P as a distribution --------------------------------------------------------------
AS_DIST = [
    (D.StudentT(nu=3.0), 5.0, 0.2),
    (D.Normal(mu=1.0, sigma=2.0), 4.0, 0.3),
    (D.Pareto(alpha=2.5, xm=1.0), 3.0, 0.4),
    (D.LogNormal(mu=0.0, sigma=1.0), 4.0, 0.05),
    (D.Exponential(rate=2.0), 1.0, 0.5),
]
AS_DIST_IDS = [f"{d!r}-t={t}-p={p}" for d, t, p in AS_DIST]


@pytest.mark.parametrize(("dist", "t", "p"), AS_DIST, ids=AS_DIST_IDS)
def test_cdf_sf_consistent(dist, t, p):
    P = threshold_distribution(dist, t=t, p=p)
    lo = float(dist.ppf(1e-6))
    xs = np.concatenate([np.linspace(lo, t, 50), np.linspace(t, 10 * t, 50)[1:], [t]])
    cdf, sf = np.asarray(P.cdf(xs)), np.asarray(P.sf(xs))
    np.testing.assert_allclose(cdf + sf, 1.0, rtol=0, atol=1e-14)
    assert np.all(np.diff(np.asarray(P.cdf(np.sort(xs)))) >= 0)
    # mass below t is exactly 1 - p, above t exactly p
    assert float(P.cdf(t)) == pytest.approx(1 - p, rel=1e-13)
    assert float(P.sf(t)) == pytest.approx(p, rel=1e-13)
    np.testing.assert_allclose(np.exp(np.asarray(P.logsf(xs))), sf, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(np.exp(np.asarray(P.logcdf(xs))), cdf, rtol=1e-13, atol=1e-300)
    # pieces: below t the base cdf scaled by (1-p)/F(t), above the base sf scaled by p/F̄(t)
    below = xs[xs <= t]
    np.testing.assert_allclose(P.cdf(below), dist.cdf(below) * (1 - p) / dist.cdf(t), rtol=1e-12)
    above = xs[xs > t]
    np.testing.assert_allclose(P.sf(above), dist.sf(above) * p / dist.sf(t), rtol=1e-12)


@pytest.mark.parametrize(("dist", "t", "p"), AS_DIST, ids=AS_DIST_IDS)
def test_ppf_inverts_cdf(dist, t, p):
    P = threshold_distribution(dist, t=t, p=p)
    lo = float(dist.ppf(1e-4))
    xs = np.concatenate([np.linspace(lo, t, 40)[1:-1], np.linspace(t, 20 * t, 40)[1:]])
    cdf, sf = np.asarray(P.cdf(xs)), np.asarray(P.sf(xs))
    # ppf(cdf(x)) only where cdf(x) is not rounded to 1; isf(sf(x)) where sf(x) is normal
    body = sf > 1e-6
    np.testing.assert_allclose(P.ppf(cdf[body]), xs[body], rtol=1e-8, atol=1e-9)
    tail = (sf > 1e-300) & (cdf > 1e-6)
    np.testing.assert_allclose(P.isf(sf[tail]), xs[tail], rtol=1e-8, atol=1e-9)
    q = np.array([1e-6, 0.1, 0.5, 1 - p - 1e-3, 1 - p + 1e-3, 0.999999])
    q = q[(q > 0) & (q < 1)]
    np.testing.assert_allclose(P.cdf(P.ppf(q)), q, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(("dist", "t", "p"), AS_DIST, ids=AS_DIST_IDS)
def test_sample_ks(dist, t, p):
    P = threshold_distribution(dist, t=t, p=p)
    x = P.sample(10**5, seed=0)
    assert x.shape == (10**5,)
    res = stats.kstest(x, lambda v: np.asarray(P.cdf(v)))
    assert res.pvalue > 1e-4, res
    # the fraction above t is p
    assert abs(np.mean(x > t) - p) < 5 * math.sqrt(p * (1 - p) / 10**5)
    np.testing.assert_array_equal(x, P.sample(10**5, seed=0))


@pytest.mark.parametrize(("dist", "t", "p"), AS_DIST, ids=AS_DIST_IDS)
def test_partial_mean_far_below_is_mean(dist, t, p):
    P = threshold_distribution(dist, t=t, p=p)
    lo = dist.support[0]
    far = lo if math.isfinite(lo) else -1e6 * max(1.0, abs(t))
    assert float(P.partial_mean_upper(far)) == pytest.approx(P.mean, rel=1e-9, abs=1e-12)
    # above t: p E[X | X > t]
    assert float(P.partial_mean_upper(t)) == pytest.approx(p * float(dist.conditional_mean_upper(t)),
                                                            rel=1e-12)


@pytest.mark.parametrize(("dist", "t", "p"), AS_DIST, ids=AS_DIST_IDS)
def test_pdf_integrates_to_one_and_to_mean(dist, t, p):
    P = threshold_distribution(dist, t=t, p=p)
    lo, hi = dist.support
    pdf = lambda x: float(P.pdf(x))  # noqa: E731
    below, _ = integrate.quad(pdf, lo, t, limit=200, epsabs=1e-13, epsrel=1e-11)
    above, _ = integrate.quad(pdf, t, hi, limit=200, epsabs=1e-13, epsrel=1e-11)
    assert below == pytest.approx(1 - p, rel=1e-8)
    assert above == pytest.approx(p, rel=1e-8)
    xpdf = lambda x: x * float(P.pdf(x))  # noqa: E731
    m = (integrate.quad(xpdf, lo, t, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
         + integrate.quad(xpdf, t, hi, limit=200, epsabs=1e-13, epsrel=1e-11)[0])
    assert m == pytest.approx(P.mean, rel=1e-7, abs=1e-9)


def test_threshold_distribution_attributes():
    dist = D.StudentT(nu=3.0)
    P = threshold_distribution(dist, t=10.0, p=0.01)
    assert P.t == 10.0 and P.p == 0.01 and P.base == dist
    assert P.heavy_tailed == dist.heavy_tailed and P.gamma == dist.gamma
    assert P.support == dist.support
    assert P == threshold_distribution(dist, t=10.0, p=0.01)
    assert hash(P) == hash(threshold_distribution(dist, t=10.0, p=0.01))
    d = P.to_dict()
    assert d["t"] == 10.0 and d["p"] == 0.01 and d["kl"] == P.kl and d["mean"] == P.mean


def test_infinite_upper_mean_gives_infinite_mean():
    """Pareto α = 0.8 has no mean: E_P[X] = ∞, KL still finite."""
    P = threshold_distribution(D.Pareto(alpha=0.8), t=10.0, p=0.1)
    assert P.mean == math.inf
    assert math.isfinite(P.kl) and P.kl > 0


# ----- bad input -----------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan, math.inf])
def test_bad_p(p):
    with pytest.raises(ValueError):
        threshold_distribution(D.StudentT(nu=3.0), t=1.0, p=p)
    with pytest.raises(ValueError):
        threshold_curve(D.StudentT(nu=3.0), t=np.array([1.0, 2.0]), p=p)


def test_bad_p_in_array():
    with pytest.raises(ValueError):
        threshold_curve(D.StudentT(nu=3.0), t=np.array([1.0, 2.0]), p=np.array([0.1, 1.0]))
    with pytest.raises(ValueError):
        threshold_curve(D.StudentT(nu=3.0), t=np.array([1.0, 2.0]), p=lambda t: 0 * t)


@pytest.mark.parametrize(("dist", "t"), [
    (D.Uniform(low=0.0, high=1.0), 1.0),
    (D.Uniform(low=0.0, high=1.0), 2.0),
    (D.Uniform(low=0.0, high=1.0), -1.0),  # F(t) = 0: nothing below to reweight
    (D.Pareto(alpha=2.0, xm=1.0), 0.5),
    (D.Exponential(rate=1.0), -1.0),
], ids=["uniform-t=1", "uniform-t=2", "uniform-t=-1", "pareto-t=0.5", "exponential-t=-1"])
def test_bad_t_outside_support(dist, t):
    with pytest.raises(ValueError):
        threshold_distribution(dist, t=t, p=0.1)
    with pytest.raises(ValueError):
        threshold_curve(dist, t=np.array([0.5 * (dist.support[0] + min(dist.support[1], 10.0)), t]),
                        p=0.1)


@pytest.mark.parametrize("t", [math.nan, math.inf, -math.inf])
def test_bad_t_non_finite(t):
    with pytest.raises(ValueError):
        threshold_distribution(D.Normal(), t=t, p=0.1)


def test_bad_inputs_misc():
    with pytest.raises(ValueError):
        threshold_curve(D.Normal(), t=np.array([]), p=0.1)
    with pytest.raises(ValueError):
        threshold_distribution("not a law", t=1.0, p=0.1)
    with pytest.raises(ValueError):
        threshold_distribution(D.Normal(), t=np.array([1.0, 2.0]), p=0.1)
