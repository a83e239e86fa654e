#!/usr/bin/env python
"""High-precision reference values for ``partial_mean_upper``, ``cgf`` and ``logsf``.

Run as ``python tests/reference/make_reference.py``; it writes ``values.json`` next to this
file. Everything here is computed with mpmath at ``mp.dps = 50`` (the working precision is
raised locally where an integral cancels, see ``_signed_integral``) from the TEXTBOOK
densities written out below, independently of the package's closed forms:

* ``partial_mean_upper(t)`` = E[X; X > t] = ∫_t^∞ x f(x) dx by ``mp.quad``;
* ``cgf(s)`` = log ∫ e^{sx} f(x) dx by ``mp.quad``;
* ``logsf(x)`` = log of the textbook survival function (erfc, betainc, expm1, atan, ...)
  evaluated in mpmath, where F̄(x) underflows a double by hundreds of orders of magnitude.

Cross-checks asserted while the script runs (a failure aborts it, nothing is written):

* every quadrature partial mean against the textbook closed form in mpmath (incomplete
  gamma / beta functions, erfc, 2F2), where the family has one;
* every quadrature cgf against the textbook closed form (Normal, Exponential, Gumbel,
  Laplace, Uniform, Weibull shape 1, Lévy), and every other finite cgf against a second,
  differently-shaped quadrature: ∫_0^1 exp(s Q(p)) dp over the quantile function Q, or for
  the LogNormal ∫ φ(y) exp(s (loc + e^{μ + σy})) dy;
* every closed-form logsf against log ∫_x^∞ f (or log1p(-∫_lo^x f) where F̄ > 1/2) by
  ``mp.quad``;
* every ``inf`` reference: the integrand h does not satisfy |x| h(x) -> 0 (it is
  non-integrable), checked at |x| = 1e20 and 1e40 (in units of the scale).

Quadrature (``integrate``): the range is cut at 0 (where x f(x) changes sign) and at kinks
of the density, each piece is split at the mode c of |integrand|, and each side is mapped
by x = c ± L (e^u - 1), u in [0, U], with L the local length scale at c (from the
curvature or slope of log h, capped by max(scale, |c|)). Exponential tails become
double-exponential in u and power tails become exponential in u, so one ladder of break
points in u (~1 apart near 0, wider up to u = 16, then to infinity) suits every family.
The integrand is normalised by its maximum first: mpmath's error estimate is absolute.
"""

import itertools
import json
import sys
import time
from pathlib import Path

import mpmath
from mpmath import mp

DPS = 50
SIG_DIGITS = 30
OUT = Path(__file__).with_name("values.json")

#: quadrature error estimates must stay below this (values are stored with 30 digits)
QUAD_RTOL = mpmath.mpf("1e-28")
#: a closed form and the quadrature must agree to this (both far better than 1e-30)
CROSS_RTOL = mpmath.mpf("1e-28")
#: the 1e-12 test tolerance must not be eaten by rounding the argument to a double:
#: cond = |a · dv/da / v| must keep cond · 2^-53 well below 1e-12
MAX_COND = 4000.0

inf = mp.inf


def M(v):
    """The exact value of the double ``v`` as an mpf (no decimal re-rounding)."""
    return mp.mpf(float(v))


# ----------------------------------------------------------------------------------------
# The laws: textbook densities, survival functions, closed forms, quantiles
# ----------------------------------------------------------------------------------------
class Law:
    """A density with its support and what is known about it in closed form.

    Attributes: pdf, lo, hi (support), center, scale (length scale hints), and optional
    ``sf`` (textbook survival function), ``pm`` (textbook E[X; X > t]), ``cgf``
    (textbook closed-form cgf), ``ppf``/``isf`` (quantiles, for the cgf cross-check),
    ``mean_finite`` and ``cgf_finite(s)`` (textbook facts), ``kinks`` (interior points
    where the density is not smooth: quadrature splits there), ``alt_mgf(s)`` (E[e^{sX}]
    by a second, differently-shaped quadrature, where there is no handy quantile).
    """

    def __init__(self, pdf, lo, hi, center, scale, *, sf=None, pm=None, cgf=None,
                 ppf=None, isf=None, mean_finite=True, cgf_finite=None, kinks=(),
                 alt_mgf=None):
        self.pdf, self.lo, self.hi, self.kinks = pdf, lo, hi, tuple(kinks)
        self.center, self.scale = center, scale
        self.sf, self.pm, self.cgf, self.ppf, self.isf = sf, pm, cgf, ppf, isf
        self.mean_finite = mean_finite
        self.alt_mgf = alt_mgf
        self.cgf_finite = cgf_finite


def _phi(z):
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def _Phi_bar(z):
    """Normal upper tail 1 - Φ(z) = erfc(z/√2)/2."""
    return mp.erfc(z / mp.sqrt(2)) / 2


def normal(mu=0.0, sigma=1.0):
    mu, sigma = M(mu), M(sigma)

    def pdf(x):
        return _phi((x - mu) / sigma) / sigma

    def sf(x):
        return _Phi_bar((x - mu) / sigma)

    def pm(t):  # ∫_t^∞ x f = μ F̄(t) + σ φ(z)
        z = (t - mu) / sigma
        return mu * _Phi_bar(z) + sigma * _phi(z)

    return Law(pdf, -inf, inf, mu, sigma, sf=sf, pm=pm,
               cgf=lambda s: s * mu + s * s * sigma * sigma / 2,
               cgf_finite=lambda s: True)


def exponential(rate=1.0, loc=0.0):
    rate, loc = M(rate), M(loc)

    def pdf(x):
        return rate * mp.exp(-rate * (x - loc)) if x >= loc else mp.zero

    def sf(x):
        return mp.exp(-rate * (x - loc)) if x > loc else mp.one

    def pm(t):  # (t + 1/rate) e^{-rate (t - loc)} above loc, the mean below
        t = max(t, loc)
        return (t + 1 / rate) * mp.exp(-rate * (t - loc))

    return Law(pdf, loc, inf, loc, 1 / rate, sf=sf, pm=pm,
               cgf=lambda s: s * loc - mp.log(1 - s / rate),
               cgf_finite=lambda s: s < rate)


def gumbel(mu=0.0, beta=1.0):
    mu, beta = M(mu), M(beta)

    def pdf(x):
        z = (x - mu) / beta
        if z < -1000:  # exp(-e^{1000}) < 10^(-10^434): zero at any precision used here
            return mp.zero
        return mp.exp(-(z + mp.exp(-z))) / beta

    def sf(x):
        return -mp.expm1(-mp.exp(-(x - mu) / beta))

    def pm(t):
        # w = e^{-z}: E[Z; Z > z] = z (1 - e^{-w}) + Ein(w), Ein(w) = w 2F2(1, 1; 2, 2; -w)
        z = (t - mu) / beta
        w = mp.exp(-z)
        ein = w * mp.hyp2f2(1, 1, 2, 2, -w)
        return mu * sf(t) + beta * (z * -mp.expm1(-w) + ein)

    return Law(pdf, -inf, inf, mu, beta, sf=sf, pm=pm,
               cgf=lambda s: s * mu + mp.loggamma(1 - beta * s),
               cgf_finite=lambda s: beta * s < 1)


def laplace(mu=0.0, b=1.0):
    mu, b = M(mu), M(b)

    def pdf(x):
        return mp.exp(-abs(x - mu) / b) / (2 * b)

    def sf(x):
        z = (x - mu) / b
        return mp.exp(-z) / 2 if z > 0 else 1 - mp.exp(z) / 2

    def pm(t):
        z = (t - mu) / b
        upper = (1 + abs(z)) * mp.exp(-abs(z)) / 2  # E[Z; Z > z], both signs of z
        return mu * sf(t) + b * upper

    return Law(pdf, -inf, inf, mu, b, sf=sf, pm=pm,
               cgf=lambda s: s * mu - mp.log(1 - (b * s) ** 2),
               cgf_finite=lambda s: abs(b * s) < 1, kinks=[mu])


def uniform(low=0.0, high=1.0):
    low, high = M(low), M(high)
    width = high - low

    def pdf(x):
        return 1 / width if low <= x <= high else mp.zero

    def sf(x):
        return min(max((high - x) / width, mp.zero), mp.one)

    def pm(t):
        c = min(max(t, low), high)
        return (high * high - c * c) / (2 * width)

    def cgf(s):
        return mp.log((mp.exp(s * high) - mp.exp(s * low)) / (s * width))

    return Law(pdf, low, high, (low + high) / 2, width, sf=sf, pm=pm, cgf=cgf,
               cgf_finite=lambda s: True)


def weibull(shape, scale=1.0, loc=0.0):
    k, lam, loc = M(shape), M(scale), M(loc)

    def pdf(x):
        z = (x - loc) / lam
        if z < 0:
            return mp.zero
        if z == 0:
            return inf if k < 1 else (1 / lam if k == 1 else mp.zero)
        return k / lam * z ** (k - 1) * mp.exp(-z**k)

    def sf(x):
        z = (x - loc) / lam
        return mp.exp(-z**k) if z > 0 else mp.one

    def pm(t):  # loc F̄(t) + λ Γ(1 + 1/k, z^k)
        z = max((t - loc) / lam, mp.zero)
        return loc * sf(t) + lam * mp.gammainc(1 + 1 / k, z**k)

    return Law(pdf, loc, inf, loc + lam, lam, sf=sf, pm=pm,
               cgf=(lambda s: s * loc - mp.log(1 - lam * s)) if k == 1 else None,
               ppf=lambda p: loc + lam * (-mp.log1p(-p)) ** (1 / k),
               isf=lambda q: loc + lam * (-mp.log(q)) ** (1 / k),
               cgf_finite=lambda s: s <= 0 or k > 1 or (k == 1 and lam * s < 1))


def student_t(nu, loc=0.0, scale=1.0):
    nu, loc, scale = M(nu), M(loc), M(scale)
    const = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))

    def pdf(x):
        z = (x - loc) / scale
        return const * (1 + z * z / nu) ** (-(nu + 1) / 2) / scale

    def sf(x):
        # F̄ = ½ I_{ν/(ν+z²)}(ν/2, ½) for z >= 0 (regularized incomplete beta)
        z = (x - loc) / scale
        half = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
        return half if z >= 0 else 1 - half

    def pm(t):  # ∫_z^∞ u f(u) du = (ν + z²) f(z) / (ν - 1)
        z = (t - loc) / scale
        return loc * sf(t) + scale * (nu + z * z) * pdf(t) * scale / (nu - 1)

    return Law(pdf, -inf, inf, loc, scale, sf=sf, pm=pm if nu > 1 else None,
               mean_finite=nu > 1, cgf_finite=lambda s: False)


def pareto(alpha, xm=1.0, loc=0.0):
    a, xm, loc = M(alpha), M(xm), M(loc)

    def pdf(x):
        y = x - loc
        return a * xm**a / y ** (a + 1) if y >= xm else mp.zero

    def sf(x):
        y = x - loc
        return (xm / y) ** a if y > xm else mp.one

    def pm(t):  # loc F̄ + a xm^a y^{1-a}/(a-1), y = max(t - loc, xm)
        y = max(t - loc, xm)
        return loc * sf(t) + a * xm**a * y ** (1 - a) / (a - 1)

    return Law(pdf, loc + xm, inf, loc + xm, xm, sf=sf, pm=pm if a > 1 else None,
               ppf=lambda p: loc + xm * (1 - p) ** (-1 / a),
               mean_finite=a > 1, cgf_finite=lambda s: s <= 0)


def lognormal(mu=0.0, sigma=1.0, loc=0.0):
    mu, sigma, loc = M(mu), M(sigma), M(loc)

    def pdf(x):
        y = x - loc
        if y <= 0:
            return mp.zero
        w = (mp.log(y) - mu) / sigma
        return mp.exp(-w * w / 2) / (y * sigma * mp.sqrt(2 * mp.pi))

    def sf(x):
        y = x - loc
        return _Phi_bar((mp.log(y) - mu) / sigma) if y > 0 else mp.one

    def pm(t):  # loc F̄ + e^{μ + σ²/2} Φ(σ - w) = loc F̄ + e^{μ + σ²/2} Φ̄(w - σ)
        y = t - loc
        if y <= 0:
            return loc + mp.exp(mu + sigma**2 / 2)
        w = (mp.log(y) - mu) / sigma
        return loc * sf(t) + mp.exp(mu + sigma**2 / 2) * _Phi_bar(w - sigma)

    def alt_mgf(s):  # X = loc + e^{μ + σY}, Y ~ N(0, 1): integrate over |y| <= 60
        ys = [mp.mpf(y) for y in range(-60, 61, 2)]  # φ(60) = e^{-1800}: the rest is 0
        return mp.quad(lambda y: _phi(y) * mp.exp(s * (loc + mp.exp(mu + sigma * y))), ys)

    return Law(pdf, loc, inf, loc + mp.exp(mu), mp.exp(mu), sf=sf, pm=pm, alt_mgf=alt_mgf,
               cgf_finite=lambda s: s <= 0)


def levy(mu=0.0, c=1.0):
    mu, c = M(mu), M(c)

    def pdf(x):
        y = x - mu
        if y <= 0:
            return mp.zero
        return mp.sqrt(c / (2 * mp.pi)) * mp.exp(-c / (2 * y)) / y ** mp.mpf(1.5)

    def sf(x):
        y = x - mu
        return mp.erf(mp.sqrt(c / (2 * y))) if y > 0 else mp.one

    return Law(pdf, mu, inf, mu + c / 3, c, sf=sf, mean_finite=False,
               cgf=lambda s: s * mu - mp.sqrt(-2 * c * s),
               cgf_finite=lambda s: s <= 0)


def frechet(alpha, loc=0.0, scale=1.0):
    a, loc, scale = M(alpha), M(loc), M(scale)

    def pdf(x):
        z = (x - loc) / scale
        if z <= 0:
            return mp.zero
        return a / scale * z ** (-1 - a) * mp.exp(-z ** (-a))

    def sf(x):
        z = (x - loc) / scale
        return -mp.expm1(-z ** (-a)) if z > 0 else mp.one

    def pm(t):  # Z = E^{-1/α}: E[Z; Z > z] = γ(1 - 1/α, z^{-α}) (lower incomplete gamma)
        z = (t - loc) / scale
        if z <= 0:
            return loc + scale * mp.gamma(1 - 1 / a)
        return loc * sf(t) + scale * mp.gammainc(1 - 1 / a, 0, z ** (-a))

    return Law(pdf, loc, inf, loc + scale, scale, sf=sf, pm=pm if a > 1 else None,
               ppf=lambda p: loc + scale * (-mp.log(p)) ** (-1 / a),
               mean_finite=a > 1, cgf_finite=lambda s: s <= 0)


def burr_xii(c, k, loc=0.0, scale=1.0):
    c, k, loc, scale = M(c), M(k), M(loc), M(scale)

    def pdf(x):
        z = (x - loc) / scale
        if z <= 0:
            return mp.zero
        return c * k / scale * z ** (c - 1) * (1 + z**c) ** (-k - 1)

    def sf(x):
        z = (x - loc) / scale
        return (1 + z**c) ** (-k) if z > 0 else mp.one

    def pm(t):  # u = 1/(1 + z^c): E[Z; Z > z] = k B(u; k - 1/c, 1 + 1/c)
        z = max((t - loc) / scale, mp.zero)
        u = 1 / (1 + z**c)
        return loc * sf(t) + scale * k * mp.betainc(k - 1 / c, 1 + 1 / c, 0, u)

    return Law(pdf, loc, inf, loc + scale, scale, sf=sf, pm=pm if c * k > 1 else None,
               ppf=lambda p: loc + scale * mp.expm1(-mp.log1p(-p) / k) ** (1 / c),
               mean_finite=c * k > 1, cgf_finite=lambda s: s <= 0)


def gpd(xi, loc=0.0, scale=1.0):
    xi, loc, scale = M(xi), M(loc), M(scale)

    def pdf(x):
        z = (x - loc) / scale
        return (1 + xi * z) ** (-1 / xi - 1) / scale if z >= 0 else mp.zero

    def sf(x):
        z = (x - loc) / scale
        return (1 + xi * z) ** (-1 / xi) if z > 0 else mp.one

    def pm(t):  # F̄(t) (t + e(t)) with mean excess e(t) = (scale + ξ (t - loc)) / (1 - ξ)
        y = max(t - loc, mp.zero)
        return sf(t) * (loc + y + (scale + xi * y) / (1 - xi))

    return Law(pdf, loc, inf, loc + scale, scale, sf=sf, pm=pm if xi < 1 else None,
               ppf=lambda p: loc + scale * mp.expm1(-xi * mp.log1p(-p)) / xi,
               mean_finite=xi < 1, cgf_finite=lambda s: s <= 0)


def cauchy(loc=0.0, scale=1.0):
    loc, scale = M(loc), M(scale)

    def pdf(x):
        z = (x - loc) / scale
        return 1 / (mp.pi * scale * (1 + z * z))

    def sf(x):
        # ½ - atan(z)/π cancels to |z|^{-1}/π: carry log10|z| extra digits
        z = (x - loc) / scale
        extra = int(max(mp.log10(abs(z)), 0)) + 10 if z != 0 else 0
        with mp.workdps(mp.dps + extra):
            return +(mp.mpf(1) / 2 - mp.atan(z) / mp.pi)

    return Law(pdf, -inf, inf, loc, scale, sf=sf, mean_finite=False,
               cgf_finite=lambda s: s == 0)


LAWS = {
    "Normal": normal, "Exponential": exponential, "Gumbel": gumbel, "Laplace": laplace,
    "Uniform": uniform, "Weibull": weibull, "StudentT": student_t, "Pareto": pareto,
    "LogNormal": lognormal, "Levy": levy, "Frechet": frechet, "BurrXII": burr_xii,
    "GPD": gpd, "Cauchy": cauchy,
}


# ----------------------------------------------------------------------------------------
# Quadrature
# ----------------------------------------------------------------------------------------
#: break points in u (x = c ± L (e^u - 1)): 1/2 then 1 apart near the mode, then wider; past
#: u = 16 (x - c = 9e6 L) every integrand here decays at least like e^{-0.2 u}, which
#: mp.quad integrates to infinity directly
U_BREAKS = [mp.mpf(u) for u in (0.5, 1, 2, 3, 4, 6, 8, 12, 16)] + [inf]
#: stop the ladder once the integrand in u is below 10^-(dps + 10) of the running total
#: (the slowest tail here decays like e^{-0.2 u}, so what is left is < 5 g(u))
NEGLIGIBLE_DIGITS = 10


def _log_abs(h, x):
    try:
        v = h(x)
    except (ZeroDivisionError, ValueError, OverflowError):
        return -inf
    if v == 0 or mp.isnan(v):
        return -inf
    return mp.log(abs(v))


def _locate(h, a, b, hint, anchor):
    """Mode c of |h| on [a, b], the length scale of h there, and log max |h| (finite)."""
    with mp.workdps(20):
        base = min(max(anchor, a), b)
        cands = set()
        for j in range(-40, 120):  # additive ladder around the anchor, in scale units
            d = hint * mp.mpf(2) ** (mp.mpf(j) / 2)
            cands.update((base - d, base + d))
        for end in (a, b):
            if mp.isfinite(end):
                direction = 1 if end == a else -1
                for j in range(0, 100):  # towards a finite end point
                    cands.add(end + direction * hint * mp.mpf(2) ** (-mp.mpf(j) / 2))
                if end != 0:  # relative ladder off a far end point (|end| >> hint)
                    for j in range(-60, 60):
                        cands.add(end + direction * abs(end) * mp.mpf(2) ** (mp.mpf(j) / 2))
        if mp.isfinite(a) and mp.isfinite(b):
            cands.update(a + (b - a) * mp.mpf(i) / 64 for i in range(1, 64))
        xs = sorted(x for x in cands if a < x < b)
        ls = [_log_abs(h, x) for x in xs]
        i = max(range(len(xs)), key=lambda j: ls[j])
        peak = max(v for v in ls if v < inf)
        if ls[i] == inf or (i == 0 and mp.isfinite(a)):
            c = a
        elif i == len(xs) - 1 and mp.isfinite(b):
            c = b
        else:  # golden section between the neighbours of the best grid point
            lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, len(xs) - 1)]
            g = (mp.sqrt(5) - 1) / 2
            for _ in range(50):
                x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
                if _log_abs(h, x1) >= _log_abs(h, x2):
                    hi = x2
                else:
                    lo = x1
            c = (lo + hi) / 2

    def lh(x):
        return mp.log(abs(h(x)))

    # 1/|slope| (mode at an end point) or 1/sqrt(curvature) (interior mode), capped by
    # the family's scale or, far out in a tail, by the distance |c| from the origin
    cap = max(hint, abs(c))
    step = mp.mpf(10) ** (-mp.dps // 3)  # finite-difference step, relative to cap
    length = hint
    try:
        if c == a or c == b:
            slope = mp.diff(lh, c, 1, direction=1 if c == a else -1, h=cap * step)
            if mp.isfinite(slope) and slope != 0:
                length = min(cap, 1 / abs(slope))
        else:
            curv = mp.diff(lh, c, 2, h=cap * step)
            if mp.isfinite(curv) and curv < 0:
                length = min(cap, 1 / mp.sqrt(-curv))
    except (ZeroDivisionError, ValueError, OverflowError):
        pass
    return c, length, peak


def integrate(h, a, b, hint, anchor):
    """∫_a^b h(x) dx for a single-signed, unimodal h; returns (value, error estimate)."""
    if not a < b:
        return mp.zero, mp.zero
    c, length, peak = _locate(h, a, b, hint, anchor)
    # work with h / (max|h| L): mpmath's error estimate is not scale invariant
    norm = mp.exp(peak) * length
    negligible = mp.mpf(10) ** -(mp.dps + NEGLIGIBLE_DIGITS)
    total, err = mp.zero, mp.zero
    for end, sign in ((b, 1), (a, -1)):
        if end == c:
            continue
        top = inf if mp.isinf(end) else mp.log1p(abs(end - c) / length)

        def g(u, sign=sign):
            eu = mp.exp(u)  # e^u - 1 loses digits near u = 0, but only relative to L
            return h(c + sign * length * (eu - 1)) * length * eu / norm

        lo = mp.zero
        for u in [*U_BREAKS, top]:
            hi = min(u, top)
            if hi <= lo:
                continue
            v, e = mp.quad(g, [lo, hi], error=True)
            total += v
            err += abs(e)
            lo = hi
            if hi == top or abs(g(hi)) * 100 < negligible * abs(total):
                break
    return total * norm, err * norm


def _signed_integral(law_factory, params, weight, a, b):
    """∫_a^b weight(x) f(x) dx where weight may change sign at 0, in mpmath.

    The parts on either side of 0 (and of any kink of the density) are integrated
    apart; where they cancel to a result
    R times smaller than their size, the whole computation is redone with log10(R) more
    digits, so that the result still carries ~DPS - 10 correct digits.
    """
    extra = 0
    while True:
        with mp.workdps(DPS + extra):
            law = law_factory(**params)

            def h(x, law=law):
                return weight(x) * law.pdf(x)

            cuts = sorted({mp.zero, *law.kinks})
            edges = [a, *[x for x in cuts if a < x < b], b]
            value, size, err = mp.zero, mp.zero, mp.zero
            for lo, hi in itertools.pairwise(edges):
                anchor = min(max(law.center, lo), hi)
                part, e = integrate(h, lo, hi, law.scale, anchor)
                value += part
                size += abs(part)
                err += e
            err += size * mp.mpf(10) ** (-(DPS + extra) + 5)
            if value == 0:  # total cancellation: at least twice the digits
                digits = 2 * (DPS + extra)
            else:
                digits = int(mp.log10(size / abs(value))) if size > abs(value) else 0
            if digits + 40 <= DPS + extra:
                if err > QUAD_RTOL * abs(value):
                    raise RuntimeError(f"quadrature error {err} for value {value}")
                return +value, law
            if DPS + extra > 2000:
                raise RuntimeError("integral cancels beyond 2000 digits")
            extra = digits + 45 - DPS


def _check_close(what, a, b, rtol=CROSS_RTOL):
    rel = abs(a - b) / abs(b) if b != 0 else abs(a)
    if not rel <= rtol:
        raise AssertionError(f"{what}: {mp.nstr(a, 35)} vs {mp.nstr(b, 35)} (rel {rel})")


def _divergent(h, x_far):
    """True when |x| h(x) does not decay between |x| = 1e20 and 1e40 (x in scale units)."""
    v1 = abs(x_far(20)) * abs(h(x_far(20)))
    v2 = abs(x_far(40)) * abs(h(x_far(40)))
    return v1 > 0 and v2 >= v1 * mp.mpf("0.99")


# ----------------------------------------------------------------------------------------
# The three methods
# ----------------------------------------------------------------------------------------
def ref_partial_mean_upper(name, params, t):
    """E[X; X > t] by quadrature of x f(x) over [t, ∞) (returns mpf or the string 'inf')."""
    law = LAWS[name](**params)
    t = M(t)
    if not law.mean_finite:
        def h(x):
            return x * law.pdf(x)
        assert _divergent(h, lambda e: law.center + law.scale * mp.mpf(10) ** e), name
        return "inf", None
    a = max(t, law.lo)
    if a >= law.hi:
        return mp.zero, mp.zero
    value, law = _signed_integral(LAWS[name], params, lambda x: x, a, law.hi)
    if law.pm is not None:
        _check_close(f"{name}{params} pm({t}) closed form", law.pm(t), value)
    cond = t * t * law.pdf(t) / abs(value) if law.lo < t < law.hi else mp.zero
    return value, cond


def ref_cgf(name, params, s):
    """log ∫ e^{sx} f(x) dx by quadrature over the support."""
    law = LAWS[name](**params)
    s = M(s)
    if not law.cgf_finite(s):
        def h(x):
            return mp.exp(s * x) * law.pdf(x)
        side = 1 if s > 0 else -1
        assert _divergent(h, lambda e: law.center + side * law.scale * mp.mpf(10) ** e), name
        return "inf", None
    value, law = _signed_integral(LAWS[name], params, lambda x: mp.exp(s * x), law.lo, law.hi)
    result = mp.log(value)
    if law.cgf is not None:
        _check_close(f"{name}{params} cgf({s}) closed form", law.cgf(s), result)
    elif law.alt_mgf is not None:
        _check_close(f"{name}{params} cgf({s}) second quadrature", mp.log(law.alt_mgf(s)),
                     result, rtol=mp.mpf("1e-20"))
    else:  # a second quadrature over the quantile function
        # the mass of e^{sX} sits at small p for s < 0 and at small q = 1 - p for s > 0
        ladder = [mp.zero] + [mp.mpf(10) ** -j for j in range(40, 0, -1)] + [mp.mpf(1) / 2, 1]
        if s < 0:
            second = mp.quad(lambda p: mp.exp(s * law.ppf(p)), ladder)
        else:
            second = mp.quad(lambda q: mp.exp(s * law.isf(q)), ladder)
        _check_close(f"{name}{params} cgf({s}) quantile quadrature", mp.log(second), result,
                     rtol=mp.mpf("1e-20"))
    return result, None


def ref_logsf(name, params, x):
    """log of the textbook survival function, cross-checked by quadrature of the density.

    Where F̄(x) is close to 1, log F̄ ≈ -(1 - F̄) is tiny and 1 - F̄ must be resolved: the
    textbook F̄ is then re-evaluated with as many extra digits as 1 - F̄ has leading
    zeros (F̄ = 1 exactly, below the support, gives 0).
    """
    x = M(x)
    extra = 0
    while True:
        with mp.workdps(DPS + extra):
            law = LAWS[name](**params)
            sf = law.sf(x)
            if sf == 1 and x <= law.lo:
                return mp.zero, mp.zero
            lost = -int(mp.log10(1 - sf)) if sf != 1 else DPS + extra
            if lost + 40 <= DPS + extra:
                value = mp.log(sf)
                break
            if DPS + extra > 5000:
                raise RuntimeError(f"{name}{params} logsf({x}): 1 - F̄ below 1e-5000")
            extra = 2 * lost + 45 - DPS
    value = +value  # round to the working precision
    if sf > 0.5:  # quadrature of the left part: log F̄ = log1p(-∫_lo^x f)
        head, _ = _signed_integral(LAWS[name], params, lambda _: mp.one, law.lo, x)
        quad_value = mp.log1p(-head)
    else:
        tail, _ = _signed_integral(LAWS[name], params, lambda _: mp.one, max(x, law.lo),
                                   law.hi)
        quad_value = mp.log(tail)
    _check_close(f"{name}{params} logsf({x}) quadrature", quad_value, value)
    cond = abs(x * law.pdf(x) / (sf * value))
    return value, cond


METHODS = {"partial_mean_upper": ref_partial_mean_upper, "cgf": ref_cgf, "logsf": ref_logsf}


# ----------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------
def _cases():
    cases = []

    def add(method, name, params, args):
        for arg in args:
            cases.append((name, dict(params), method, float(arg)))

    pm = "partial_mean_upper"
    # light laws: tails out to values ~1e-250
    add(pm, "Normal", {}, [-12, -5, -0.5, 0, 1, 5, 10, 20, 30, 33.5])
    add(pm, "Normal", {"mu": 1.5, "sigma": 2.0}, [-10, 0, 1.5, 10, 50])
    add(pm, "Normal", {"mu": -3.0, "sigma": 0.5}, [-5, -3, 0, 10])
    add(pm, "Exponential", {}, [-1, 0, 1, 10, 100, 570])
    add(pm, "Exponential", {"rate": 3.0, "loc": 2.0}, [0, 2, 2.5, 10, 100, 190])
    add(pm, "Exponential", {"rate": 0.01, "loc": -5.0}, [-10, 0, 1000, 50000])
    add(pm, "Gumbel", {}, [-50, -5, -2, 0, 1, 10, 100, 570])
    add(pm, "Gumbel", {"mu": 1.0, "beta": 2.0}, [-3, 1, 20, 1000])
    add(pm, "Gumbel", {"mu": -10.0, "beta": 0.5}, [-12, -10, 0, 200])
    add(pm, "Laplace", {}, [-60, -5, -1, 0, 2, 50, 570])
    add(pm, "Laplace", {"mu": 2.0, "b": 3.0}, [-10, 2, 5, 1000])
    add(pm, "Laplace", {"mu": -1.0, "b": 0.25}, [-3, 0, 100])
    add(pm, "Uniform", {}, [-1, 0, 0.3, 0.9, 1, 2])
    add(pm, "Uniform", {"low": -2.0, "high": 3.0}, [-5, -1, 0, 2.5, 2.99])
    add(pm, "Weibull", {"shape": 0.5}, [-1, 0, 1, 100, 1e4, 3e5])
    add(pm, "Weibull", {"shape": 1.0}, [0.5, 10, 500])
    add(pm, "Weibull", {"shape": 3.0}, [0, 0.5, 1, 2, 5, 8.3])
    add(pm, "Weibull", {"shape": 2.0, "scale": 3.0, "loc": -1.0}, [-5, 0, 5, 60])
    # heavy laws with a finite mean: t out to 1e8 (further where still representable)
    add(pm, "StudentT", {"nu": 1.5}, [-1000, -5, 0, 2, 1000, 1e8, 1e100])
    add(pm, "StudentT", {"nu": 3.0}, [-50, -1, 0, 1, 10, 1e4, 1e8, 1e100])
    add(pm, "StudentT", {"nu": 30.0}, [-5, 0, 3, 100, 1e4, 1e8])
    add(pm, "StudentT", {"nu": 3.0, "loc": -2.0, "scale": 5.0}, [-100, -2, 0, 10, 1e8])
    add(pm, "Pareto", {"alpha": 1.2}, [0, 1, 1.5, 10, 1e4, 1e8, 1e300])
    add(pm, "Pareto", {"alpha": 3.0}, [0, 1, 2, 1e4, 1e8])
    add(pm, "Pareto", {"alpha": 2.5, "xm": 2.0, "loc": -3.0}, [-10, -1, 0, 100, 1e8])
    add(pm, "LogNormal", {}, [-1, 0.5, 1, 10, 1e4, 1e8])
    add(pm, "LogNormal", {"sigma": 0.25}, [0, 0.5, 1, 2, 10, 1000, 5000])
    add(pm, "LogNormal", {"sigma": 2.0}, [0.1, 10, 1e4, 1e8, 1e30])
    add(pm, "LogNormal", {"mu": 1.0, "sigma": 0.5, "loc": -3.0}, [-5, -2, 0, 100])
    add(pm, "Frechet", {"alpha": 1.5}, [-1, 0.5, 1, 10, 1e4, 1e8])
    add(pm, "Frechet", {"alpha": 5.0}, [0, 0.5, 1, 100, 1e8])
    add(pm, "Frechet", {"alpha": 3.0, "loc": -1.0, "scale": 2.0}, [-2, 0, 10, 1e8])
    add(pm, "BurrXII", {"c": 2.0, "k": 1.0}, [-1, 0, 0.5, 1, 10, 1e4, 1e8])
    add(pm, "BurrXII", {"c": 0.8, "k": 3.0}, [0, 0.5, 1, 10, 1e4, 1e8])
    add(pm, "BurrXII", {"c": 3.0, "k": 0.5, "loc": 1.0, "scale": 2.0}, [0, 2, 10, 1e8])
    add(pm, "GPD", {"xi": 0.1}, [-1, 0, 1, 10, 1e4, 1e8])
    add(pm, "GPD", {"xi": 0.7}, [0, 1, 10, 1e4, 1e8])
    add(pm, "GPD", {"xi": 0.3, "loc": -1.0, "scale": 2.0}, [-3, -1, 0, 100, 1e8])
    # infinite right-tail mean
    add(pm, "Levy", {}, [0, 1, 1e8])
    add(pm, "Levy", {"mu": 1.0, "c": 2.0}, [0, 10])
    add(pm, "Cauchy", {}, [-5, 0, 1e8])
    add(pm, "Cauchy", {"loc": 1.0, "scale": 2.0}, [3])
    add(pm, "StudentT", {"nu": 1.0}, [-5, 0, 10])
    add(pm, "StudentT", {"nu": 0.7}, [0])
    add(pm, "Pareto", {"alpha": 1.0}, [0, 2, 1e8])
    add(pm, "Pareto", {"alpha": 0.5}, [10])
    add(pm, "Frechet", {"alpha": 1.0}, [0, 10])
    add(pm, "BurrXII", {"c": 0.8, "k": 1.0}, [1])
    add(pm, "GPD", {"xi": 1.0}, [0, 10])
    add(pm, "GPD", {"xi": 1.5}, [5])

    cgf = "cgf"
    add(cgf, "Normal", {}, [-3, -1, 0.5, 3])
    add(cgf, "Normal", {"mu": 1.5, "sigma": 2.0}, [-3, -0.01, 3])
    add(cgf, "Exponential", {}, [-50, -1, 0.5, 0.9, 0.999, 1, 2])
    add(cgf, "Exponential", {"rate": 2.0, "loc": 1.0}, [-3, 1.5, 1.999, 2])
    add(cgf, "Gumbel", {}, [-5, -2, 0.5, 0.9, 0.99, 1, 3])
    add(cgf, "Gumbel", {"mu": 1.0, "beta": 2.0}, [-1, 0.25, 0.49, 0.5])
    add(cgf, "Laplace", {}, [-1, -0.9, -0.5, 0.5, 0.9, 1, 2])
    add(cgf, "Laplace", {"mu": -1.0, "b": 0.5}, [-1.9, 1.9, 2])
    add(cgf, "Uniform", {}, [-50, -1, 1e-3, 1, 50])
    add(cgf, "Uniform", {"low": -2.0, "high": 3.0}, [-10, 10])
    add(cgf, "Weibull", {"shape": 1.0}, [-5, 0.5, 0.99, 1])
    add(cgf, "Weibull", {"shape": 1.0, "scale": 2.0, "loc": 1.0}, [-1, 0.25, 0.5])
    add(cgf, "Weibull", {"shape": 2.0}, [-10, -1, 1, 10])
    add(cgf, "Weibull", {"shape": 3.0}, [-10, -1, 1, 10])
    add(cgf, "Weibull", {"shape": 2.0, "scale": 3.0, "loc": -1.0}, [-1, 1])
    add(cgf, "Weibull", {"shape": 0.5}, [-50, -1, -1e-3, 1e-3, 1])
    add(cgf, "Levy", {}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "Levy", {"mu": 1.0, "c": 2.0}, [-1])
    add(cgf, "Pareto", {"alpha": 1.2}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "Pareto", {"alpha": 3.0}, [-50, -1, -1e-3])
    add(cgf, "Pareto", {"alpha": 0.5}, [-1])
    add(cgf, "Pareto", {"alpha": 2.5, "xm": 2.0, "loc": -3.0}, [-1])
    add(cgf, "LogNormal", {"sigma": 0.25}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "LogNormal", {"sigma": 2.0}, [-50, -1, -1e-3])
    add(cgf, "LogNormal", {"mu": 1.0, "sigma": 0.5, "loc": -3.0}, [-1])
    add(cgf, "Frechet", {"alpha": 1.5}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "Frechet", {"alpha": 5.0}, [-50, -1, -1e-3])
    add(cgf, "Frechet", {"alpha": 0.7}, [-1])
    add(cgf, "Frechet", {"alpha": 3.0, "loc": -1.0, "scale": 2.0}, [-1])
    add(cgf, "BurrXII", {"c": 2.0, "k": 1.0}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "BurrXII", {"c": 0.8, "k": 3.0}, [-50, -1, -1e-3])
    add(cgf, "BurrXII", {"c": 3.0, "k": 0.5, "loc": 1.0, "scale": 2.0}, [-1])
    add(cgf, "GPD", {"xi": 0.1}, [-50, -1, -1e-3, 1e-3])
    add(cgf, "GPD", {"xi": 0.7}, [-50, -1, -1e-3])
    add(cgf, "GPD", {"xi": 0.3, "loc": -1.0, "scale": 2.0}, [-1])
    add(cgf, "StudentT", {"nu": 3.0}, [-1, 1e-3])
    add(cgf, "Cauchy", {}, [-1, 1])

    lsf = "logsf"
    add(lsf, "Normal", {}, [-5, 0, 5, 40, 100])
    add(lsf, "Normal", {"mu": 1.0, "sigma": 3.0}, [300])
    add(lsf, "StudentT", {"nu": 3.0}, [-10, 0, 10, 1e5, 1e120, 1e200])
    add(lsf, "StudentT", {"nu": 30.0}, [5, 1e5, 1e10, 2e10, 1e20])
    add(lsf, "StudentT", {"nu": 1.5}, [1e300])
    add(lsf, "StudentT", {"nu": 3.0, "loc": -2.0, "scale": 5.0}, [1e150])
    add(lsf, "Gumbel", {}, [-5, -3, 0, 30, 700, 800])
    add(lsf, "Gumbel", {"mu": 1.0, "beta": 2.0}, [1500])
    add(lsf, "Pareto", {"alpha": 3.0}, [2, 1e300])
    add(lsf, "Pareto", {"alpha": 1.2}, [0.5, 2, 1e300])
    add(lsf, "Frechet", {"alpha": 2.0}, [0.2, 0.5, 10, 1e200])
    add(lsf, "Frechet", {"alpha": 5.0}, [1e100])
    add(lsf, "Cauchy", {}, [-10, 10, 1e300])
    add(lsf, "Levy", {}, [0.5, 1, 1e300])
    add(lsf, "LogNormal", {}, [1e300])
    add(lsf, "LogNormal", {"sigma": 0.25}, [1e10])
    add(lsf, "Weibull", {"shape": 0.5}, [1e12])
    add(lsf, "Weibull", {"shape": 3.0}, [1000])
    add(lsf, "Exponential", {}, [1e5])
    add(lsf, "Laplace", {}, [-3, 1e4])
    add(lsf, "BurrXII", {"c": 2.0, "k": 1.0}, [1e300])
    add(lsf, "BurrXII", {"c": 0.8, "k": 3.0}, [1e200])
    add(lsf, "GPD", {"xi": 0.1}, [1e300])
    add(lsf, "GPD", {"xi": 0.7}, [1e300])
    add(lsf, "Uniform", {}, [0.5, 0.999])
    return cases


CASES = _cases()


def record_id(name, params, method, arg):
    """Readable id, e.g. ``StudentT(nu=3,loc=-2,scale=5).partial_mean_upper(1e+08)``."""
    shown = ",".join(f"{k}={v:g}" for k, v in params.items())
    return f"{name}({shown}).{method}({arg:g})"


def compute_record(name, params, method, arg):
    """One JSON record (value as a string with SIG_DIGITS significant digits, or 'inf')."""
    with mp.workdps(DPS):
        value, cond = METHODS[method](name, params, arg)
        if isinstance(value, str):
            text = value
        elif value == 0:
            text = "0"
        else:
            text = mp.nstr(value, SIG_DIGITS)
        rec = {"id": record_id(name, params, method, arg), "dist": name, "params": params,
               "method": method, "arg": arg, "value": text}
        if cond is not None and not isinstance(value, str):
            cond = float(cond)
            if not cond <= MAX_COND:
                raise AssertionError(f"{rec['id']}: ill-conditioned (cond = {cond:.3g})")
            rec["cond"] = cond
        return rec


def main():
    mp.dps = DPS  # compute_record also sets it locally, so importing this module is harmless
    start = time.time()
    records = []
    for case in CASES:
        t0 = time.time()
        records.append(compute_record(*case))
        dt = time.time() - t0
        if dt > 2 or "-v" in sys.argv:
            print(f"{dt:7.2f}s  {records[-1]['id']} = {records[-1]['value']}", flush=True)
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids), "duplicate record ids"
    doc = {
        "about": ("Reference values for catgoodhart distributions, computed by "
                  "tests/reference/make_reference.py with mpmath (quadrature of the textbook "
                  "densities; textbook closed forms for logsf). Regenerate with "
                  "`python tests/reference/make_reference.py`."),
        "mpmath": mpmath.__version__,
        "dps": DPS,
        "significant_digits": SIG_DIGITS,
        "records": records,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(records)} records to {OUT} in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
