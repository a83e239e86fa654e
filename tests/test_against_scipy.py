"""Every distribution against scipy.stats (and mpmath where scipy itself is inaccurate).

Each case pairs a package distribution with the equivalent frozen scipy distribution and
an mpmath model of the same law (60 significant digits, 360 where a quantile sits 1e-300
away from a nonzero end point). The value methods (logpdf, pdf,
cdf, logcdf, sf, logsf, ppf, isf) are compared with scipy on grids that cover the body and
both tails, to 1e-12 relative. Where scipy is known to be inaccurate, the points are listed
explicitly in ``SCIPY_WEAK`` with the reason, and the package is compared with mpmath there
instead. A second set of tests compares every point with mpmath, so a scipy exclusion never
hides a package error.

Tolerances
----------
Each comparison also allows the spread of the exact value when z = (x - loc) / scale moves
by a few ulps (``Z_ROUNDING``): the package, like scipy, rounds z, and next to a finite end
point of the support (Pareto at loc + xm, Uniform at high) that alone moves the value by
far more than 1e-12. Elsewhere the allowance is below 1e-13 relative.

* probabilities and densities: |a - e| <= 1e-12 |e| + 1e-300 (the 1e-300 absorbs subnormal
  results, which carry fewer than 53 bits);
* log-probabilities and log-densities: |a - e| <= 1e-12 max(1, |e|): an absolute error d in
  log F is a relative error d in F, so near log F = 0 this is 1e-12 relative in F;
* quantiles: |a - e| <= 1e-12 (|e| + |loc| + scale): a quantile x = loc + scale z carries
  the rounding of loc and scale z.
"""

import dataclasses
import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy import stats

from catgoodhart import distributions as D

#: working precision of the mpmath references, always set locally (mp.workdps), never
#: globally: other test modules use mpmath in the same process
DPS = 60
RTOL = 1e-12
PROB_FLOOR = 1e-300

M = mp.mpf
with mp.workdps(DPS):
    LOG_SQRT_2PI = mp.log(mp.sqrt(2 * mp.pi))


# --------------------------------------------------------------------------------------
# mpmath models of the standard variables Z (X = loc + scale Z)
# --------------------------------------------------------------------------------------
@dataclasses.dataclass
class Model:
    """Standard-variable formulas in mpmath; ``lo``/``hi`` are the support of Z.

    ``logcdf``/``logsf`` are given where log(cdf) would need the cdf beyond mpmath's
    reach (e.g. exp(-e^1000)).
    """

    logpdf: object
    cdf: object
    sf: object
    lo: object = -mp.inf
    hi: object = mp.inf
    logcdf: object = None
    logsf: object = None
    logpdf_at_lo: object = None  # density at the lower end point when it is in the support


def normal_model():
    def logsf(z):
        if z > 1e8:  # mpmath's erfc overflows internally far out; 1 - 1/z^2 < 1e-16 here
            return -z * z / 2 - mp.log(z) - LOG_SQRT_2PI
        return mp.log(mp.erfc(z / mp.sqrt(2)) / 2)

    def sf(z):
        return mp.exp(logsf(z)) if z > 1e8 else mp.erfc(z / mp.sqrt(2)) / 2

    return Model(lambda z: -z * z / 2 - LOG_SQRT_2PI, lambda z: sf(-z), sf,
                 logcdf=lambda z: logsf(-z), logsf=logsf)


def exponential_model():
    return Model(lambda z: -z, lambda z: -mp.expm1(-z), lambda z: mp.exp(-z), lo=M(0),
                 logsf=lambda z: -z, logpdf_at_lo=M(0))


def gumbel_model():
    return Model(lambda z: -(z + mp.exp(-z)), lambda z: mp.exp(-mp.exp(-z)),
                 lambda z: -mp.expm1(-mp.exp(-z)), logcdf=lambda z: -mp.exp(-z))


def laplace_model():
    def cdf(z):
        return mp.exp(z) / 2 if z < 0 else 1 - mp.exp(-z) / 2

    return Model(lambda z: -mp.log(2) - abs(z), cdf, lambda z: cdf(-z))


def uniform_model():
    return Model(lambda z: M(0), lambda z: z, lambda z: 1 - z, lo=M(0), hi=M(1),
                 logpdf_at_lo=M(0))


def weibull_model(k):
    k = M(k)
    at_lo = mp.inf if k < 1 else (M(0) if k == 1 else -mp.inf)
    return Model(lambda z: mp.log(k) + (k - 1) * mp.log(z) - z**k,
                 lambda z: -mp.expm1(-(z**k)), lambda z: mp.exp(-(z**k)), lo=M(0),
                 logsf=lambda z: -(z**k), logpdf_at_lo=at_lo)


def student_t_model(nu):
    nu = M(nu)
    const = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2

    def lower_tail(z):  # P(Z < -|z|)
        return mp.betainc(nu / 2, M(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2

    def cdf(z):
        return lower_tail(z) if z <= 0 else 1 - lower_tail(z)

    return Model(lambda z: const - (nu + 1) / 2 * mp.log1p(z * z / nu), cdf, lambda z: cdf(-z))


def pareto_model(alpha):
    a = M(alpha)
    return Model(lambda z: mp.log(a) - (a + 1) * mp.log(z), lambda z: -mp.expm1(-a * mp.log(z)),
                 lambda z: mp.exp(-a * mp.log(z)), lo=M(1), logsf=lambda z: -a * mp.log(z),
                 logpdf_at_lo=mp.log(a))


def lognormal_model(sigma):
    s = M(sigma)
    normal = normal_model()
    return Model(lambda z: -(mp.log(z) / s) ** 2 / 2 - LOG_SQRT_2PI - mp.log(s) - mp.log(z),
                 lambda z: normal.cdf(mp.log(z) / s), lambda z: normal.sf(mp.log(z) / s),
                 lo=M(0), logpdf_at_lo=-mp.inf)


def levy_model():
    return Model(lambda z: -LOG_SQRT_2PI - M(3) / 2 * mp.log(z) - 1 / (2 * z),
                 lambda z: mp.erfc(1 / mp.sqrt(2 * z)), lambda z: mp.erf(1 / mp.sqrt(2 * z)),
                 lo=M(0), logpdf_at_lo=-mp.inf)


def frechet_model(alpha):
    a = M(alpha)
    return Model(lambda z: mp.log(a) - (1 + a) * mp.log(z) - z ** (-a),
                 lambda z: mp.exp(-(z ** (-a))), lambda z: -mp.expm1(-(z ** (-a))), lo=M(0),
                 logcdf=lambda z: -(z ** (-a)), logpdf_at_lo=-mp.inf)


def burr12_model(c, k):
    c, k = M(c), M(k)
    at_lo = mp.inf if c < 1 else (mp.log(k) if c == 1 else -mp.inf)
    return Model(lambda z: mp.log(c * k) + (c - 1) * mp.log(z) - (k + 1) * mp.log1p(z**c),
                 lambda z: -mp.expm1(-k * mp.log1p(z**c)), lambda z: mp.exp(-k * mp.log1p(z**c)),
                 lo=M(0), logsf=lambda z: -k * mp.log1p(z**c), logpdf_at_lo=at_lo)


def gpd_model(xi):
    xi = M(xi)
    return Model(lambda z: -(1 / xi + 1) * mp.log1p(xi * z),
                 lambda z: -mp.expm1(-mp.log1p(xi * z) / xi),
                 lambda z: mp.exp(-mp.log1p(xi * z) / xi), lo=M(0),
                 logsf=lambda z: -mp.log1p(xi * z) / xi, logpdf_at_lo=M(0))


def cauchy_model():
    def sf(z):
        return mp.atan(1 / z) / mp.pi if z > 0 else 1 - mp.atan(1 / -z) / mp.pi if z < 0 else M(1) / 2

    return Model(lambda z: -mp.log(mp.pi) - mp.log1p(z * z), lambda z: sf(-z), sf)


# --------------------------------------------------------------------------------------
# cases: package distribution, scipy twin, mpmath model, grid of standard z values
# --------------------------------------------------------------------------------------
_MAGNITUDES = [0.0, 1e-8, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 37.0,
               38.5, 40.0, 50.0, 100.0, 1e3, 1e6, 1e15, 1e100, 1e160, 1e200, 1e300]
TWO_SIDED = sorted({s * m for m in _MAGNITUDES for s in (-1.0, 1.0)})
# the left tail of a Gumbel is doubly exponential: F(-z) = exp(-e^z) is 0 beyond z ~ 6.6
GUMBEL_GRID = sorted({-1e3, -710.0, -50.0, -20.0, -7.0, -6.6, -6.0, -5.0, -3.0, -2.0, -1.0,
                      -0.5, -1e-8, *[m for m in _MAGNITUDES]})
# one-sided laws on [0, inf): below the support, the end point, just above it, then out
ONE_SIDED = [-1e3, -1.0, -1e-8, 0.0, 1e-300, 1e-100, 1e-30, 1e-15, 1e-8, 1e-4, 0.01, 0.1,
             0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 40.0, 100.0, 745.0, 1e3, 1e6,
             1e15, 1e100, 1e300]
PARETO_GRID = [-1.0, 0.0, 0.5, 1.0, 1.0 + 1e-12, 1.0 + 1e-6, 1.001, 1.1, 1.5, 2.0, 3.0, 10.0,
               100.0, 1e4, 1e10, 1e50, 1e100, 1e300]
UNIFORM_GRID = [-1e300, -10.0, -1e-12, 0.0, 1e-300, 1e-12, 0.1, 0.25, 0.5, 0.75, 0.9,
                1 - 1e-12, 1.0, 1 + 1e-12, 2.0, 1e300]

Q_GRID = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.25, 0.5,
          0.75, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12]


@dataclasses.dataclass
class Case:
    id: str
    dist: object
    frozen: object
    model: Model
    loc: float
    scale: float
    zgrid: list

    @property
    def xs(self):
        with np.errstate(over="ignore"):
            xs = self.loc + self.scale * np.asarray(self.zgrid)
        return [float(x) for x in np.unique(xs[np.isfinite(xs)])]

    def z(self, x):
        return (M(x) - M(self.loc)) / M(self.scale)


def _cases():
    c = []

    def add(id_, dist, frozen, model, loc, scale, zgrid):
        c.append(Case(id_, dist, frozen, model, loc, scale, zgrid))

    # Normal(mu, sigma) = norm(mu, sigma)
    for mu, sigma in [(0.0, 1.0), (2.5, 0.3), (-1e4, 1e3)]:
        add(f"Normal({mu},{sigma})", D.Normal(mu=mu, sigma=sigma), stats.norm(mu, sigma),
            normal_model(), mu, sigma, TWO_SIDED)
    # Exponential(rate, loc) = expon(loc, 1/rate)
    for rate, loc in [(1.0, 0.0), (2.5, -3.0), (1e-3, 1e3)]:
        add(f"Exponential({rate},{loc})", D.Exponential(rate=rate, loc=loc),
            stats.expon(loc, 1 / rate), exponential_model(), loc, 1 / rate, ONE_SIDED)
    # Gumbel(mu, beta) = gumbel_r(mu, beta)
    for mu, beta in [(0.0, 1.0), (2.0, 0.5), (-100.0, 30.0)]:
        add(f"Gumbel({mu},{beta})", D.Gumbel(mu=mu, beta=beta), stats.gumbel_r(mu, beta),
            gumbel_model(), mu, beta, GUMBEL_GRID)
    # Laplace(mu, b) = laplace(mu, b)
    for mu, b in [(0.0, 1.0), (1.0, 3.0), (-1e3, 0.01)]:
        add(f"Laplace({mu},{b})", D.Laplace(mu=mu, b=b), stats.laplace(mu, b), laplace_model(),
            mu, b, TWO_SIDED)
    # Uniform(low, high) = uniform(low, high - low)
    for low, high in [(0.0, 1.0), (-2.0, 5.0), (-1e-3, 1e-3)]:
        add(f"Uniform({low},{high})", D.Uniform(low=low, high=high),
            stats.uniform(low, high - low), uniform_model(), low, high - low, UNIFORM_GRID)
    # Weibull(shape, scale, loc) = weibull_min(shape, loc, scale)
    for shape, scale, loc in [(2.0, 1.0, 0.0), (0.3, 2.0, 1.0), (1.0, 0.5, 0.0), (5.0, 3.0, -1.0)]:
        add(f"Weibull({shape},{scale},{loc})", D.Weibull(shape=shape, scale=scale, loc=loc),
            stats.weibull_min(shape, loc, scale), weibull_model(shape), loc, scale, ONE_SIDED)
    # StudentT(nu, loc, scale) = t(nu, loc, scale)
    for nu, loc, scale in [(3.0, 0.0, 1.0), (0.5, 1.0, 2.0), (50.0, -2.0, 0.5), (1.0, 0.0, 1.0)]:
        add(f"StudentT({nu},{loc},{scale})", D.StudentT(nu=nu, loc=loc, scale=scale),
            stats.t(nu, loc, scale), student_t_model(nu), loc, scale, TWO_SIDED)
    # Pareto(alpha, xm, loc) = pareto(alpha, loc, xm)
    for alpha, xm, loc in [(2.0, 1.0, 0.0), (0.5, 3.0, -1.0), (50.0, 0.1, 0.0)]:
        add(f"Pareto({alpha},{xm},{loc})", D.Pareto(alpha=alpha, xm=xm, loc=loc),
            stats.pareto(alpha, loc, xm), pareto_model(alpha), loc, xm, PARETO_GRID)
    # LogNormal(mu, sigma, loc) = lognorm(sigma, loc, exp(mu))
    for mu, sigma, loc in [(0.0, 1.0, 0.0), (2.0, 0.25, -1.0), (-3.0, 3.0, 0.0)]:
        add(f"LogNormal({mu},{sigma},{loc})", D.LogNormal(mu=mu, sigma=sigma, loc=loc),
            stats.lognorm(sigma, loc, math.exp(mu)), lognormal_model(sigma), loc, math.exp(mu),
            ONE_SIDED)
    # Levy(mu, c) = levy(mu, c)
    for mu, cc in [(0.0, 1.0), (2.0, 0.5), (-1.0, 10.0)]:
        add(f"Levy({mu},{cc})", D.Levy(mu=mu, c=cc), stats.levy(mu, cc), levy_model(), mu, cc,
            ONE_SIDED)
    # Frechet(alpha, loc, scale) = invweibull(alpha, loc, scale)
    for alpha, loc, scale in [(2.0, 0.0, 1.0), (0.5, 1.0, 3.0), (20.0, 0.0, 0.1)]:
        add(f"Frechet({alpha},{loc},{scale})", D.Frechet(alpha=alpha, loc=loc, scale=scale),
            stats.invweibull(alpha, loc, scale), frechet_model(alpha), loc, scale, ONE_SIDED)
    # BurrXII(c, k, loc, scale) = burr12(c, k, loc, scale)
    for cc, k, loc, scale in [(2.0, 3.0, 0.0, 1.0), (0.5, 0.7, 1.0, 2.0), (10.0, 0.1, 0.0, 1.0)]:
        add(f"BurrXII({cc},{k},{loc},{scale})", D.BurrXII(c=cc, k=k, loc=loc, scale=scale),
            stats.burr12(cc, k, loc, scale), burr12_model(cc, k), loc, scale, ONE_SIDED)
    # GPD(xi, loc, scale) = genpareto(xi, loc, scale)
    for xi, loc, scale in [(0.5, 0.0, 1.0), (2.0, 1.0, 3.0), (1e-3, 0.0, 1.0)]:
        add(f"GPD({xi},{loc},{scale})", D.GPD(xi=xi, loc=loc, scale=scale),
            stats.genpareto(xi, loc, scale), gpd_model(xi), loc, scale, ONE_SIDED)
    # Cauchy(loc, scale) = cauchy(loc, scale)
    for loc, scale in [(0.0, 1.0), (-2.0, 0.5), (1e3, 1e-3)]:
        add(f"Cauchy({loc},{scale})", D.Cauchy(loc=loc, scale=scale), stats.cauchy(loc, scale),
            cauchy_model(), loc, scale, TWO_SIDED)
    return c


with mp.workdps(DPS):  # the models' constants (e.g. Student-t's) at full precision
    CASES = _cases()
CASE_IDS = [case.id for case in CASES]


def test_every_family_is_covered():
    families = {type(case.dist) for case in CASES}
    assert families == set(D.FAMILIES)
    counts = {cls: sum(type(case.dist) is cls for case in CASES) for cls in D.FAMILIES}
    assert all(2 <= n <= 4 for n in counts.values()), counts


# --------------------------------------------------------------------------------------
# mpmath reference values
# --------------------------------------------------------------------------------------
def std_frozen(case):
    """The scipy twin with loc 0 and scale 1 (shape parameters only)."""
    dist = case.frozen.dist
    return dist(*case.frozen.args[:dist.numargs])


def _z_value(model, method, z):
    """Exact value of ``method`` for the standard variable at the mpmath point z."""
    if method == "logpdf":
        if z < model.lo or z > model.hi:
            return -mp.inf
        if z == model.lo and model.logpdf_at_lo is not None:
            return model.logpdf_at_lo
        return model.logpdf(z)
    if method == "cdf":
        return M(0) if z <= model.lo else M(1) if z >= model.hi else model.cdf(z)
    if method == "sf":
        return M(1) if z <= model.lo else M(0) if z >= model.hi else model.sf(z)
    if method == "logcdf":
        if model.logcdf is not None and model.lo < z < model.hi:
            return model.logcdf(z)
        p = _z_value(model, "cdf", z)
        return mp.log(p) if p > 0 else -mp.inf
    if method == "logsf":
        if model.logsf is not None and model.lo < z < model.hi:
            return model.logsf(z)
        p = _z_value(model, "sf", z)
        return mp.log(p) if p > 0 else -mp.inf
    raise ValueError(method)


def to_float(v):
    """mpf -> float, rounding magnitudes beyond the double range to 0 or inf."""
    if mp.isfinite(v) and v != 0:
        if abs(v) < mp.mpf("1e-400"):
            return math.copysign(0.0, float(mp.sign(v)))
        if abs(v) > mp.mpf("1e400"):
            return math.copysign(math.inf, float(mp.sign(v)))
    return float(v)


#: relative perturbation of the standardized argument z = (x - loc) / scale that the
#: package (like scipy) cannot avoid: it rounds x - loc, the division, and loc/scale
#: themselves (scale = 1/rate, e^mu). Near an end point of the support (e.g. Pareto at
#: x = loc + xm, Uniform at x = high) the value is ill-conditioned in z, so the mpmath
#: comparison allows the spread of the exact value over z (1 ± Z_ROUNDING).
Z_ROUNDING = 4 * 2.0**-52


def x_reference(case, method, x):
    """(exact value at x, allowance for the rounding of z) for an x-method."""
    base = "logpdf" if method == "pdf" else method
    z = case.z(x)

    def value(zz):
        v = _z_value(case.model, base, zz)
        if base == "logpdf":
            v = v - mp.log(M(case.scale))
        return mp.exp(v) if method == "pdf" else v

    exact = value(z)
    spread = 0.0
    if z != 0:
        for factor in (1 - M(Z_ROUNDING), 1 + M(Z_ROUNDING)):
            other = value(z * factor)
            if mp.isfinite(exact) and mp.isfinite(other):
                spread = max(spread, abs(to_float(other - exact)))
    return to_float(exact), spread


def _u_map(model):
    """z(u) and u(z): a change of variable that makes the whole support the real line."""
    if model.lo == -mp.inf:
        return mp.sinh, mp.asinh
    if model.hi == mp.inf:
        return (lambda u: model.lo + mp.exp(u)), (lambda z: mp.log(z - model.lo))
    width = model.hi - model.lo
    return ((lambda u: model.lo + width / (1 + mp.exp(-u))),
            (lambda z: mp.log((z - model.lo) / (model.hi - z))))


#: working precision of the quantile solver where q = 1e-300 puts the root 1e-300 away from
#: a nonzero finite end point of the standard support (Pareto at 1, Uniform at 1)
QUANTILE_DPS = 360


def quantile_reference(case, method, q, package_value):
    """Exact ppf (F(x) = q) or isf (F̄(x) = q) at the double q, found by the secant method
    on log(tail) in the variable u of ``_u_map``, from scipy's (or the package's) value."""
    m = case.model
    upper = method == "isf"
    lo_x = M(case.loc) + M(case.scale) * m.lo if m.lo != -mp.inf else -mp.inf
    hi_x = M(case.loc) + M(case.scale) * m.hi if m.hi != mp.inf else mp.inf
    if q == 0:
        return to_float(hi_x if upper else lo_x)
    if q == 1:
        return to_float(lo_x if upper else hi_x)
    qm = M(q)
    # work on the smaller tail, so that its logarithm keeps full relative accuracy
    use_sf = (qm > M(1) / 2) != upper
    target = mp.log(1 - qm) if qm > M(1) / 2 else mp.log(qm)
    z_of_u, u_of_z = _u_map(m)

    def f(u):
        z = z_of_u(u)
        tail = m.sf(z) if use_sf else m.cdf(z)
        return mp.log(tail) - target

    start = 0.0
    for z0 in (scipy_value(std_frozen(case), method, q), (package_value - case.loc) / case.scale):
        if math.isfinite(z0) and m.lo < M(z0) < m.hi:
            start = u_of_z(M(z0))
            break
    nonzero_end = m.lo not in (-mp.inf, 0) or m.hi != mp.inf
    with mp.workdps(QUANTILE_DPS if nonzero_end else mp.mp.dps):
        # bracket the root (f is monotone in u), then refine by the Illinois method; the
        # step shrinks where the tail underflows even at this precision (f = -inf)
        a, fa = start, f(start)
        step = M(1) if (fa < 0) != use_sf else M(-1)
        while True:
            b = a + step
            fb = f(b)
            if not mp.isfinite(fb):
                step /= 2
                continue
            if (fa < 0) != (fb < 0):
                break
            a, fa, step = b, fb, 2 * step
        u = mp.findroot(f, (min(a, b), max(a, b)), solver="illinois",
                        tol=M(10) ** (20 - mp.mp.dps),
                        maxsteps=2000, verify=False)
        assert abs(f(u)) < M(10) ** -30, (case.id, method, q)
        return to_float(M(case.loc) + M(case.scale) * z_of_u(u))


def scipy_value(frozen, method, arg):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(getattr(frozen, method)(arg))


def package_value(case, method, arg):
    return float(getattr(case.dist, method)(arg))


# --------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------
LOG_METHODS = {"logpdf", "logcdf", "logsf"}
QUANTILE_METHODS = {"ppf", "isf"}
X_METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
Q_METHODS = ["ppf", "isf"]


def tolerance(case, method, expected):
    if method in LOG_METHODS:
        return RTOL * max(1.0, abs(expected))
    if method in QUANTILE_METHODS:
        return RTOL * (abs(expected) + abs(case.loc) + case.scale)
    return RTOL * abs(expected) + PROB_FLOOR


def mismatch(case, method, arg, actual, expected, allowance=0.0):
    """None if ``actual`` matches ``expected``, else a one-line description."""
    if math.isnan(expected) or math.isnan(actual):
        ok = math.isnan(expected) and math.isnan(actual)
    elif math.isinf(expected) or math.isinf(actual):
        ok = actual == expected
    else:
        ok = abs(actual - expected) <= tolerance(case, method, expected) + allowance
    if ok:
        return None
    if math.isfinite(actual) and math.isfinite(expected) and expected != 0:
        rel = f"{abs(actual - expected) / abs(expected):.3g}"
    else:
        rel = "inf"
    return (f"{case.id}.{method}({arg!r}) = {actual!r}, expected {expected!r} "
            f"(rel err {rel})")


def args_for(case, method):
    return case.xs if method in X_METHODS else Q_GRID


# --------------------------------------------------------------------------------------
# where scipy itself is inaccurate: excluded from the scipy comparison (each such point is
# still compared with mpmath in test_value_matches_mpmath)
# --------------------------------------------------------------------------------------
LOG_SMALLEST_NORMAL = math.log(2.2250738585072014e-308)  # -708.4


@dataclasses.dataclass(frozen=True)
class Weak:
    families: tuple
    methods: tuple
    where: object  # (case, z as float or q, exact value) -> bool
    why: str


SCIPY_WEAK = [
    Weak((D.Laplace, D.Levy, D.Pareto, D.StudentT, D.Frechet, D.BurrXII), ("logpdf",),
         lambda case, z, exact: exact < LOG_SMALLEST_NORMAL,
         "scipy takes log(pdf) (or squares z), which is subnormal/0/inf there, so it "
         "returns -inf or a value short of 53 bits"),
    Weak((D.Laplace, D.Weibull, D.StudentT, D.Levy, D.Frechet, D.BurrXII), ("logcdf",),
         lambda case, z, exact: exact < LOG_SMALLEST_NORMAL,
         "scipy takes log(cdf), and the cdf is subnormal or underflows to 0"),
    Weak((D.Gumbel, D.Laplace, D.Pareto, D.StudentT, D.Frechet, D.BurrXII), ("logsf",),
         lambda case, z, exact: exact < LOG_SMALLEST_NORMAL,
         "scipy takes log(sf), and the sf is subnormal or underflows to 0"),
    Weak((D.BurrXII,), ("logcdf",), lambda case, z, exact: exact < math.log(1e-3),
         "scipy's burr12 logcdf is log(1 - (1 + z**c)**-k), which cancels where the cdf "
         "is small"),
    Weak((D.BurrXII,), ("pdf", "logpdf", "sf", "logsf"),
         lambda case, z, exact: z > 0 and case.dist.c * math.log10(z) > 300,
         "scipy's burr12 evaluates (1 + z**c), which overflows"),
    Weak((D.Weibull,), ("pdf",), lambda case, z, exact: z > 0 and case.dist.shape * math.log10(z) > 300,
         "scipy's weibull_min pdf evaluates z**(c-1) * exp(-z**c) as inf * 0 = nan"),
    Weak((D.Levy, D.Frechet), ("pdf",), lambda case, z, exact: 0 < z < 1e-12,
         "next to the lower end point scipy's pdf multiplies a power of z that overflows by "
         "an exponential that underflows: inf * 0 = nan"),
    Weak((D.StudentT,), ("cdf", "logcdf", "sf", "logsf"),
         lambda case, z, exact: case.dist.nu == 1 and 0 < abs(z) < 1e-4,
         "scipy.special.stdtr(1, t) loses 9 digits for tiny |t| (3e-9 relative at t = 1e-8)"),
    Weak((D.StudentT,), ("cdf", "sf", "logcdf", "logsf"), lambda case, z, exact: abs(z) > 1e154,
         "scipy.special.stdtr returns 0 once t*t overflows, also where the tail is still "
         "representable (3e-151 at t = 1e300 for nu = 0.5, 3e-301 for nu = 1)"),
    Weak((D.StudentT,), ("logpdf", "pdf"), lambda case, z, exact: abs(z) > 1e154,
         "scipy's t logpdf squares z, which overflows: -inf (and pdf 0) for a finite value"),
    Weak((D.StudentT,), ("ppf", "isf"),
         lambda case, q, exact: case.dist.nu < 10 and min(q, 1 - q) <= 1e-100,
         "scipy.special.stdtrit stalls in the far tails (a factor 2 off at q = 1e-200, nu = 3; "
         "+inf for q = 1e-300)"),
    Weak((D.BurrXII,), ("isf",), lambda case, q, exact: q < 1e-12 and math.isfinite(exact),
         "scipy's burr12 isf evaluates expm1(-log(q)/k), which overflows"),
]


def scipy_weakness(case, method, arg, exact):
    z = arg if method in QUANTILE_METHODS else float(case.z(arg))
    for weak in SCIPY_WEAK:
        if type(case.dist) in weak.families and method in weak.methods and weak.where(
                case, z, exact):
            return weak.why
    return None


# --------------------------------------------------------------------------------------
# cached evaluations (each point is needed by several tests)
# --------------------------------------------------------------------------------------
_CACHE = {}


def evaluate(case, method, arg):
    """(package value or the exception it raised, exact value, allowance), cached."""
    key = (case.id, method, arg)
    if key not in _CACHE:
        try:
            with warnings.catch_warnings():
                # the project turns warnings into errors; do the same here explicitly so a
                # warning at one point is reported as that point's failure
                warnings.simplefilter("error")
                got = package_value(case, method, arg)
        except Exception as exc:  # noqa: BLE001 - reported as the point's failure
            got = exc
        with mp.workdps(DPS):
            if method in QUANTILE_METHODS:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fallback = package_value(case, method, arg)
                exact, allowance = quantile_reference(case, method, arg, fallback), 0.0
            else:
                exact, allowance = x_reference(case, method, arg)
        _CACHE[key] = (got, exact, allowance)
    return _CACHE[key]


def _describe_raise(case, method, arg, exc):
    return f"{case.id}.{method}({arg!r}) raised {type(exc).__name__}: {exc}"


def _report(failures):
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


PAIRS = [(case, method) for case in CASES for method in X_METHODS + Q_METHODS]
PAIR_IDS = [f"{case.id}-{method}" for case, method in PAIRS]


# --------------------------------------------------------------------------------------
# value methods
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("case", "method"), PAIRS, ids=PAIR_IDS)
def test_value_matches_scipy(case, method):
    """Package == scipy to 1e-12 relative (plus the z-rounding allowance, see Z_ROUNDING)
    wherever scipy is accurate (see SCIPY_WEAK)."""
    failures, compared = [], 0
    for arg in args_for(case, method):
        got, exact, allowance = evaluate(case, method, arg)
        if scipy_weakness(case, method, arg, exact):
            continue
        compared += 1
        if isinstance(got, Exception):
            failures.append(_describe_raise(case, method, arg, got))
            continue
        expected = scipy_value(case.frozen, method, arg)
        # the allowance: where the value is ill-conditioned in z (next to a finite end
        # point), two correct implementations differ by the effect of rounding z
        if (msg := mismatch(case, method, arg, got, expected, allowance)) is not None:
            failures.append(msg + " [scipy]")
    assert compared >= 10
    _report(failures)


def _beyond_cdf_underflow(method, exact):
    return method == "logcdf" and exact < LOG_SMALLEST_NORMAL


@pytest.mark.parametrize(("case", "method"), PAIRS, ids=PAIR_IDS)
def test_value_matches_mpmath(case, method):
    """Package == exact value (60-digit mpmath) at every grid point, scipy-weak ones
    included, to 1e-12 relative plus the spread caused by rounding z = (x - loc)/scale.
    logcdf where the cdf itself underflows is tested separately below."""
    failures = []
    for arg in args_for(case, method):
        got, exact, allowance = evaluate(case, method, arg)
        if _beyond_cdf_underflow(method, exact):
            continue
        if isinstance(got, Exception):
            failures.append(_describe_raise(case, method, arg, got))
        elif (msg := mismatch(case, method, arg, got, exact, allowance)) is not None:
            weak = scipy_weakness(case, method, arg, exact)
            failures.append(msg + (f" [mpmath; scipy weak here: {weak}]" if weak else " [mpmath]"))
    _report(failures)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_logcdf_beyond_cdf_underflow(case):
    """log F(x) is a representable number even where F(x) < 2.2e-308 underflows; it must
    not be -inf there (logsf already meets the same requirement in the right tail)."""
    failures, points = [], 0
    for arg in case.xs:
        got, exact, allowance = evaluate(case, "logcdf", arg)
        if not (_beyond_cdf_underflow("logcdf", exact) and math.isfinite(exact)):
            continue
        points += 1
        if isinstance(got, Exception):
            failures.append(_describe_raise(case, "logcdf", arg, got))
        elif (msg := mismatch(case, "logcdf", arg, got, exact, allowance)) is not None:
            failures.append(msg)
    if points == 0:
        pytest.skip("the cdf does not underflow on this grid")
    _report(failures)


def test_exclusions_are_all_needed():
    """Every SCIPY_WEAK rule excludes at least one point where scipy really is off."""
    used = {weak.why: 0 for weak in SCIPY_WEAK}
    for case, method in PAIRS:
        for arg in args_for(case, method):
            _, exact, allowance = evaluate(case, method, arg)
            why = scipy_weakness(case, method, arg, exact)
            if why is None:
                continue
            expected = scipy_value(case.frozen, method, arg)
            if mismatch(case, method, arg, expected, exact, allowance) is not None:
                used[why] += 1
    assert all(used.values()), [why for why, n in used.items() if n == 0]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_quantiles_at_0_and_1_are_the_support_ends(case):
    lo, hi = case.dist.support
    got = {"ppf(0)": case.dist.ppf(0.0), "ppf(1)": case.dist.ppf(1.0),
           "isf(0)": case.dist.isf(0.0), "isf(1)": case.dist.isf(1.0)}
    assert got == {"ppf(0)": lo, "ppf(1)": hi, "isf(0)": hi, "isf(1)": lo}


#: Vectorized and pointwise calls run the same formulas, but numpy evaluates a transcendental
#: function (exp, log, expm1, log1p, power) on an array with its SIMD loops and on a scalar
#: with the C library's, and which loops exist depends on the CPU. Each is within 1 ulp of the
#: exact value (numpy checks its float64 loops to that bound against correctly rounded
#: tables; glibc's exp, log and pow are below 1 ulp), so two results may be 2 ulps apart. A
#: method chains at most 4 such calls, with arithmetic of condition <= 4 between them (sums of
#: logarithms, loc + scale * z): 2 ulps x 4 calls x 4 = 32 eps, relative to the scale the
#: comparisons with scipy use (``tolerance``). A last exp (a density or probability taken as
#: e^log, a far quantile as e^(log q / α)) turns an absolute change d of its argument v into
#: the relative change d, which is |log v| times the argument's own relative change: the
#: scale includes that factor. Perturbing the result of every numpy call in the distribution
#: modules by 2 ulps moves no value on these grids by more than 12 such units.
VECTOR_ULPS = 32


def _vector_scale(case, method, value):
    """The size against which VECTOR_ULPS * eps is measured (see ``tolerance``)."""
    size = np.abs(value)
    if method in LOG_METHODS:
        base = np.maximum(1.0, size)
    elif method in QUANTILE_METHODS:
        base = size + abs(case.loc) + case.scale
    else:
        base = size
    with np.errstate(divide="ignore"):
        last_exp = np.maximum(1.0, np.abs(np.log(np.where(size > 0, size, 1.0))))
    return base * last_exp


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_vectorized_equals_pointwise(case):
    xs = np.array(case.xs[::3])
    qs = np.array(Q_GRID[::3])
    eps = np.finfo(float).eps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow warnings are reported point by point above
        for method in X_METHODS + Q_METHODS:
            arr = qs if method in QUANTILE_METHODS else xs
            vector = getattr(case.dist, method)(arr)
            assert isinstance(vector, np.ndarray) and vector.shape == arr.shape
            pointwise = [getattr(case.dist, method)(float(a)) for a in arr]
            assert all(isinstance(p, float) for p in pointwise)
            pointwise = np.array(pointwise)
            same = (vector == pointwise) | (np.isnan(vector) & np.isnan(pointwise))
            allowed = VECTOR_ULPS * eps * _vector_scale(case, method, pointwise)
            close = np.isfinite(vector) & np.isfinite(pointwise) & (np.abs(vector - pointwise) <= allowed)
            bad = ~(same | close)
            assert not bad.any(), (f"{case.id}.{method} at {arr[bad]}: vectorized {vector[bad]}, "
                                   f"pointwise {pointwise[bad]}")


# --------------------------------------------------------------------------------------
# moments and support
# --------------------------------------------------------------------------------------
def _scipy_moment(frozen, name):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(getattr(frozen, name)())


#: exact E[Z] and Var[Z] conventions where scipy answers differently: the package returns
#: inf where the integral diverges to +inf and nan where it is undefined (both tails infinite)
CONVENTION = {
    # scipy says t(nu <= 1).mean() = inf; both tails diverge, so the mean is undefined
    "StudentT(0.5,1.0,2.0)": (math.nan, math.nan),
    "StudentT(1.0,0.0,1.0)": (math.nan, math.nan),
    # scipy says invweibull(alpha <= 1).mean() = nan; only the right tail diverges
    "Frechet(0.5,1.0,3.0)": (math.inf, math.inf),
    # scipy's invweibull(2).var() is inf, but invweibull(1 < alpha < 2).var() is negative
    "Frechet(2.0,0.0,1.0)": (math.sqrt(math.pi), math.inf),
    # scipy says burr12 mean/var = nan where c k <= 1 (resp. 2); they diverge to +inf
    "BurrXII(0.5,0.7,1.0,2.0)": (math.inf, math.inf),
    "BurrXII(10.0,0.1,0.0,1.0)": (math.inf, math.inf),
    # scipy says genpareto(xi >= 1/2).var() = nan; it diverges to +inf
    "GPD(0.5,0.0,1.0)": (2.0, math.inf),
    "GPD(2.0,1.0,3.0)": (math.inf, math.inf),
}


def _same(a, b, rtol=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * abs(b) + 1e-300


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_mean_var_support_match_scipy(case):
    dist = case.dist
    lo, hi = dist.support
    slo, shi = (float(v) for v in case.frozen.support())
    assert (lo, hi) == (slo, shi)
    assert isinstance(dist.mean, float) and isinstance(dist.var, float)
    if case.id in CONVENTION:
        zmean, zvar = CONVENTION[case.id]
        mean = case.loc + case.scale * zmean if math.isfinite(zmean) else zmean
        var = case.scale**2 * zvar if math.isfinite(zvar) else zvar
    else:
        mean, var = _scipy_moment(case.frozen, "mean"), _scipy_moment(case.frozen, "var")
    assert _same(dist.mean, mean), (dist.mean, mean)
    assert _same(dist.var, var), (dist.var, var)


@pytest.mark.parametrize(("dist", "mean", "var"), [
    (D.Cauchy(), math.nan, math.nan),
    (D.Cauchy(loc=3.0, scale=2.0), math.nan, math.nan),
    (D.StudentT(nu=1.0), math.nan, math.nan),
    (D.StudentT(nu=0.3, loc=5.0), math.nan, math.nan),
    (D.StudentT(nu=1.5), 0.0, math.inf),
    (D.StudentT(nu=2.0, loc=1.0), 1.0, math.inf),
    (D.StudentT(nu=4.0, scale=2.0), 0.0, 8.0),
    (D.Levy(), math.inf, math.inf),
    (D.Levy(mu=-10.0, c=0.1), math.inf, math.inf),
    (D.Pareto(alpha=1.0), math.inf, math.inf),
    (D.Pareto(alpha=0.5, loc=-3.0), math.inf, math.inf),
    (D.Pareto(alpha=2.0, xm=3.0), 6.0, math.inf),
    (D.Pareto(alpha=3.0), 1.5, 0.75),
    (D.Frechet(alpha=1.0), math.inf, math.inf),
    (D.Frechet(alpha=1.5, loc=2.0), 2.0 + math.gamma(1 - 1 / 1.5), math.inf),
    (D.BurrXII(c=1.0, k=1.0), math.inf, math.inf),
    # E[Z] = k B(k - 1/c, 1 + 1/c) for c k > 1; Var infinite for c k <= 2
    (D.BurrXII(c=2.0, k=0.75), 0.75 * math.gamma(0.25) * math.gamma(1.5) / math.gamma(1.75),
     math.inf),
    (D.GPD(xi=1.0), math.inf, math.inf),
    (D.GPD(xi=0.25, scale=2.0), 2 / 0.75, 4 / (0.75**2 * 0.5)),
    (D.Weibull(shape=1.0, scale=2.0, loc=1.0), 3.0, 4.0),
    (D.Exponential(rate=4.0, loc=1.0), 1.25, 1 / 16),
    (D.Uniform(low=-1.0, high=3.0), 1.0, 16 / 12),
    (D.Laplace(mu=2.0, b=3.0), 2.0, 18.0),
    (D.Gumbel(mu=1.0, beta=2.0), 1.0 + 2.0 * float(np.euler_gamma), 4 * math.pi**2 / 6),
    (D.LogNormal(mu=0.5, sigma=1.0, loc=1.0), 1 + math.exp(1.0),
     math.expm1(1.0) * math.exp(2.0)),
], ids=repr)
def test_moment_conventions(dist, mean, var):
    """inf where the integral diverges to +inf, nan where it is undefined."""
    assert _same(dist.mean, mean, 1e-14), (dist.mean, mean)
    assert _same(dist.var, var, 1e-14), (dist.var, var)


# --------------------------------------------------------------------------------------
# tail facts
# --------------------------------------------------------------------------------------
INF = math.inf
TAIL_FACTS = [
    # (distribution, heavy_tailed, mgf_radius, gamma)
    (D.Normal(), False, INF, 0.0),
    (D.Normal(mu=5.0, sigma=0.1), False, INF, 0.0),
    (D.Exponential(), False, 1.0, 0.0),
    (D.Exponential(rate=2.0), False, 2.0, 0.0),
    (D.Exponential(rate=0.5, loc=-3.0), False, 0.5, 0.0),
    (D.Gumbel(), False, 1.0, 0.0),
    (D.Gumbel(beta=2.0), False, 0.5, 0.0),
    (D.Gumbel(mu=3.0, beta=0.25), False, 4.0, 0.0),
    (D.Laplace(), False, 1.0, 0.0),
    (D.Laplace(b=4.0), False, 0.25, 0.0),
    (D.Uniform(), False, INF, -1.0),
    (D.Uniform(low=-5.0, high=5.0), False, INF, -1.0),
    (D.Weibull(shape=0.5), True, 0.0, 0.0),
    (D.Weibull(shape=0.5, scale=3.0), True, 0.0, 0.0),
    (D.Weibull(shape=1.0), False, 1.0, 0.0),
    (D.Weibull(shape=1.0, scale=4.0), False, 0.25, 0.0),
    (D.Weibull(shape=3.0), False, INF, 0.0),
    (D.Weibull(shape=3.0, scale=0.1), False, INF, 0.0),
    (D.StudentT(nu=4.0), True, 0.0, 0.25),
    (D.StudentT(nu=3.0, scale=2.0), True, 0.0, 1 / 3),
    (D.StudentT(nu=0.5), True, 0.0, 2.0),
    (D.Pareto(alpha=1.5), True, 0.0, 1 / 1.5),
    (D.Pareto(alpha=4.0, xm=2.0), True, 0.0, 0.25),
    (D.LogNormal(), True, 0.0, 0.0),
    (D.LogNormal(mu=-2.0, sigma=0.1), True, 0.0, 0.0),
    (D.Levy(), True, 0.0, 2.0),
    (D.Levy(mu=1.0, c=3.0), True, 0.0, 2.0),
    (D.Frechet(alpha=3.0), True, 0.0, 1 / 3),
    (D.Frechet(alpha=0.5, scale=2.0), True, 0.0, 2.0),
    (D.BurrXII(c=2.0, k=3.0), True, 0.0, 1 / 6),
    (D.BurrXII(c=0.5, k=0.5, scale=3.0), True, 0.0, 4.0),
    (D.GPD(xi=0.3), True, 0.0, 0.3),
    (D.GPD(xi=2.0, scale=5.0), True, 0.0, 2.0),
    (D.Cauchy(), True, 0.0, 1.0),
    (D.Cauchy(loc=2.0, scale=7.0), True, 0.0, 1.0),
]


@pytest.mark.parametrize(("dist", "heavy", "radius", "gamma"), TAIL_FACTS, ids=repr)
def test_tail_facts(dist, heavy, radius, gamma):
    assert dist.heavy_tailed is heavy
    assert dist.mgf_radius == pytest.approx(radius, rel=1e-15, abs=0)
    assert dist.gamma == pytest.approx(gamma, rel=1e-15, abs=0)
    assert dist.facts() == {"heavy_tailed": heavy, "mgf_radius": dist.mgf_radius,
                            "gamma": dist.gamma}
    # the papers' definition: heavy exactly when the mgf radius is 0
    assert heavy == (dist.mgf_radius == 0)
    expected_index = 1 / gamma if gamma > 0 else INF
    assert dist.tail_index == pytest.approx(expected_index, rel=1e-15, abs=0)


def test_tail_facts_cover_every_family():
    assert {type(row[0]) for row in TAIL_FACTS} == set(D.FAMILIES)


@pytest.mark.parametrize(("dist", "heavy", "radius", "gamma"), TAIL_FACTS, ids=repr)
def test_cgf_is_infinite_exactly_beyond_the_radius(dist, heavy, radius, gamma):
    inside = [radius * f for f in (0.25, 0.5, 0.9)] if 0 < radius < INF else (
        [1e-3, 0.5, 3.0] if radius == INF else [])
    for s in inside:
        assert math.isfinite(dist.cgf(s)), s
    if radius < INF:
        for s in ([radius, radius * 1.5, radius + 1.0] if radius > 0 else [1e-12, 1.0, 50.0]):
            assert dist.cgf(s) == INF, s


# --------------------------------------------------------------------------------------
# from_scipy
# --------------------------------------------------------------------------------------
T3_POINTS = [-1e6, -300.0, -20.0, -3.0, -1.0, -0.1, 0.0, 0.1, 1.0, 3.0, 20.0, 300.0, 1e6]


def test_from_scipy_t3_matches_student_t():
    wrapped = D.from_scipy(stats.t(3), heavy_tailed=True, gamma=1 / 3)
    native = D.StudentT(nu=3)
    assert (wrapped.heavy_tailed, wrapped.mgf_radius, wrapped.gamma) == (True, 0.0, 1 / 3)
    assert wrapped.tail_index == pytest.approx(3.0, rel=1e-15, abs=0)
    xs = np.array(T3_POINTS)
    np.testing.assert_allclose(wrapped.cdf(xs), native.cdf(xs), rtol=1e-12, atol=0)
    np.testing.assert_allclose(wrapped.sf(xs), native.sf(xs), rtol=1e-12, atol=0)
    np.testing.assert_allclose(wrapped.logpdf(xs), native.logpdf(xs), rtol=1e-12, atol=0)
    assert wrapped.mean == native.mean == 0.0
    assert wrapped.var == pytest.approx(native.var, rel=1e-12, abs=0)
    assert wrapped.support == native.support
    assert wrapped.cgf(0.5) == wrapped.cgf(1e-12) == INF


@pytest.mark.parametrize("t", [-20.0, -1.0, 0.0, 1.0, 3.0, 20.0, 300.0, 1e6])
def test_from_scipy_t3_partial_mean_upper(t):
    """E[X; X > t] by quadrature against Student-t's closed form (nu + t^2) f(t) / (nu - 1)."""
    wrapped = D.from_scipy(stats.t(3), heavy_tailed=True, gamma=1 / 3)
    native = D.StudentT(nu=3)
    assert wrapped.partial_mean_upper(t) == pytest.approx(native.partial_mean_upper(t),
                                                          rel=1e-9, abs=0)


@pytest.mark.parametrize("t", [-100.0, -1000.0])
def test_from_scipy_t3_partial_mean_upper_far_left(t):
    """Far below the median E[X; X > t] = E[X; X > -t] is small, but the adapter's formula
    t F̄(t) + ∫_t^∞ F̄(u) du subtracts two numbers of size |t|."""
    wrapped = D.from_scipy(stats.t(3), heavy_tailed=True, gamma=1 / 3)
    native = D.StudentT(nu=3)
    assert native.partial_mean_upper(t) == pytest.approx(native.partial_mean_upper(-t),
                                                         rel=1e-13, abs=0)
    assert wrapped.partial_mean_upper(t) == pytest.approx(native.partial_mean_upper(t),
                                                          rel=1e-9, abs=0)


def test_from_scipy_partial_mean_infinite_when_gamma_at_least_one():
    wrapped = D.from_scipy(stats.cauchy(), heavy_tailed=True, gamma=1.0)
    assert wrapped.partial_mean_upper(0.0) == INF
    np.testing.assert_array_equal(wrapped.partial_mean_upper(np.array([-1.0, 5.0])), [INF, INF])


def test_from_scipy_normal_cgf():
    wrapped = D.from_scipy(stats.norm(), mgf_radius=INF, left_mgf_radius=INF)
    assert wrapped.heavy_tailed is False
    for s in (1.0, -1.0):
        assert wrapped.cgf(s) == pytest.approx(0.5, rel=1e-10, abs=0)
    assert wrapped.cgf(0.0) == 0.0
    assert wrapped.cgf(3.0) == pytest.approx(4.5, rel=1e-10, abs=0)
    shifted = D.from_scipy(stats.norm(2.0, 0.5), mgf_radius=INF, left_mgf_radius=INF)
    assert shifted.cgf(1.0) == pytest.approx(2.0 + 0.125, rel=1e-10, abs=0)
    np.testing.assert_allclose(wrapped.cgf(np.array([-1.0, 1.0])), [0.5, 0.5], rtol=1e-10)


def test_from_scipy_exponential_cgf_radius():
    wrapped = D.from_scipy(stats.expon(scale=0.5), mgf_radius=2.0, left_mgf_radius=INF)
    assert wrapped.heavy_tailed is False and wrapped.mgf_radius == 2.0
    assert wrapped.cgf(1.0) == pytest.approx(-math.log1p(-0.5), rel=1e-10, abs=0)
    assert wrapped.cgf(-3.0) == pytest.approx(-math.log1p(1.5), rel=1e-10, abs=0)
    assert wrapped.cgf(2.0) == wrapped.cgf(5.0) == INF


def test_from_scipy_bounded_support_needs_no_radius():
    wrapped = D.from_scipy(stats.uniform())
    assert wrapped.cgf(1.0) == pytest.approx(math.log(math.e - 1), rel=1e-10, abs=0)
    assert wrapped.cgf(-1.0) == pytest.approx(math.log(1 - math.exp(-1)), rel=1e-10, abs=0)


@pytest.mark.parametrize(("call", "fact"), [
    (lambda d: d.cgf(1.0), "mgf_radius"),
    (lambda d: d.cgf(np.array([0.0, 0.5])), "mgf_radius"),
    (lambda d: d.cgf(-1.0), "left_mgf_radius"),
    (lambda d: d.partial_mean_upper(0.0), "gamma"),
], ids=["cgf(+1)", "cgf-array", "cgf(-1)", "partial_mean_upper"])
def test_from_scipy_unknown_fact_raises(call, fact):
    wrapped = D.from_scipy(stats.t(3))
    assert wrapped.facts() == {"heavy_tailed": None, "mgf_radius": None, "gamma": None}
    assert wrapped.mgf_radius is None and wrapped.tail_index is None
    with pytest.raises(ValueError, match=f"`{fact}=`"):
        call(wrapped)


def test_from_scipy_heavy_implies_radius_zero_and_rejects_other_radius():
    assert D.from_scipy(stats.t(3), heavy_tailed=True).mgf_radius == 0.0
    assert D.from_scipy(stats.t(3), mgf_radius=0.0).heavy_tailed is True
    with pytest.raises(ValueError, match="`mgf_radius`"):
        D.from_scipy(stats.t(3), heavy_tailed=True, mgf_radius=1.0)
    with pytest.raises(ValueError, match="`mgf_radius`"):
        D.from_scipy(stats.norm(), mgf_radius=-1.0)
    with pytest.raises(ValueError, match="`left_mgf_radius`"):
        D.from_scipy(stats.norm(), mgf_radius=INF, left_mgf_radius=math.nan)
    with pytest.raises(ValueError, match="`gamma`"):
        D.from_scipy(stats.norm(), gamma="0")
    with pytest.raises(ValueError, match="`heavy_tailed`"):
        D.from_scipy(stats.norm(), heavy_tailed=1)
    with pytest.raises(ValueError, match="`frozen`"):
        D.from_scipy(stats.norm)
    with pytest.raises(ValueError, match="`frozen`"):
        D.from_scipy(D.Normal())
