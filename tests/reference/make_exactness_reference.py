#!/usr/bin/env python
"""High-precision references for the exactness claims: lower partial means, the Theorem 1
family's mean and KL, exponential tilts, the KL-constrained supremum, conditioning on
X + V >= t and best-of-n.

Run as ``python tests/reference/make_exactness_reference.py`` (``-v`` lists every case,
``--only TEXT`` just those whose id contains it, going on after failures; about 45 minutes
on one core, most of it laws at t = 1e300 and best-of-n); it writes ``exactness.json`` next
to this file. A failed cross-check aborts the run and nothing is written.

Independence: nothing here imports catgoodhart. The laws are the textbook densities,
survival functions and upper partial means of ``make_reference.py`` (imported, not
restated); everything else is written out below from textbook definitions and evaluated
in mpmath at far more than double precision, with its own cross-checks, so a shared
mistake would have to be made twice in different formulas (the package works in doubles,
in log space, with scipy's special functions and its own quadrature).

* ``partial_mean_lower(t)`` = E[X; X <= t], ``conditional_mean_lower(t)`` = E[X | X <= t]:
  lower-tail closed forms (incomplete gamma and beta functions, erfc, E1, Γ(-1/2, ·)),
  evaluated at rising precision until two evaluations agree to 40 digits (this absorbs
  every cancellation, e.g. the GPD next to its lower end), cross-checked against
  (a) quadrature of x f(x) over [lo, t] (``make_reference.integrate``) with enough digits
  that the nodes next to t resolve the integrand's length scale there (~350 for the Normal
  at t = -1e150) and (b) E[X] - F̄(t) E[X | X > t] from the upper closed forms, with as
  many extra digits as E[X; X <= t]/E[X] has leading zeros. F(t) underflowing a double is
  no obstacle: mpmath's exponent range is unbounded.
* Theorem 1 family P_{t,p}: ``mean`` = (1 - p) E[X | X <= t] + p E[X | X > t], checked by
  F L + F̄ U = E[X]; ``kl`` = p log1p((p - F̄)/F̄) + (1 - p) log1p((F̄ - p)/F) at 90 digits,
  F from the lower closed form and F̄ from make_reference's sf, checked to sum to 1 to 35
  digits of the smaller, and the KL against the plain formula (1 - p) log((1 - p)/F) +
  p log(p/F̄) at 150+ digits. Next to p = F̄(t) (p the double nearest F̄(t)(1 + δ),
  |δ| >= 1e-12) the KL is ~F̄δ²/(2F) and its terms cancel to |δ|: 90 digits keep 60.
* Tilts of the light laws: K(λ) = log E[e^{λX}], K'(λ), KL = λK' - K at 120+ digits, stable
  to 60 (λ = 1e-12 cancels ~24), from closed forms (Normal, Exponential, Gumbel log Γ,
  Laplace, Uniform, Weibull shape 1, and shape 2 with erfc) or, for other Weibull shapes,
  the moment series Σ λ^n Γ(1 + n/k)/n! (positive terms, entire for k > 1); checked at
  λ·scale = 1e-6, 0.1, 1 and 0.9 of a finite radius against quadrature of the centred
  integrands E[expm1(λ(X - c))] and E[(X - c) e^{λ(X - c)}], c = E[X], where nothing
  cancels. Discrete bases: the weights q_i e^{λ(u_i - max u)}, KL = Σ π log(π/q).
* ``sup_mean_under_kl``: the λ whose tilt has KL = ε by bisection on log λ (or on
  log(radius - λ)) at 120 digits, residual below 1e-60 ε; value = K'(λ), gain =
  K'(λ) - E[X]; the Normal against μ + σ√(2ε) and √(2ε)/σ.
* ``conditional_utility(X, V, t)`` - E[V] by two layouts in variables of V's scale, at 45
  digits with the error's law evaluated at t - (node) with log10 t + 30 more (so that
  t - v keeps v's digits): over v, ∫ (v - μ) f_V [F̄_X(t - v) - F̄_X(t - μ)] dv / ∫ f_V
  F̄_X(t - v) dv, and over s = t - x, ∫ f_X(t - s) E[(V - μ); V > s] ds / (F̄_X(t - μ) +
  ∫ f_X(t - s) (F̄_V(s) - 1{s < μ}) ds); every integrand is single-signed, so the tiny
  deviation of a heavy error (~3/t) keeps its digits. Normal + Normal (U normal, E[V | U]
  linear) and Exponential + Normal (the tilted normal) are closed forms, checked against
  the layouts (for a normal X up to t = 10, where V's mass is near its mean).
* ``bon_utility(X, V, n)``, U = X + V, V normal: E_bon[g(U)] by two layouts, (A) over u,
  ∫ g(u) n F_U^{n-1} f_U du with F_U^{n-1} = exp((n - 1) log1p(-F̄_U)), F̄_U computed
  directly, and (B) over s = -log F̄_U, ∫ g(u(s)) n (1 - e^{-s})^{n-1} e^{-s} ds with u(s)
  by Newton's method; g = u for ``mean_proxy`` and g = E[V | U = u] = m(u)/f_U(u),
  m(u) = ∫ v f_V(v) f_X(u - v) dv, for ``mean_utility``. Gauss-Legendre on pieces of s
  (one nat wide, log-spaced below s = 1) covering [log n - 6, log n + 56] for every n at
  once. The inner integrals over v are folded about E[V] so that f_X(c - w) - f_X(c + w)
  is formed at log10|u| + 30 digits (no cancellation for a t(3) error at u = 1e100), and
  checked against mp.quad at several u to 1e-18; Normal + Normal and Exponential +
  Normal use closed-form inner functions, checked against the numeric ones. The layouts
  must agree to 1e-12 (they agree to ~1e-16 or better; ``layouts_rel_diff``); n = 1 is
  E[X] + E[V] and E[V].

Every stored argument is an exact double (JSON writes ``repr``; n = 10**20 is an int) and
every reference is computed at that exact double. Each record carries ``cond`` =
Σ |a ∂v/∂a| / |v| over its arguments a (and the law's location, since the package forms
t - loc in doubles); a record with cond · 2^-53 > 1e-11 is not generated (listed under
``skipped`` with the reason), except the ``threshold_kl_near`` records, whose cond is
~2 (1 + |t f/F̄|)/|δ| by construction (see ``ref_threshold_kl``). Values are stored with
30 significant digits (best-of-n: verified to 1e-12), or as ``inf``, ``-inf``, ``nan`` or
``diverges`` (a tilt that does not exist); a finite value beyond the double range is
stored as it is, and the package must then return ±inf.
"""

import importlib.util
import itertools
import json
import math
import sys
import time
from pathlib import Path

import mpmath
from mpmath import mp

HERE = Path(__file__).parent
OUT = HERE / "exactness.json"


def _load_base():
    """make_reference.py as a module (its laws, ``M`` and ``integrate``)."""
    name = "make_reference"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with mp.workdps(mp.dps):  # importing it must not change the global precision
        spec.loader.exec_module(module)
    return module


base = _load_base()
LAWS, M, integrate = base.LAWS, base.M, base.integrate
inf, ninf = mp.inf, mp.ninf

DPS = 50
SIG_DIGITS = 30
#: two evaluations of a closed form at rising precision must agree to this
STABLE_RTOL = mpmath.mpf("1e-40")
#: a quadrature or second formula must agree with the closed form to this
CROSS_RTOL = mpmath.mpf("1e-25")
#: the two best-of-n layouts must agree to this (what those records are verified to)
BON_RTOL = mpmath.mpf("1e-12")
#: the claim is 1e-10 relative; an ulp of input rounding must not use more than 1e-11 of it
MAX_COND = 1e-11 / 2.0**-53
DBL_MAX = mpmath.mpf(sys.float_info.max)
DBL_TINY = mpmath.mpf(sys.float_info.min)


# ----------------------------------------------------------------------------------------
# Small tools
# ----------------------------------------------------------------------------------------
def sub(a, b):
    """a - b exactly (no rounding: t - loc must keep the digits of both doubles)."""
    return mp.fsub(a, b, exact=True)


def close(a, b, rtol, scale=0):
    """|a - b| <= rtol · max(|a|, |b|, scale); equal infinities (and two nan) are close."""
    if a == b or (mp.isnan(a) and mp.isnan(b)):
        return True
    if not (mp.isfinite(a) and mp.isfinite(b)):
        return False
    return abs(a - b) <= rtol * max(abs(a), abs(b), scale)


def check_close(what, a, b, rtol=CROSS_RTOL, scale=0):
    """a ≈ b to rtol relative (to ``scale`` where the two are the sum of larger parts)."""
    if not close(a, b, rtol, scale):
        rel = abs(a - b) / abs(b) if b else abs(a)
        raise AssertionError(f"{what}: {mp.nstr(a, 35)} vs {mp.nstr(b, 35)} (rel {mp.nstr(rel, 3)})")


def stable(fn, *args, dps=DPS, rtol=STABLE_RTOL):
    """fn(*args) (a tuple of mpf) at dps, dps + 40, ... until two evaluations agree to
    rtol; the result is rounded to the base precision by the caller's +x."""
    prev = None
    for extra in (0, 40, 120, 360, 1000, 3000):
        with mp.workdps(dps + extra):
            value = fn(*args)
        if prev is not None and all(close(a, b, rtol) for a, b in zip(prev, value, strict=True)):
            return value
        prev = value
    raise AssertionError(f"{fn.__name__}{args}: no stable value up to {dps + 3000} digits")


def quad_pieces(h, cuts, hint, anchor):
    """Σ ∫ h over consecutive cuts with ``integrate`` (h single-signed and unimodal on each
    piece); returns (value, Σ|pieces|, error estimate)."""
    value, size, err = mp.zero, mp.zero, mp.zero
    for a, b in itertools.pairwise(cuts):
        if not a < b:
            continue
        part, e = integrate(h, a, b, hint, min(max(anchor, a), b))
        value += part
        size += abs(part)
        err += e
    return value, size, err


def text(value):
    """The stored form of a reference value."""
    if isinstance(value, str):
        return value
    if mp.isnan(value):
        return "nan"
    if mp.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    return mp.nstr(value, SIG_DIGITS)


def relcond(terms, value):
    """Σ |a ∂v/∂a| / |v| from the products a ∂v/∂a (inf for a zero that moves with its
    arguments: no relative accuracy is possible there)."""
    size = sum(abs(x) for x in terms)
    if not mp.isfinite(value):
        return 0.0
    if value == 0:
        return 0.0 if size == 0 else math.inf
    return float(size / abs(value))


# ----------------------------------------------------------------------------------------
# Lower tails: F(t) = P(X <= t) and E[X; X <= t], textbook closed forms
# ----------------------------------------------------------------------------------------
# Each takes the threshold t (an mpf, the exact double) and the law's parameters, and
# returns (F(t), E[X; X <= t]) at the current precision. X = loc + scale Z throughout, so
# E[X; X <= t] = loc F(t) + scale E[Z; Z <= z] with z = (t - loc)/scale formed exactly.
def _mills(z):
    """Φ̄(z)/φ(z) for large z by its asymptotic series 1/z - 1/z³ + 3/z⁵ - ..., summed while
    the terms fall (mpmath's erfc overflows a float near z = 1e154 and is slow far out)."""
    total, term, k = mp.zero, 1 / z, 0
    while abs(term) > mp.eps * abs(total) or k == 0:
        total += term
        k += 1
        term *= -(2 * k - 1) / (z * z)
    return total


def _Phi_bar(z):
    """1 - Φ(z), also for |z| far beyond where erfc works."""
    if z > 100 and z * z > 10 * mp.prec:  # the series' smallest term is below 2^-(5 prec)
        return _mills(z) * mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
    if z < -100 and z * z > 10 * mp.prec:
        return 1 - _Phi_bar(-z)
    return mp.erfc(z / mp.sqrt(2)) / 2


def _Phi(z):
    return _Phi_bar(-z)


def _upper_gamma(s, x):
    """Γ(s, x) for s not an integer <= 0; for x < 1 as Γ(s) - Σ_k (-1)^k x^{s+k}/(k! (s + k)),
    the lower function's power series (mpmath's gammainc takes tens of seconds for
    x = 1e-750)."""
    if x >= 1:
        return mp.gammainc(s, x)
    total, term, k = mp.zero, mp.one, 0  # term = (-x)^k / k!
    while True:
        part = term / (s + k)
        total += part
        if k > 2 and abs(part) <= mp.eps * abs(total):
            break
        k += 1
        term *= -x / k
    return mp.gamma(s) - x**s * total


def _lower_gamma(s, x):
    """γ(s, x) = Γ(s) - Γ(s, x) for x > 1 (mpmath's lower function is slow for huge x)."""
    return mp.gammainc(s, 0, x) if x <= 1 else mp.gamma(s) - mp.gammainc(s, x)


def _lower_normal(t, mu=0.0, sigma=1.0):
    mu, sigma = M(mu), M(sigma)
    z = sub(t, mu) / sigma
    cdf = _Phi(z)
    return cdf, mu * cdf - sigma * mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def _lower_exponential(t, rate=1.0, loc=0.0):
    rate, loc = M(rate), M(loc)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    a = rate * y  # E[Y; Y <= y] = γ(2, a)/rate, γ the lower incomplete gamma function
    cdf = -mp.expm1(-a)
    return cdf, loc * cdf + _lower_gamma(2, a) / rate


def _lower_gumbel(t, mu=0.0, beta=1.0):
    # W = e^{-Z} ~ Exp(1): E[Z; Z <= z] = -∫_w^∞ log(x) e^{-x} dx = z e^{-w} - E1(w), w = e^{-z}
    mu, beta = M(mu), M(beta)
    z = sub(t, mu) / beta
    w = mp.exp(-z)
    cdf = mp.exp(-w)
    return cdf, mu * cdf + beta * (z * cdf - mp.e1(w))


def _lower_laplace(t, mu=0.0, b=1.0):
    mu, b = M(mu), M(b)
    z = sub(t, mu) / b
    if z <= 0:
        cdf, lower = mp.exp(z) / 2, (z - 1) * mp.exp(z) / 2
    else:  # E[Z] = 0 minus the upper part (1 + z) e^{-z}/2
        cdf, lower = 1 - mp.exp(-z) / 2, -(1 + z) * mp.exp(-z) / 2
    return cdf, mu * cdf + b * lower


def _lower_uniform(t, low=0.0, high=1.0):
    low, high = M(low), M(high)
    c = min(max(t, low), high)
    width = sub(high, low)
    return sub(c, low) / width, sub(c, low) * (c + low) / (2 * width)


def _lower_weibull(t, shape, scale=1.0, loc=0.0):
    k, lam, loc = M(shape), M(scale), M(loc)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    zk = (y / lam) ** k  # Z^k ~ Exp(1): E[Z; Z <= z] = γ(1 + 1/k, z^k)
    cdf = -mp.expm1(-zk)
    return cdf, loc * cdf + lam * _lower_gamma(1 + 1 / k, zk)


def _lower_student_t(t, nu, loc=0.0, scale=1.0):
    nu, loc, scale = M(nu), M(loc), M(scale)
    z = sub(t, loc) / scale
    # F(-|z|) = ½ I_{ν/(ν+z²)}(ν/2, ½); E[Z; Z <= z] = -(ν + z²) f(z)/(ν - 1) by symmetry
    half = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
    cdf = half if z <= 0 else 1 - half
    if nu <= 1:
        return cdf, ninf
    dens = (mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))
            * (1 + z * z / nu) ** (-(nu + 1) / 2))
    return cdf, loc * cdf - scale * (nu + z * z) * dens / (nu - 1)


def _lower_pareto(t, alpha, xm=1.0, loc=0.0):
    a, xm, loc = M(alpha), M(xm), M(loc)
    d = sub(sub(t, loc), xm)  # Y = X - loc >= xm; d = y - xm
    if d <= 0:
        return mp.zero, mp.zero
    L = mp.log1p(d / xm)  # log(y/xm); E[Y; Y <= y] = α xm ∫_0^L e^{(1-α)u} du
    cdf = -mp.expm1(-a * L)
    part = a * xm * L if a == 1 else a * xm * mp.expm1((1 - a) * L) / (1 - a)
    return cdf, loc * cdf + part


def _lower_lognormal(t, mu=0.0, sigma=1.0, loc=0.0):
    mu, sigma, loc = M(mu), M(sigma), M(loc)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    w = (mp.log(y) - mu) / sigma  # E[Y; Y <= y] = e^{μ + σ²/2} Φ(w - σ)
    cdf = _Phi(w)
    return cdf, loc * cdf + mp.exp(mu + sigma**2 / 2) * _Phi(w - sigma)


def _lower_levy(t, mu=0.0, c=1.0):
    mu, c = M(mu), M(c)
    y = sub(t, mu)
    if y <= 0:
        return mp.zero, mp.zero
    a = c / (2 * y)  # s = c/(2u): E[Y; Y <= y] = c Γ(-1/2, a) / (2√π), Γ the upper one
    cdf = mp.erfc(mp.sqrt(a))
    return cdf, mu * cdf + c * _upper_gamma(-mp.mpf(1) / 2, a) / (2 * mp.sqrt(mp.pi))


def _lower_frechet(t, alpha, loc=0.0, scale=1.0):
    a, loc, scale = M(alpha), M(loc), M(scale)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    e = (y / scale) ** (-a)  # Z = E^{-1/α}, E ~ Exp(1): E[Z; Z <= z] = Γ(1 - 1/α, z^{-α})
    cdf = mp.exp(-e)
    return cdf, loc * cdf + scale * _upper_gamma(1 - 1 / a, e)


def _lower_burr_xii(t, c, k, loc=0.0, scale=1.0):
    c, k, loc, scale = M(c), M(k), M(loc), M(scale)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    zc = (y / scale) ** c
    # 1/(1 + Z^c) ~ Beta(k, 1): E[Z; Z <= z] = k B(q; 1 + 1/c, k - 1/c), q = z^c/(1 + z^c)
    cdf = -mp.expm1(-k * mp.log1p(zc))
    part = k * mp.betainc(1 + 1 / c, k - 1 / c, 0, zc / (1 + zc))
    return cdf, loc * cdf + scale * part


def _lower_gpd(t, xi, loc=0.0, scale=1.0):
    xi, loc, scale = M(xi), M(loc), M(scale)
    y = sub(t, loc)
    if y <= 0:
        return mp.zero, mp.zero
    z = y / scale
    L = mp.log1p(xi * z)
    sf = mp.exp(-L / xi)
    # E[Z; Z <= z] = -z F̄(z) + ∫_0^z F̄ = -z F̄(z) + ((1 + ξz)^{1 - 1/ξ} - 1)/(ξ - 1)
    integral = L if xi == 1 else mp.expm1((1 - 1 / xi) * L) / (xi - 1)
    return -mp.expm1(-L / xi), loc * (-mp.expm1(-L / xi)) + scale * (integral - z * sf)


def _lower_cauchy(t, loc=0.0, scale=1.0):
    loc, scale = M(loc), M(scale)
    z = sub(t, loc) / scale
    # ½ + atan(z)/π cancels for z -> -∞: atan(z) = -π/2 - atan(1/z) there
    cdf = -mp.atan(1 / z) / mp.pi if z < -1 else mp.mpf(1) / 2 + mp.atan(z) / mp.pi
    return cdf, ninf


LOWER = {
    "Normal": _lower_normal, "Exponential": _lower_exponential, "Gumbel": _lower_gumbel,
    "Laplace": _lower_laplace, "Uniform": _lower_uniform, "Weibull": _lower_weibull,
    "StudentT": _lower_student_t, "Pareto": _lower_pareto, "LogNormal": _lower_lognormal,
    "Levy": _lower_levy, "Frechet": _lower_frechet, "BurrXII": _lower_burr_xii,
    "GPD": _lower_gpd, "Cauchy": _lower_cauchy,
}


def law_mean(name, params):
    """E[X] from the textbook (``inf`` where the right tail has no mean, nan for both)."""
    p = {k: M(v) for k, v in params.items()}
    g = p.get
    if name == "Normal":
        return g("mu", 0)
    if name == "Exponential":
        return g("loc", 0) + 1 / g("rate", 1)
    if name == "Gumbel":
        return g("mu", 0) + g("beta", 1) * mp.euler
    if name == "Laplace":
        return g("mu", 0)
    if name == "Uniform":
        return (g("low", 0) + g("high", 1)) / 2
    if name == "Weibull":
        return g("loc", 0) + g("scale", 1) * mp.gamma(1 + 1 / p["shape"])
    if name == "StudentT":
        return g("loc", 0) if p["nu"] > 1 else mp.nan
    if name == "Pareto":
        a = p["alpha"]
        return g("loc", 0) + a * g("xm", 1) / (a - 1) if a > 1 else inf
    if name == "LogNormal":
        return g("loc", 0) + mp.exp(g("mu", 0) + g("sigma", 1) ** 2 / 2)
    if name == "Frechet":
        a = p["alpha"]
        return g("loc", 0) + g("scale", 1) * mp.gamma(1 - 1 / a) if a > 1 else inf
    if name == "BurrXII":
        c, k = p["c"], p["k"]
        return (g("loc", 0) + g("scale", 1) * k * mp.beta(k - 1 / c, 1 + 1 / c)
                if c * k > 1 else inf)
    if name == "GPD":
        xi = p["xi"]
        return g("loc", 0) + g("scale", 1) / (1 - xi) if xi < 1 else inf
    if name == "Levy":
        return inf
    return mp.nan  # Cauchy


def location(name, params):
    """The location parameter (what the package subtracts from t in doubles)."""
    key = {"Normal": "mu", "Gumbel": "mu", "Laplace": "mu", "Levy": "mu", "Uniform": "low"}
    return M(params.get(key.get(name, "loc"), 0.0))


def _arg_digits(t):
    """2 log10|t| digits: a normal's exponent (t - μ)²/2 needs them to be right to 1e-10
    absolute, and ``stable`` cannot see that need (below it, every precision rounds t - μ
    the same way and agrees with itself)."""
    return 2 * max(0, int(mp.log10(abs(t)))) if t != 0 and mp.isfinite(t) else 0


def lower_tail(name, params, t):
    """(F(t), E[X; X <= t], f(t)/F(t)) at the current precision, each stable to 40 digits
    (f/F needs the digits of log F, e.g. e^{300} for the Gumbel at t = -300)."""
    def three(t):
        cdf, part = LOWER[name](t, **params)
        return cdf, part, LAWS[name](**params).pdf(t) / cdf

    cdf, part, ratio = stable(three, t, dps=mp.dps + _arg_digits(t))
    return +cdf, +part, +ratio


def _length_at(h, x):
    """|h/h'| at x (the length over which h changes by a factor e), from log|h|."""
    with mp.workdps(mp.dps + int(abs(mp.log10(abs(x)))) * 2 + 40):
        step = abs(x) * mp.mpf("1e-20")  # a central difference: error ~ 1e-40 relative
        slope = (mp.log(abs(h(x + step))) - mp.log(abs(h(x - step)))) / (2 * step)
    return 1 / abs(slope) if slope != 0 else inf


def quad_lower(name, params, t, size):
    """∫_lo^t x f(x) dx by quadrature, with enough digits that the nodes next to t
    resolve the integrand's length scale there, and that the parts on either side of 0
    survive their cancellation; None where that would take more than 800 digits. Where
    what lies above t is below 10^-(DPS + 10) of ``size`` (light laws far up), over the
    whole support."""
    with mp.workdps(DPS):
        law = LAWS[name](**params)
        t = min(t, law.hi)
        if law.hi == inf and t > law.center + 10 * law.scale and mp.isfinite(size):
            above = upper_tail(name, params, t)
            if abs(above[0] * above[1]) < mp.mpf(10) ** -(DPS + 10) * abs(size):
                t = law.hi
        h_t = (_length_at(lambda x: x * law.pdf(x), t) if t != 0 and law.lo < t < law.hi
               else inf)
        h_t = h_t if h_t > 0 else inf  # a density that ends at t: no length scale there
        span = max(abs(t) if t != inf else 0, abs(law.lo) if mp.isfinite(law.lo) else 0,
                   law.scale)
        near = min(law.scale, h_t, abs(t - law.lo) if mp.isfinite(law.lo) else inf)
        extra = int(mp.log10(span / near)) + 10 if near < span else 10
    extra_cancel = 0
    while True:
        dps = DPS + extra + extra_cancel
        if dps > 800:
            return None
        with mp.workdps(dps):
            law = LAWS[name](**params)
            # over y = x - t, the integrand scaled by |t f(t)|, each value formed with all
            # of the working digits (``integrate`` locates the mode at 20 digits, which
            # next to t = -1e100 would not even resolve x - μ)
            shift = t if t != inf else mp.zero
            ref = abs(t * law.pdf(t)) if t != inf else mp.zero
            ref = ref if ref != 0 and mp.isfinite(ref) else mp.one

            def h(y, law=law, dps=dps, shift=shift, ref=ref):
                with mp.workdps(dps):
                    x = shift + y  # at dps digits, chosen above to resolve y next to t
                    v = x * law.pdf(x) / ref if x != 0 else mp.zero  # x f(x) -> 0 at 0
                return +v

            cuts = sorted({law.lo, t, *[x for x in {mp.zero, *law.kinks} if law.lo < x < t]})
            cuts = [c - shift for c in cuts]
            # far out the integrand's length scale at t, not the law's scale, sets the step
            hint = h_t if mp.isfinite(h_t) and abs(t - law.center) > 10 * law.scale else law.scale
            value, size, err = quad_pieces(h, cuts, hint, law.center - shift)
            value, size, err = value * ref, size * ref, err * ref
            lost = int(mp.log10(size / abs(value))) if value != 0 else dps
            if lost + 35 <= DPS + extra_cancel:
                assert err <= mpmath.mpf("1e-30") * size, (name, params, t, err, size)
                return +value
            extra_cancel = lost + 40 - DPS


def ref_lower(name, params, t):
    """E[X; X <= t], E[X | X <= t] and their condition numbers."""
    t = M(t)
    with mp.workdps(DPS):
        law = LAWS[name](**params)
        loc = location(name, params)
        if t <= law.lo:  # below the support: F(t) = 0 exactly
            return {"pml": mp.zero, "cml": mp.nan, "cond_pml": 0.0, "cond_cml": 0.0}
        cdf, part, hazard = lower_tail(name, params, t)
    if part == ninf:  # Cauchy, StudentT with ν <= 1: the left tail has no mean
        with mp.workdps(DPS):
            h = lambda x: x * law.pdf(x)  # noqa: E731
            assert base._divergent(h, lambda e: law.center - law.scale * mp.mpf(10) ** e)
        return {"pml": ninf, "cml": ninf, "cond_pml": 0.0, "cond_cml": 0.0}
    with mp.workdps(DPS):
        cml = part / cdf
    gap, dps = t - cml, DPS  # t - E[X | X <= t], which may be far below t's last digit
    while gap == 0 or abs(gap) < abs(t) * mp.mpf(10) ** (20 - dps):
        dps = 2 * dps
        assert dps < 5000, (name, params, t)
        with mp.workdps(dps):
            c2, p2, _ = lower_tail(name, params, t)
            gap = t - p2 / c2
    with mp.workdps(DPS):
        tf = t * hazard * cdf
        g = hazard * gap  # dE[X | X <= t]/dt
        cond_pml = relcond([t * tf, loc * (cdf - tf)], part)
        cond_cml = relcond([t * g, loc * (1 - g)], cml)
    result = {"pml": part, "cml": cml, "cond_pml": cond_pml, "cond_cml": cond_cml, "gap": gap}
    if not min(cond_pml, cond_cml) <= MAX_COND:
        # neither record is generated (e.g. E[X; X <= t] ~ -φ(t) for a centred normal far
        # up); the value still enters P_{t,p}'s mean, as this closed form, which is
        # cross-checked at every other threshold
        return result
    # cross-check (a): quadrature of x f(x) over [lo, t]
    checked = False
    quad = quad_lower(name, params, t, part)
    if quad is not None:
        check_close(f"{name}{params} E[X; X <= {t}] quadrature", quad, part)
        checked = True
    # cross-check (b): E[X] - E[X; X > t] with make_reference's upper closed forms
    mean = law_mean(name, params)
    ratio = abs(part / mean) if mp.isfinite(mean) and mean != 0 else mp.one
    if law.pm is not None and law.mean_finite and part != 0 and ratio > mpmath.mpf("1e-700"):
        with mp.workdps(DPS + max(0, int(-mp.log10(ratio))) + 20):
            sf, upper, _ = upper_tail(name, params, t, dps=mp.dps)
            diff = law_mean(name, params) - (sf * upper if sf > 0 else 0)
        check_close(f"{name}{params} E[X; X <= {t}] = E[X] - E[X; X > t]", diff, part)
        checked = True
    # cross-check (c), where neither reaches (a Fréchet lower tail F(t) = e^{-1e750}):
    # E[X | X <= t] = t - ∫_lo^t F(x)/F(t) dx
    if not checked and name in GAP_BY_CDF:
        with mp.workdps(DPS):
            check_close(f"{name}{params} t - E[X | X <= {t}] from F", GAP_BY_CDF[name](t, **params),
                        gap, rtol=mpmath.mpf("1e-20"))
        checked = True
    assert checked, f"{name}{params} t={t}: no cross-check available"
    return result


def _frechet_gap(t, alpha, loc=0.0, scale=1.0):
    """t - E[X | X <= t] = scale z ∫_0^1 F(z(1 - y))/F(z) dy for the Fréchet law, where
    F(z(1 - y))/F(z) = exp(-z^{-α} ((1 - y)^{-α} - 1)) falls from 1 over y ~ z^α/α."""
    a, loc, scale = M(alpha), M(loc), M(scale)
    z = sub(t, loc) / scale
    e = z ** (-a)

    def h(y):
        return mp.exp(-e * mp.expm1(-a * mp.log1p(-y)))

    value, err = integrate(h, mp.zero, mp.one, 1 / (a * e), mp.zero)
    assert err <= mpmath.mpf("1e-30") * value, (alpha, t, err, value)
    return scale * z * value


GAP_BY_CDF = {"Frechet": _frechet_gap}


# ----------------------------------------------------------------------------------------
# The Theorem 1 family P_{t,p}
# ----------------------------------------------------------------------------------------
def upper_tail(name, params, t, dps=DPS, rtol=STABLE_RTOL):
    """(F̄(t), E[X | X > t], f(t)/F̄(t)) from make_reference's textbook sf and upper
    partial mean (E[X | X > t] = inf where the right tail has no mean)."""
    def three(t):
        law = LAWS[name](**params)
        if name == "Normal":  # make_reference's erfc overflows a float past z = 1e154
            mu, sigma = M(params.get("mu", 0.0)), M(params.get("sigma", 1.0))
            z = sub(t, mu) / sigma
            sf = _Phi_bar(z)
            upper = mu + sigma * mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi) / sf
            return sf, upper, mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi) / sigma / sf
        sf = law.sf(t)
        if sf == 0:  # at or beyond the upper end of the support: no mass above t
            return sf, mp.nan, mp.nan
        upper = law.pm(t) / sf if law.pm is not None else inf
        return sf, upper, law.pdf(t) / sf

    sf, upper, hazard = stable(three, t, dps=dps + _arg_digits(t), rtol=rtol)
    return +sf, +upper, +hazard


def _both_tails(name, params, t, dps):
    """(F(t), F̄(t)) with full relative accuracy each: the lower one from the textbook cdf
    of ``LOWER``, the upper from make_reference's sf, checked to sum to 1 at a precision
    that resolves the smaller one."""
    with mp.workdps(dps):
        cdf = lower_tail(name, params, t)[0]
        sf = upper_tail(name, params, t, dps=dps)[0]
    small = min(cdf, sf)
    if small < mpmath.mpf("1e-350"):  # the other one is 1 - small to every digit kept
        return (cdf, 1 - cdf) if cdf == small else (1 - sf, sf)
    with mp.workdps(DPS + max(0, int(-mp.log10(small))) + 10):
        cdf2 = lower_tail(name, params, t)[0]
        sf2 = upper_tail(name, params, t, dps=mp.dps)[0]
        assert abs(cdf2 + sf2 - 1) <= mpmath.mpf("1e-35") * small, (name, params, t)
    return cdf, sf


def ref_threshold_mean(name, params, t, p):
    """E_P[X] = (1 - p) E[X | X <= t] + p E[X | X > t] and its condition number."""
    low = _memo(ref_lower, name, params, t)
    t, p = M(t), M(p)
    lower = low["cml"]
    with mp.workdps(DPS):
        sf, upper, hazard_up = upper_tail(name, params, t)
        law = LAWS[name](**params)
        if upper == inf:
            assert not law.mean_finite
        elif law.mean_finite:  # E[X] = F E[X | X <= t] + F̄ E[X | X > t]
            cdf = lower_tail(name, params, t)[0]
            with mp.workdps(DPS + 20):
                check_close(f"{name}{params} t={t}: F L + F̄ U = E[X]", cdf * lower + sf * upper,
                            law_mean(name, params), scale=abs(cdf * lower) + abs(sf * upper))
        if lower == ninf and upper == inf:
            return mp.nan, 0.0
        if upper == inf:
            return inf, 0.0
        mean = (1 - p) * lower + p * upper
        cdf, _, hazard_lo = lower_tail(name, params, t)
        g_lo = hazard_lo * low["gap"]  # dE[X | X <= t]/dt
        g_up = hazard_up * (upper - t)
        d_t = (1 - p) * g_lo + p * g_up
        cond = relcond([t * d_t, location(name, params) * (1 - d_t), p * (upper - lower)], mean)
        if cond <= MAX_COND:  # the gap t - E[X | X <= t] above may have lost its digits
            # (here mean != 0: a zero mean has cond = inf)
            cond = max(cond, low["cond_cml"] * float(abs((1 - p) * lower / mean)))
    return mean, cond


def _kl_terms(p, sf, cdf):
    """KL(P_{t,p}‖Q) in the form that cancels least: d = p - F̄,
    p log1p(d/F̄) + (1 - p) log1p(-d/F)."""
    d = p - sf
    return p * mp.log1p(d / sf) + (1 - p) * mp.log1p(-d / cdf)


def ref_threshold_kl(name, params, t, p):
    """KL(P_{t,p}‖Q) at 90+ digits, cross-checked by the plain formula at 150+ digits.

    The condition number includes t: ∂KL/∂t = f(t)(p - F̄)/(F̄ F) and ∂KL/∂p =
    log(p/F̄) - log((1 - p)/F). For p = F̄(1 + δ), KL ≈ F̄δ²/(2F) and cond ≈ 2(1 + |t f/F̄|)/|δ|:
    a double evaluation of F̄(t) alone moves the KL by cond · 2^-53 relative.
    """
    t, p = M(t), M(p)
    cdf, sf = _both_tails(name, params, t, 90)
    with mp.workdps(90):
        kl = _kl_terms(p, sf, cdf)
    # the plain formula needs log((1 - p)/F) to F̄|δ| · 1e-40 absolute where F̄ is small
    with mp.workdps(150 + (min(400, int(-mp.log10(sf))) if sf < 0.5 else 0)):
        cdf2, sf2 = _both_tails(name, params, t, mp.dps)
        plain = (1 - p) * mp.log((1 - p) / cdf2) + p * mp.log(p / sf2)
        check_close(f"{name}{params} KL(t={t}, p={p}) plain formula", plain, kl, rtol=1e-40)
    with mp.workdps(DPS):
        hazard_lo = lower_tail(name, params, t)[2]  # f/F, with the digits of log F
        d_t = hazard_lo * (p - sf) / sf
        d_p = mp.log1p((p - sf) / sf) - mp.log1p((sf - p) / cdf)
        loc = location(name, params)
        cond = relcond([t * d_t, loc * d_t, p * d_p], kl)
    return +kl, cond


def near_p(name, params, t, delta):
    """The double nearest F̄(t)(1 + δ), with the δ it really has (None if p is not in (0, 1)
    or the rounding moves δ by more than 1%)."""
    with mp.workdps(90):
        sf = upper_tail(name, params, M(t), dps=90)[0]
        if sf < DBL_TINY:
            return None
        p = float(sf * (1 + mp.mpf(delta)))
        if not 0 < p < 1:
            return None
        actual = M(p) / sf - 1
        if abs(actual - delta) > abs(mp.mpf(delta)) / 100:
            return None
        return p, float(actual)


# ----------------------------------------------------------------------------------------
# Exponential tilts of the light laws
# ----------------------------------------------------------------------------------------
TILT_DPS = 120


def _weibull_series(k, u):
    """(M, M', M'') of E[e^{uZ}] for Z ~ Weibull(k), k > 1, by the moment series
    Σ u^n Γ(1 + n/k)/n! (positive terms; stop past the peak once below 10^-(dps+10))."""
    sums = [mp.zero, mp.zero, mp.zero]
    tiny = mp.mpf(10) ** -(mp.dps + 10)
    n = 0
    while True:
        moment = mp.gamma(1 + mp.mpf(n) / k)
        terms = [u**n * moment / mp.factorial(n)]
        terms.append(u ** (n - 1) * moment / mp.factorial(n - 1) if n >= 1 else mp.zero)
        terms.append(u ** (n - 2) * moment / mp.factorial(n - 2) if n >= 2 else mp.zero)
        for j in range(3):
            sums[j] += terms[j]
        if n > 10 and all(tj <= tiny * sj for tj, sj in zip(terms, sums, strict=True)) and (
                u * (n + 1) ** (1 / k - 1) < 1):
            return sums
        n += 1
        assert n < 20000, (k, u)


def tilt_standard(name, params, u):
    """(K_Z, K_Z', K_Z'', KL_Z) at u = λ·scale for the standard variable Z of a light law."""
    if name == "Normal":
        return u * u / 2, u, mp.one, u * u / 2
    if name == "Exponential" or (name == "Weibull" and M(params["shape"]) == 1):
        if u >= 1:
            return (inf,) * 4
        k, k1, k2 = -mp.log1p(-u), 1 / (1 - u), 1 / (1 - u) ** 2
    elif name == "Gumbel":
        if u >= 1:
            return (inf,) * 4
        k, k1, k2 = mp.loggamma(1 - u), -mp.digamma(1 - u), mp.psi(1, 1 - u)
    elif name == "Laplace":
        if u >= 1:
            return (inf,) * 4
        q = u * u
        k, k1, k2 = -mp.log1p(-q), 2 * u / (1 - q), 2 * (1 + q) / (1 - q) ** 2
    elif name == "Uniform":
        big = u > 10**6  # e^{-u} below 10^-434294: the terms with it are dropped
        em = mp.zero if big else mp.exp(-u)
        k = u + mp.log1p(-em) - mp.log(u)  # log((e^u - 1)/u)
        k1 = 1 / (mp.one if big else -mp.expm1(-u)) - 1 / u
        k2 = 1 / u**2 - (mp.zero if big else 1 / (4 * mp.sinh(u / 2) ** 2))
        if u > 1:  # u K' - K without the cancellation of u against u
            kl = mp.log(u) - 1 + (mp.zero if big else u / mp.expm1(u)) - mp.log1p(-em)
            return k, k1, k2, kl
    elif name == "Weibull" and M(params["shape"]) == 2:
        # E[e^{uZ}] = 1 + u g(u), g(u) = (√π/2) e^{u²/4} erfc(-u/2), g' = u g/2 + 1/2
        g = mp.sqrt(mp.pi) / 2 * mp.exp(u * u / 4) * mp.erfc(-u / 2)
        g1 = u * g / 2 + mp.one / 2
        g2 = (g + u * g1) / 2
        m0, m1, m2 = 1 + u * g, g + u * g1, 2 * g1 + u * g2
        k, k1, k2 = mp.log(m0), m1 / m0, m2 / m0 - (m1 / m0) ** 2
    elif name == "Weibull":
        m0, m1, m2 = _weibull_series(M(params["shape"]), u)
        k, k1, k2 = mp.log(m0), m1 / m0, m2 / m0 - (m1 / m0) ** 2
    else:
        raise ValueError(name)
    return k, k1, k2, u * k1 - k


def loc_scale(name, params):
    p = {k: M(v) for k, v in params.items()}
    if name == "Normal":
        return p.get("mu", mp.zero), p.get("sigma", mp.one)
    if name == "Exponential":
        return p.get("loc", mp.zero), 1 / p.get("rate", mp.one)
    if name == "Gumbel":
        return p.get("mu", mp.zero), p.get("beta", mp.one)
    if name == "Laplace":
        return p.get("mu", mp.zero), p.get("b", mp.one)
    if name == "Uniform":
        low, high = p.get("low", mp.zero), p.get("high", mp.one)
        return low, sub(high, low)
    return p.get("loc", mp.zero), p.get("scale", mp.one)  # Weibull


def tilt_terms(name, params, lam):
    """(K, K', K'', KL) at λ (exact mpf), each stable to 60 digits at 120+ digits."""
    def four(lam):
        loc, scale = loc_scale(name, params)
        k, k1, k2, kl = tilt_standard(name, params, lam * scale)
        if k == inf:
            return (inf,) * 4
        return lam * loc + k, loc + scale * k1, scale**2 * k2, kl

    return stable(four, lam, dps=TILT_DPS, rtol=mpmath.mpf("1e-60"))


def check_tilt_by_quadrature(name, params, lam):
    """K and K' at λ against quadrature of E[expm1(λ(X - c))] and E[(X - c) e^{λ(X - c)}],
    c = E[X] (centred, so that nothing cancels at small λ)."""
    k, k1, _, _ = tilt_terms(name, params, lam)
    with mp.workdps(60):
        law = LAWS[name](**params)
        c = law_mean(name, params)
        cuts = sorted({law.lo, law.hi, c, *[x for x in law.kinks if law.lo < x < law.hi]})
        pieces = {}
        for label, weight in (("A", lambda x: mp.expm1(lam * (x - c))),
                              ("B", lambda x: (x - c) * mp.exp(lam * (x - c)))):
            value, size, err = quad_pieces(lambda x, w=weight: w(x) * law.pdf(x), cuts,
                                           law.scale, c)
            assert err <= mpmath.mpf("1e-40") * size, (name, params, lam, label, err)
            pieces[label] = value
        a_cf = mp.expm1(k - lam * c)
        b_cf = (k1 - c) * mp.exp(k - lam * c)
        check_close(f"{name}{params} E[expm1(λ(X - c))] at λ={lam}", pieces["A"], a_cf)
        check_close(f"{name}{params} E[(X - c) e^(λ(X - c))] at λ={lam}", pieces["B"], b_cf)


def ref_tilt(name, params, beta, check=False):
    """{field: value} of tilt(dist, beta=β) and {field: cond}; 'diverges' past the radius."""
    lam = 1 / M(beta)  # the reference is at λ = 1/β of the stored double β
    if _at_or_past_radius(name, params, M(beta)):  # decided exactly, not from a rounded λ
        return {f: "diverges" for f in ("log_partition", "mean_reward", "kl")}, {}
    k, k1, k2, kl = tilt_terms(name, params, lam)
    if k == inf:
        return {f: "diverges" for f in ("log_partition", "mean_reward", "kl")}, {}
    if check:
        check_tilt_by_quadrature(name, params, lam)
    loc, _ = loc_scale(name, params)
    with mp.workdps(DPS):
        cond = {"log_partition": relcond([lam * k1, loc * lam], k),
                "mean_reward": relcond([lam * k2, loc], k1),
                "kl": relcond([lam * lam * k2], kl)}
    return {"log_partition": k, "mean_reward": k1, "kl": kl}, cond


def _at_or_past_radius(name, params, beta):
    """λ = 1/β >= the mgf's radius 1/scale, i.e. β <= scale (β rate <= 1 for the
    exponential), compared exactly: a product of two doubles fits in 50 digits."""
    if not mp.isfinite(radius(name, params)):
        return False
    with mp.workdps(DPS):
        if name == "Exponential":
            return beta * M(params.get("rate", 1.0)) <= 1
        return beta <= loc_scale(name, params)[1]


def ref_tilt_discrete(values, probs, beta):
    """The tilt of a finite law (values u_i, probabilities q_i) at λ = 1/β: weights
    w_i = q_i e^{λ(u_i - max u)}, K = λ max u + log Σ w, K' = Σ π u, KL = Σ π log(π/q)."""
    with mp.workdps(TILT_DPS):
        lam = 1 / M(beta)
        u = [M(v) for v in values]
        q = [M(p) for p in probs]
        top = max(u)
        w = [qi * mp.exp(lam * (ui - top)) for qi, ui in zip(q, u, strict=True)]
        z = sum(w)
        pi = [wi / z for wi in w]
        k = lam * top + mp.log(z)
        k1 = sum(pi_i * ui for pi_i, ui in zip(pi, u, strict=True))
        kl = sum(pi_i * (lam * (ui - top) - mp.log(z)) for pi_i, ui in zip(pi, u, strict=True) if pi_i > 0)
        var = sum(pi_i * (ui - k1) ** 2 for pi_i, ui in zip(pi, u, strict=True))
        cond = {"log_partition": relcond([lam * k1], k), "mean_reward": relcond([lam * var], k1),
                "kl": relcond([lam * lam * var], kl)}
    return {"log_partition": k, "mean_reward": k1, "kl": kl}, cond


# ----------------------------------------------------------------------------------------
# sup{E_P[X] : KL(P‖Q) <= ε}: the tilt with KL = ε
# ----------------------------------------------------------------------------------------
def radius(name, params):
    """sup{λ : E[e^{λX}] < ∞} (textbook)."""
    _, scale = loc_scale(name, params)
    if name in ("Exponential", "Gumbel", "Laplace") or (
            name == "Weibull" and M(params["shape"]) == 1):
        return 1 / scale
    return inf


def ref_sup_mean(name, params, eps):
    """{value, lam, gain} and their conds: λ with KL(λ) = ε by bisection on log λ (or on
    log(radius - λ) near a finite radius), K'(λ) and K'(λ) - E[X]."""
    eps = M(eps)
    r = radius(name, params)
    loc, scale = loc_scale(name, params)
    with mp.workdps(TILT_DPS):
        def kl_at(lam):
            return tilt_standard(name, params, lam * scale)[3]

        if mp.isfinite(r) and kl_at(r / 2) < eps:  # the root is in (r/2, r): bisect on the gap
            lo, hi = mp.log(r / 2), mp.log(r) - mp.mpf(1000)  # y = log(r - λ), decreasing KL
            to_lam = lambda y: r - mp.exp(y)  # noqa: E731
        else:
            hi = mp.log(r / 2) if mp.isfinite(r) else mp.mpf(1)
            lo = mp.mpf(-200)  # KL(e^-200) ~ e^-400: below every ε here
            if not mp.isfinite(r):
                while kl_at(mp.exp(hi)) < eps:
                    hi *= 2 if hi > 0 else -1
            to_lam = mp.exp
        assert (kl_at(to_lam(lo)) < eps) and (kl_at(to_lam(hi)) > eps), (name, params, eps)
        for _ in range(600):
            mid = (lo + hi) / 2
            if kl_at(to_lam(mid)) < eps:  # keep KL(lo) < ε < KL(hi)
                lo = mid
            else:
                hi = mid
            if abs(hi - lo) < mp.mpf(10) ** (-TILT_DPS + 10) * max(1, abs(mid)):
                break
        lam = to_lam((lo + hi) / 2)
        residual = kl_at(lam) - eps
        assert abs(residual) <= mpmath.mpf("1e-60") * eps, (name, params, eps, residual)
        k, k1, k2, _ = tilt_standard(name, params, lam * scale)
        mean_z = (law_mean(name, params) - loc) / scale
        value = loc + scale * k1
        gain = scale * (k1 - mean_z)
        lam_k2 = lam * scale**2 * k2  # λ K''(λ)
        if name == "Normal":  # μ + σ√(2ε), attained at λ = √(2ε)/σ
            check_close("Normal sup mean", value, loc + scale * mp.sqrt(2 * eps), rtol=1e-80)
            check_close("Normal sup lam", lam, mp.sqrt(2 * eps) / scale, rtol=1e-80)
    with mp.workdps(DPS):
        cond = {"value": relcond([eps / lam, loc], value), "gain": relcond([eps / lam], gain),
                "lam": relcond([eps / lam_k2], lam)}
    return {"value": value, "lam": lam, "gain": gain}, cond


# ----------------------------------------------------------------------------------------
# Conditioning: E[V | X + V >= t] for independent X, V
# ----------------------------------------------------------------------------------------
def _excess_upper(name, law, s):
    """E[(V - E[V]); V > s] >= 0 (the parts above and below the mean cancel exactly in
    E[V - E[V]] = 0, so the smaller side is computed directly)."""
    mu = law.mean
    if s >= mu:
        return law.pm(s) - mu * law.sf(s)
    cdf, part = LOWER[name](s, **law.params)
    return mu * cdf - part


def _ladder(center, scale, lo, hi):
    """Break points center ± scale·4^j (j = -1 .. 30) inside (lo, hi), and the ends."""
    points = {lo, hi, center}
    for j in range(-1, 31):
        for sign in (-1, 1):
            points.add(center + sign * scale * mp.mpf(4) ** j)
    return sorted(x for x in points if lo <= x <= hi)


def _quad(h, cuts):
    """∫ h over consecutive cuts with mp.quad; returns (value, error estimate)."""
    value, err = mp.quad(h, cuts, error=True)
    return value, err


def _conditional_closed_form(x, v, t):
    """E[V | X + V >= t] in closed form for Normal + Normal and Exponential + Normal."""
    (xn, xp), (_, vp) = x, v
    mu_v, sd_v = M(vp.get("mu", 0.0)), M(vp.get("sigma", 1.0))
    if xn == "Normal":  # U normal, E[V | U] linear in U
        mu_u = M(xp.get("mu", 0.0)) + mu_v
        sd_u = mp.sqrt(M(xp.get("sigma", 1.0)) ** 2 + sd_v**2)
        z = (t - mu_u) / sd_u
        mills = 1 / _mills(z) if z > 100 and z * z > 10 * mp.prec else (
            mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi) / _Phi_bar(z))
        return mu_v + sd_v**2 / sd_u * mills
    # X ~ Exponential(rate r, loc): F̄_X(t - v) = e^{-r (t' - v)} below t' = t - loc, and
    # f_V(v) e^{rv} = e^{rμ + r²σ²/2} times the N(μ + rσ², σ²) density
    r, loc = M(xp.get("rate", 1.0)), M(xp.get("loc", 0.0))
    tp = t - loc
    m = mu_v + r * sd_v**2
    a, b = (tp - m) / sd_v, (tp - mu_v) / sd_v
    phi = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
    w = mp.exp(-r * tp + r * mu_v + (r * sd_v) ** 2 / 2)
    den = w * _Phi(a) + _Phi_bar(b)
    num = w * (m * _Phi(a) - sd_v * phi(a)) + (mu_v * _Phi_bar(b) + sd_v * phi(b))
    return num / den


CLOSED_PAIRS = {("Normal", "Normal"), ("Exponential", "Normal")}
#: quadrature precision of the convolutions; the laws are evaluated at t - (node) with
#: log10|t| + 30 more digits (``_Shifted``), so that t - v keeps every digit of v
CONV_DPS = DPS - 5


class _Shifted:
    """A law evaluated at t - y, the subtraction and the evaluation done with enough digits
    that y's digits survive next to t; the result is rounded to the quadrature precision."""

    def __init__(self, name, params, t):
        self.name, self.params, self.t = name, params, t
        self.dps = mp.dps + 30 + (max(0, int(mp.log10(abs(t)))) if t != 0 else 0)
        with mp.workdps(self.dps):
            self.law = LAWS[name](**params)

    def _at(self, method, y):
        with mp.workdps(self.dps):
            value = getattr(self.law, method)(sub(self.t, y))
        return +value

    def pdf(self, y):
        return self._at("pdf", y)

    def sf(self, y):
        return self._at("sf", y)

    def sf_minus(self, y, y0):
        """F̄(t - y) - F̄(t - y0), the difference taken with the digits of both."""
        with mp.workdps(self.dps):
            value = self.law.sf(sub(self.t, y)) - self.law.sf(sub(self.t, y0))
        return +value


def _v_law(name, params):
    """The utility's law with its mean and a range outside which its density is below
    e^-700 of its peak (the convolutions are integrated over that range only)."""
    law = LAWS[name](**params)
    law.params, law.mean = params, law_mean(name, params)
    if name == "Normal":
        law.range = (law.center - 40 * law.scale, law.center + 40 * law.scale)
    elif name == "Exponential":
        law.range = (law.lo, law.lo + 700 * law.scale)
    else:
        law.range = (law.lo, law.hi)
    return law


def _conditional_layouts(x, v, t):
    """E[V | X + V >= t] - E[V] by two layouts, both in variables of V's scale:

    over v:  ∫ (v - μ) f_V(v) [F̄_X(t - v) - F̄_X(t - μ)] dv / ∫ f_V(v) F̄_X(t - v) dv
    over s = t - x:  ∫ f_X(t - s) E[(V - μ); V > s] ds / (F̄_X(t - μ) + ∫ f_X(t - s) k(s) ds),
    k(s) = F̄_V(s) - 1{s < μ}.

    The brackets change sign with v - μ and s - μ, so nothing cancels at the quadrature's
    precision; the cancellation of F̄_X(t - v) against F̄_X(t - μ) happens inside
    ``_Shifted`` with log10 t more digits. Returns (deviation by v, by s, P(U >= t) by v,
    by s).
    """
    (xn, xp), (vn, vp) = x, v
    sx = _Shifted(xn, xp, t)
    lx, lv = sx.law, _v_law(vn, vp)
    mu = lv.mean
    lo, hi = lv.range
    # break points: V's centre and scale, X's centre, support ends and kinks seen from t
    cuts = set(_ladder(mu, lv.scale, lo, hi)) | {mu}
    x_points = [lx.center, *lx.kinks, *[e for e in (lx.lo, lx.hi) if mp.isfinite(e)]]
    cuts |= {t - c for c in x_points}
    cuts |= set(_ladder(t - lx.center, lx.scale, lo, hi)) - {lo, hi}
    cuts = sorted(c for c in cuts if lo <= c <= hi)
    # mp.quad's error estimate has an absolute floor: integrate h/norm, h normalised
    norm = sx.sf(mu)
    norm_num = sx.pdf(mu) * lv.scale**2 or norm  # the numerators are ~ f_X(t - μ) Var(V)
    den_v, e1 = _quad(lambda y: lv.pdf(y) * sx.sf(y) / norm, cuts)
    num_v, e2 = _quad(lambda y: (y - mu) * lv.pdf(y) * sx.sf_minus(y, mu) / norm_num, cuts)
    lo_s, hi_s = max(lo, t - lx.hi), min(hi, t - lx.lo)
    cuts_s = sorted({lo_s, hi_s, *[c for c in cuts if lo_s < c < hi_s]})

    def k(y):
        return lv.sf(y) - (1 if y < mu else 0)

    num_s, e3 = _quad(lambda y: sx.pdf(y) * _excess_upper(vn, lv, y) / norm_num, cuts_s)
    rest, e4 = _quad(lambda y: sx.pdf(y) * k(y) / norm, cuts_s)
    den_s = 1 + rest
    for e, ref in ((e1, den_v), (e2, num_v), (e3, num_s), (e4, den_s)):
        assert e <= mp.mpf(10) ** (10 - mp.dps) * abs(ref), (x, v, t, e, ref)
    ratio = norm_num / norm
    return ratio * num_v / den_v, ratio * num_s / den_s, den_v * norm, den_s * norm


def ref_conditional(x, v, t):
    """E[V | X + V >= t] (value, cond): two quadrature layouts that must agree, and the
    closed form for Normal + Normal and Exponential + Normal (which is then the value;
    for a normal X the quadrature ranges assume the mass near v = E[V], so there it is
    checked up to t = 10 only)."""
    (xn, _), (vn, vp) = x, v
    t = M(t)
    closed_pair = (xn, vn) in CLOSED_PAIRS
    with mp.workdps(CONV_DPS):
        mu = law_mean(vn, vp)
        value = None
        if xn != "Normal" or t <= 10:
            dev_v, dev_s, den_v, den_s = _conditional_layouts(x, v, t)
            check_close(f"{x} {v} t={t}: P(U >= t) over v and over s", den_v, den_s)
            check_close(f"{x} {v} t={t}: E[V | U >= t] over v and over s", mu + dev_v,
                        mu + dev_s, scale=abs(mu))
            value = mu + dev_s
        if closed_pair:
            def closed(t):
                with mp.workdps(DPS + 30 + max(0, int(mp.log10(abs(t) + 1)))):
                    return +_conditional_closed_form(x, v, t)

            if value is not None:
                check_close(f"{x} {v} t={t}: E[V | U >= t] closed form", closed(t), value,
                            scale=abs(mu))
            value = closed(t)
            h = max(abs(t), mp.one) * mp.mpf("1e-10")
            slope = (closed(t + h) - closed(t - h)) / (2 * h)
        else:  # a central difference of the s layout at 25 digits (two are plenty)
            with mp.workdps(25):
                h = max(abs(t), mp.one) * mp.mpf("1e-6")
                slope = (_conditional_layouts(x, v, t + h)[1]
                         - _conditional_layouts(x, v, t - h)[1]) / (2 * h)
        cond = relcond([t * slope], value)
    return +value, cond


# ----------------------------------------------------------------------------------------
# Best-of-n
# ----------------------------------------------------------------------------------------
BON_DPS = 32
#: the order statistics' weights are integrated over s = -log F̄_U in [log n - 6, log n + 56]
#: (below, F_U^{n-1} < e^{-e^6}; above, what is left of E_bon[U] is n F̄_U E[U | U > u],
#: bounded in ``ref_bon``)
S_BELOW, S_ABOVE = 6, 56
#: first level: F_U = 1e-16 (n >= 2: what lies below weighs < 1e-27)
S_FIRST = mpmath.mpf("1e-16")
#: Gauss-Legendre nodes per s piece: 3·2^(degree-1)
BON_GL_DEGREE = 3


def _gl_nodes(degree):
    """Gauss-Legendre nodes and weights on [-1, 1] (3·2^(degree-1) of them)."""
    from mpmath.calculus.quadrature import GaussLegendre

    return GaussLegendre(mp).calc_nodes(degree, mp.prec)


class _ClosedInner:
    """U = X + V in closed form: Normal + Normal (U normal, E[V | U = u] linear) and
    Exponential + Normal (the exponentially modified normal)."""

    def __init__(self, x, v):
        (self.xn, xp), (_, vp) = x, v
        self.mu_v, self.sd_v = M(vp.get("mu", 0.0)), M(vp.get("sigma", 1.0))
        if self.xn == "Normal":
            self.mu_u = M(xp.get("mu", 0.0)) + self.mu_v
            self.sd_u = mp.sqrt(M(xp.get("sigma", 1.0)) ** 2 + self.sd_v**2)
        else:
            self.r, self.loc = M(xp.get("rate", 1.0)), M(xp.get("loc", 0.0))

    def terms(self, u):
        """(F_U(u), F̄_U(u), f_U(u), E[V | U = u])."""
        if self.xn == "Normal":
            z = (u - self.mu_u) / self.sd_u
            dens = mp.exp(-z * z / 2) / (mp.sqrt(2 * mp.pi) * self.sd_u)
            slope = self.sd_v**2 / self.sd_u**2
            return _Phi(z), _Phi_bar(z), dens, self.mu_v + slope * (u - self.mu_u)
        r, mu, sd = self.r, self.mu_v, self.sd_v
        up = u - self.loc
        m = mu + r * sd**2
        a, b = (up - m) / sd, (up - mu) / sd
        with mp.workdps(mp.dps + 20):  # F_U = Φ(b) - w Φ(a) cancels a few digits far left
            w = mp.exp(-r * up + r * mu + (r * sd) ** 2 / 2)
            cdf, sf = _Phi(b) - w * _Phi(a), _Phi_bar(b) + w * _Phi(a)
            phi_a = mp.exp(-a * a / 2) / mp.sqrt(2 * mp.pi)
            dens = r * w * _Phi(a)
            cond = mu + r * sd**2 - sd * phi_a / _Phi(a)
        return +cdf, +sf, +dens, +cond


class _NumericInner:
    """U = X + V, V ~ N(μ, σ²): with c = u - μ and y = v - μ folded onto w = |y| >= 0,

        f_U = ∫ φ_σ(w) [f_X(c - w) + f_X(c + w)] dw,
        f_U (E[V | U = u] - μ) = ∫ w φ_σ(w) [f_X(c - w) - f_X(c + w)] dw,
        F̄_U = F̄_X(c) + ∫ Φ̄(w/σ) [f_X(c - w) - f_X(c + w)] dw,   F_U = F_X(c) - (same),

    by Gauss-Legendre on pieces at V's scale, X's centre and support ends seen from c; the
    differences f_X(c - w) - f_X(c + w) are taken at log10|c| + 30 digits (``_Shifted``),
    so that nothing cancels at the working precision (for a t(3) error at u = 1e100 the
    two halves agree to 100 digits)."""

    def __init__(self, x, v, degree=3):
        (self.xn, self.xp), (_, vp) = x, v
        self.mu_v, self.sd_v = M(vp.get("mu", 0.0)), M(vp.get("sigma", 1.0))
        self.law = LAWS[self.xn](**self.xp)
        self.nodes = _gl_nodes(degree)

    def _pieces(self, c):
        sd, law = self.sd_v, self.law
        top = 17 * sd  # Φ̄(17) < 1e-64
        points = {mp.zero, top, *[sd * k for k in (0.5, 1, 2, 3, 4, 6, 8, 11, 14)]}
        d = abs(c - law.center)
        points |= {d + sgn * law.scale * k for k in (0, 0.5, 1, 2, 4, 8) for sgn in (-1, 1)}
        if mp.isfinite(law.lo):  # the support's end, approached geometrically from inside
            points |= {c - law.lo, law.lo - c}
            points |= {c - law.lo - law.scale * mp.mpf(2) ** -k for k in range(1, 9)}
            points |= {law.lo - c + law.scale * mp.mpf(2) ** -k for k in range(1, 9)}
        return sorted(p for p in points if 0 <= p <= top)

    def terms(self, u):
        c = u - self.mu_v
        sx = _Shifted(self.xn, self.xp, c)
        sd = self.sd_v
        f_sum = f_dev = f_tail = mp.zero
        for a, b in itertools.pairwise(self._pieces(c)):
            half, mid = (b - a) / 2, (a + b) / 2
            for node, weight in self.nodes:
                w = mid + half * node
                with mp.workdps(sx.dps):
                    fa, fb = sx.law.pdf(sub(c, w)), sx.law.pdf(mp.fadd(c, w, exact=True))
                    both, diff = +(fa + fb), +(fa - fb)
                g = mp.exp(-(w / sd) ** 2 / 2) / (mp.sqrt(2 * mp.pi) * sd)
                f_sum += weight * half * g * both
                f_dev += weight * half * w * g * diff
                f_tail += weight * half * _Phi_bar(w / sd) * diff
        with mp.workdps(sx.dps):
            sf_x = sx.law.sf(c)
            cdf_x = LOWER[self.xn](c, **self.xp)[0]
        return +(cdf_x - f_tail), +(sf_x + f_tail), f_sum, self.mu_v + f_dev / f_sum


def _check_inner(x, v, inner, us):
    """The Gauss-Legendre inner integrals against mp.quad (tanh-sinh) at 45 digits (to 1e-18:
    the best-of-n values are verified to 1e-12)."""
    (xn, xp), (vn, vp) = x, v
    for u in us:
        got = inner.terms(u)
        with mp.workdps(45):
            sx = _Shifted(xn, xp, u)
            lv = _v_law(vn, vp)
            cuts = set(_ladder(lv.mean, lv.scale, *lv.range)) | {u - sx.law.center}
            if mp.isfinite(sx.law.lo):
                cuts.add(u - sx.law.lo)
            cuts = sorted(p for p in cuts if lv.range[0] <= p <= lv.range[1])
            dens, sf, mean = _inner_by_mpquad(lv, sx, cuts, got[2], got[1])
        check_close(f"{x} {v} f_U({u})", got[2], dens, rtol=1e-18)
        check_close(f"{x} {v} F̄_U({u})", got[1], sf, rtol=1e-18)
        check_close(f"{x} {v} E[V | U = {u}]", got[3], mean, rtol=1e-18, scale=abs(lv.mean) + 1)


def _inner_by_mpquad(lv, sx, cuts, a, b):
    """(f_U(u), F̄_U(u), E[V | U = u]) by mp.quad over ``cuts``; mp.quad stops on an absolute
    error, so each integrand is divided by the expected size of its integral (a, b)."""
    dens = a * mp.quad(lambda y: lv.pdf(y) * sx.pdf(y) / a, cuts)
    sf = b * mp.quad(lambda y: lv.pdf(y) * sx.sf(y) / b, cuts)
    moment = mp.quad(lambda y: (y - lv.mean) * lv.pdf(y) * sx.pdf(y) / a, cuts)
    return dens, sf, lv.mean + moment * a / dens


def _invert(inner, s, guess):
    """u with -log F̄_U(u) = s (log F_U(u) = log(1 - e^{-s}) where s < 1), by Newton's method
    on the log, from ``guess``; returns (u, terms(u))."""
    target_low = s < 1
    goal = mp.log(-mp.expm1(-s)) if target_low else -s
    u = guess
    for _ in range(200):
        cdf, sf, dens, cond = inner.terms(u)
        if target_low:
            value, slope = mp.log(cdf), dens / cdf
        else:
            value, slope = mp.log(sf), -dens / sf
        if abs(u) > 10:  # far out: Newton's method on log|u| (a power tail is linear there)
            step_log = (goal - value) / (slope * u)
            step_log = max(min(step_log, mp.mpf(20)), -mp.mpf(1))
            new = u * mp.exp(step_log)
            step = new - u
        else:
            step = (goal - value) / slope
            step = max(min(step, mp.mpf(10)), -mp.mpf(10))
            new = u + step
        u = new
        if abs(step) <= mp.mpf(10) ** (8 - mp.dps) * max(abs(u), mp.one):
            return u, inner.terms(u)
    raise AssertionError(f"no convergence inverting F̄_U at s = {s}")


def _s_pieces(ns):
    """Piece ends in s covering [log n - 6, log n + 56] for every n: 1-2-5 steps per decade
    from 1e-16 to 0.1, tenths up to 1, then unit steps."""
    ends = {S_FIRST * m * 10**k for k in range(16) for m in (1, 2, 5)} | {mp.one}
    ends |= {mp.mpf(k) / 10 for k in range(2, 10)}  # F_U^{n-1} grows fastest there
    for n in ns:
        top = int(mp.log(n)) + S_ABOVE
        low = max(1, int(mp.log(n)) - S_BELOW)
        ends |= {mp.mpf(k) for k in range(low, top + 1)}
    return sorted(ends)


def _bon_sums(inner, ns, s_ends, median):
    """E_bon[U], E_bon[V] and d/dlog n of both, for every n, by the two layouts.

    A (over u): ∫ g(u) n F_U^{n-1} f_U du on the images of the s pieces;
    B (over s): ∫ g(u(s)) n (1 - e^{-s})^{n-1} e^{-s} ds, u(s) by Newton's method.
    """
    nodes = _gl_nodes(BON_GL_DEGREE)
    us = []
    guess = median
    for s in s_ends:  # u at the piece ends, in order
        guess, _ = _invert(inner, s, guess)
        us.append(guess)
    ns_mp = [mp.mpf(n) for n in ns]
    acc = {key: [mp.zero] * len(ns) for key in ("A_u", "A_v", "B_u", "B_v", "D_u", "D_v")}
    for j in range(len(s_ends) - 1):
        s0, s1, u0, u1 = s_ends[j], s_ends[j + 1], us[j], us[j + 1]
        # layout B: nodes in s
        prev = u0
        decade = s1 <= 1  # below s = 1 the nodes are spread in log s (ds = s dlog s)
        y0, y1 = (mp.log(s0), mp.log(s1)) if decade else (s0, s1)
        for node, weight in nodes:
            y = (y0 + y1) / 2 + (y1 - y0) / 2 * node
            s = mp.exp(y) if decade else y
            guess = prev if decade else u0 + (u1 - u0) * (s - s0) / (s1 - s0)
            u, (_, _, _, cond) = _invert(inner, s, guess)
            prev = u
            log_f = mp.log(-mp.expm1(-s)) if s < 1 else mp.log1p(-mp.exp(-s))  # log F_U
            for i, n in enumerate(ns_mp):
                wgt = (weight * (y1 - y0) / 2 * (s if decade else 1)
                       * n * mp.exp((n - 1) * log_f - s))
                acc["B_u"][i] += wgt * u
                acc["B_v"][i] += wgt * cond
                acc["D_u"][i] += wgt * u * (1 + n * log_f)
                acc["D_v"][i] += wgt * cond * (1 + n * log_f)
        # layout A: nodes in u
        for node, weight in nodes:
            u = (u0 + u1) / 2 + (u1 - u0) / 2 * node
            cdf, sf, dens, cond = inner.terms(u)
            log_f = mp.log(cdf) if cdf < sf else mp.log1p(-sf)
            for i, n in enumerate(ns_mp):
                wgt = weight * (u1 - u0) / 2 * n * mp.exp((n - 1) * log_f) * dens
                acc["A_u"][i] += wgt * u
                acc["A_v"][i] += wgt * cond
    acc["u_max"] = us[-1]
    acc["s_max"] = s_ends[-1]
    return acc


def ref_bon(x, v, ns, check_us=()):
    """{n: ({mean_utility, mean_proxy}, {conds})} for one pair; the two layouts must agree
    to BON_RTOL (n = 1 is E[V] and E[X] + E[V] exactly)."""
    (xn, xp), (vn, vp) = x, v
    out = {}
    with mp.workdps(BON_DPS):
        mean_x, mean_v = law_mean(xn, xp), law_mean(vn, vp)
        closed = (xn, vn) in CLOSED_PAIRS
        inner = _ClosedInner(x, v) if closed else _NumericInner(x, v)
        numeric = _NumericInner(x, v)
        if xn == "Normal":  # far out the mass of V given U = u leaves the inner range
            check_us = [u for u in check_us if abs(u) <= 10]
        if check_us:
            _check_inner(x, v, numeric, [M(u) for u in check_us])
            if closed:  # the closed forms against the numeric inner integrals
                for u in check_us:
                    a, b = inner.terms(M(u)), numeric.terms(M(u))
                    for what, p, q in zip(("F", "F̄", "f", "E[V|U]"), a, b, strict=True):
                        check_close(f"{x} {v} {what}_U({u}) closed form", p, q, rtol=1e-18,
                                    scale=1 if what == "E[V|U]" else 0)
        big = [n for n in ns if n > 1]
        median = mean_v + (law_mean(xn, xp) if mp.isfinite(mean_x) else LAWS[xn](**xp).center)
        acc = _bon_sums(inner, big, _s_pieces(big), median)
        # beyond the last level u_max: n F̄_U(u_max) E[U | U > u_max] with F̄_U = e^{-s_max};
        # E[U | U > u] <= 2u for the tails here (t(3): 3u/2); E[V | U > u] is bounded by
        # E|V| + the largest |E[V | U = u]| met
        for i, n in enumerate(big):
            left = n * mp.exp(-acc["s_max"]) * 2 * abs(acc["u_max"])
            assert left <= mp.mpf("1e-15") * abs(acc["B_u"][i]), (x, v, n, left)
        for i, n in enumerate(big):
            pair = {}
            conds = {}
            for field, a_key, b_key, d_key in (("mean_proxy", "A_u", "B_u", "D_u"),
                                               ("mean_utility", "A_v", "B_v", "D_v")):
                a, b = acc[a_key][i], acc[b_key][i]
                check_close(f"{x} {v} n={n} {field}: over u and over s", a, b, rtol=BON_RTOL)
                pair[field] = b
                conds[field] = relcond([acc[d_key][i]], b)
                conds[field + "_layouts"] = float(abs(a - b) / abs(b)) if b else 0.0
            out[n] = (pair, conds)
        if 1 in ns:
            out[1] = ({"mean_proxy": mean_x + mean_v, "mean_utility": mean_v},
                      {"mean_proxy": 0.0, "mean_utility": 0.0, "mean_proxy_layouts": 0.0,
                       "mean_utility_layouts": 0.0})
    return out


# ----------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------
def _lower_cases():
    """(name, params, thresholds): every law, loc/scale variants, shapes below and above 1,
    infinite right-tail means, thresholds from below the support through F(t) underflowing
    to far above the median."""
    tiny, nine = 1e-300, 1e-9
    return [
        ("Normal", {}, [-1e150, -1e10, -1e3, -40, -38.5, -10, -1, 0, 1, 5, 40, 1e10, 1e300]),
        ("Normal", {"mu": 1.5, "sigma": 2.0}, [-1e100, -100, -80, -10, 0, 1, 1.5, 10, 1e6]),
        ("Normal", {"mu": -3.0, "sigma": 0.5}, [-1e20, -30, -4, -3, 0, 100]),
        ("Exponential", {}, [-1, 0, tiny, nine, 0.5, 1, 10, 1e3, 1e300]),
        ("Exponential", {"rate": 3.0, "loc": 2.0},
         [1, 2, 2.0000000000000004, 2.000000001, 2.5, 10, 1e10]),
        ("Exponential", {"rate": 0.01, "loc": -5.0}, [-5, -4.999999999, 0, 1000, 1e6]),
        ("Gumbel", {}, [-300, -30, -10, -5, -2, 0, 1, 10, 100, 1e300]),
        ("Gumbel", {"mu": 1.0, "beta": 2.0}, [-60, -20, 0, 1, 20]),
        ("Gumbel", {"mu": -10.0, "beta": 0.5}, [-15, -12, -10, 0]),
        ("Laplace", {}, [-1e300, -1e10, -1e3, -60, -1, 0, 0.5, 2, 50, 1e300]),
        ("Laplace", {"mu": 2.0, "b": 3.0}, [-1e5, -10, 2, 5, 1e3]),
        ("Uniform", {}, [-1, 0, tiny, nine, 0.3, 0.999, 1, 2]),
        ("Uniform", {"low": -2.0, "high": 3.0}, [-5, -2, -1.999999999, 0, 2.99, 3, 10]),
        ("Weibull", {"shape": 0.5}, [-1, 0, tiny, nine, 0.01, 1, 100, 1e4, 1e300]),
        ("Weibull", {"shape": 1.0}, [tiny, 0.5, 10]),
        ("Weibull", {"shape": 1.5}, [tiny, nine, 0.5, 1, 5, 1e300]),
        ("Weibull", {"shape": 3.5, "scale": 2.0, "loc": -1.0},
         [-2, -1, -0.999999999, -0.5, 1, 4, 1e300]),
        ("StudentT", {"nu": 3.0}, [-1e300, -1e100, -1e10, -1e3, -10, 0, 1, 10, 1e10, 1e300]),
        ("StudentT", {"nu": 1.5}, [-1e300, -1e8, -5, 0, 5, 1e300]),
        ("StudentT", {"nu": 30.0}, [-1e20, -100, -5, 0, 3]),
        ("StudentT", {"nu": 3.0, "loc": -2.0, "scale": 5.0}, [-1e150, -100, -2, 0, 1e8]),
        ("StudentT", {"nu": 1.0}, [-10, 0, 10]),
        ("StudentT", {"nu": 0.7, "loc": 1.0, "scale": 2.0}, [0, 100]),
        ("Cauchy", {}, [-1e10, 0, 3]),
        ("Cauchy", {"loc": 1.0, "scale": 2.0}, [0]),
        ("Pareto", {"alpha": 2.0}, [0, 1, 1.000000001, 1.5, 10, 1e8, 1e300]),
        ("Pareto", {"alpha": 0.8}, [1, 1.000000001, 2, 1e4, 1e100, 1e300]),
        ("Pareto", {"alpha": 1.0}, [1.5, 1e10]),
        ("Pareto", {"alpha": 2.5, "xm": 2.0, "loc": -3.0}, [-1, -0.9999999990000001, 0, 1e8]),
        ("LogNormal", {}, [-1, 0, tiny, 1e-100, nine, 0.01, 1, 10, 1e10, 1e300]),
        ("LogNormal", {"sigma": 0.25}, [1e-10, 0.1, 0.5, 1, 2, 1e3]),
        ("LogNormal", {"mu": 1.0, "sigma": 0.5, "loc": -3.0}, [-3, -2.9999999990000002, -2, 0, 100]),
        ("LogNormal", {"mu": 0.0, "sigma": 0.6931471805599453, "loc": -1.0}, [-0.9, 0, 10]),
        ("Levy", {}, [0, tiny, 1e-3, 0.01, 0.1, 1, 1e10, 1e300]),
        ("Levy", {"mu": 1.0, "c": 2.0}, [1, 1.5, 10, 1e6]),
        ("Frechet", {"alpha": 2.5}, [0, tiny, 0.01, 0.1, 0.2, 0.5, 1, 10, 1e8, 1e300]),
        ("Frechet", {"alpha": 0.7}, [0.01, 0.1, 1, 1e4, 1e300]),
        ("Frechet", {"alpha": 1.5}, [0.05, 1, 1e8, 1e300]),
        ("Frechet", {"alpha": 3.0, "loc": -1.0, "scale": 2.0}, [-1, -0.5, 0, 10, 1e8]),
        ("BurrXII", {"c": 2.0, "k": 1.0}, [0, tiny, nine, 0.5, 1, 10, 1e300]),
        ("BurrXII", {"c": 0.8, "k": 3.0}, [tiny, 0.01, 1, 1e4]),
        ("BurrXII", {"c": 0.5, "k": 1.0}, [tiny, nine, 1, 1e10, 1e300]),
        ("BurrXII", {"c": 3.0, "k": 0.5, "loc": 1.0, "scale": 2.0}, [1, 1.5, 3, 1e8]),
        ("GPD", {"xi": 0.3}, [0, tiny, nine, 0.5, 1, 10, 1e8, 1e300]),
        ("GPD", {"xi": 1.5}, [tiny, nine, 1, 1e10, 1e300]),
        ("GPD", {"xi": 1.0}, [0.5, 1e10]),
        ("GPD", {"xi": 0.1, "loc": -1.0, "scale": 2.0}, [-1, -0.5, 0, 100]),
    ]


#: p for the Theorem 1 mean at every threshold inside the support
THRESHOLD_PS = (1e-12, 0.1, 0.5)
#: p for the KL away from F̄(t) (the generic records)
KL_PS = (1e-12, 0.5)
#: δ for p = F̄(t)(1 + δ)
NEAR_DELTAS = (1e-6, -1e-6, 1e-9, -1e-9, 1e-12, -1e-12)
#: two known hard KL cases, p as given (not derived from δ)
KL_EXAMPLES = [("Pareto", {"alpha": 2.0}, 10.0, 0.0100001),
               ("Frechet", {"alpha": 1.5}, 1e8, 1e-12)]

LIGHT = [
    ("Normal", {}), ("Normal", {"mu": -2.0, "sigma": 3.0}),
    ("Exponential", {}), ("Exponential", {"rate": 2.0, "loc": 1.0}),
    ("Gumbel", {}), ("Gumbel", {"mu": -10.0, "beta": 0.5}),
    ("Laplace", {}), ("Laplace", {"mu": 2.0, "b": 3.0}),
    ("Uniform", {}), ("Uniform", {"low": -2.0, "high": 3.0}),
    ("Weibull", {"shape": 1.0}), ("Weibull", {"shape": 1.5}), ("Weibull", {"shape": 2.0}),
    ("Weibull", {"shape": 3.5}), ("Weibull", {"shape": 2.0, "scale": 3.0, "loc": -1.0}),
    ("Weibull", {"shape": 1.5, "scale": 0.5, "loc": 2.0}),
]
#: λ·scale for the tilts: small (the cancellation), body, and for a finite radius r up to
#: 0.999 r; for an infinite one up to where the series/closed forms stay cheap
TILT_SMALL = (1e-12, 1e-9, 1e-6, 1e-3, 0.1, 1.0)
TILT_BELOW_RADIUS = (0.5, 0.9, 0.999)
TILT_LARGE = {"Normal": (10.0, 1e3, 1e10, 1e100), "Uniform": (10.0, 1e3, 1e6, 1e12),
              "Weibull": (3.0, 10.0)}
SUP_EPS = (1e-24, 1e-18, 1e-12, 1e-6, 1e-3, 0.1, 1.0, 10.0)
#: finite-support discrete bases (probabilities dyadic: they sum to 1 in doubles)
DISCRETE = [([0.0, 1.0, 2.0, 3.0, 10.0], [0.5, 0.25, 0.125, 0.0625, 0.0625]),
            ([1e308, -1e308], [0.5, 0.5])]

COND_PAIRS = [
    (("StudentT", {"nu": 3.0}), ("Normal", {})),
    (("StudentT", {"nu": 3.0}), ("Normal", {"mu": 1.0, "sigma": 2.0})),
    (("Normal", {}), ("Normal", {})),
    (("Normal", {"sigma": 2.0}), ("Normal", {"mu": -1.0})),
    (("Exponential", {}), ("Normal", {})),
    (("Gumbel", {}), ("Normal", {})),
    (("Pareto", {"alpha": 2.5}), ("Exponential", {})),
    (("LogNormal", {}), ("Normal", {})),
    (("StudentT", {"nu": 3.0}), ("StudentT", {"nu": 10.0})),
]
COND_TS = (0.0, 1.0, 10.0, 1e3, 1e6, 1e10, 1e15, 1e20, 1e50, 1e100, 1e300)

BON_PAIRS = [
    (("Normal", {}), ("Normal", {})),
    (("StudentT", {"nu": 3.0, "scale": math.sqrt(1.0 / 3.0)}), ("Normal", {"sigma": 2.0})),
    (("LogNormal", {"mu": 0.0, "sigma": math.log(2.0), "loc": -1.0}), ("Normal", {"sigma": 2.0})),
    (("Exponential", {}), ("Normal", {})),
]
BON_NS = (1, 2, 16, 1e3, 1e6, 1e12, 1e16, 1e18, 10**20, 1e50, 1e100, 1e300)
#: levels u where the Gauss-Legendre inner integrals are checked against mp.quad
BON_CHECK_US = (-5.0, 0.0, 3.0, 100.0, 1e10)


def law_text(name, params):
    shown = ",".join(f"{k}={v!r}" for k, v in params.items())
    return f"{name}({shown})"


def build_cases():
    """Every case as (kind, spec dict); the reference is computed from the spec."""
    cases = []
    for name, params, ts in _lower_cases():
        for t in ts:
            t = float(t)
            spec = {"dist": name, "params": params, "t": t}
            cases.append(("partial_mean_lower", spec))
            cases.append(("conditional_mean_lower", spec))
            law = LAWS[name](**params)
            if law.lo < t < law.hi:
                for p in THRESHOLD_PS:
                    cases.append(("threshold_mean", {**spec, "p": p}))
                for p in KL_PS:
                    cases.append(("threshold_kl", {**spec, "p": p}))
                for delta in NEAR_DELTAS:
                    cases.append(("threshold_kl_near", {**spec, "delta": delta}))
    for name, params, t, p in KL_EXAMPLES:
        cases.append(("threshold_kl_near", {"dist": name, "params": params, "t": t, "p": p}))
    for name, params in LIGHT:
        _, scale = loc_scale(name, params)
        r = radius(name, params) * scale  # in units of 1/scale
        units = list(TILT_SMALL)
        if mp.isfinite(r):
            units += [c * float(r) for c in TILT_BELOW_RADIUS] + [float(r), 2 * float(r)]
        else:
            units += list(TILT_LARGE.get(name, ()))
        for c in units:
            beta = float(scale / M(c))
            for field in ("log_partition", "mean_reward", "kl"):
                cases.append((f"tilt.{field}", {"dist": name, "params": params, "beta": beta}))
        for eps in SUP_EPS:
            for field in ("value", "lam", "gain"):
                cases.append((f"sup_mean_under_kl.{field}",
                              {"dist": name, "params": params, "kl": eps}))
    for field in ("log_partition", "mean_reward", "kl"):  # overflow: λ = 1e200
        cases.append((f"tilt.{field}", {"dist": "Normal", "params": {}, "beta": 1e-200}))
    for values, probs in DISCRETE:
        betas = (1e-300,) if max(values) > 1e300 else (1e12, 1e6, 1.0, 1e-3)
        for beta in betas:
            for field in ("log_partition", "mean_reward", "kl"):
                cases.append((f"tilt.{field}", {"values": values, "probs": probs, "beta": beta}))
    for name, eps in (("Normal", 1e308), ("Normal", 1e100), ("Uniform", 1e6), ("Uniform", 1e3)):
        for field in ("value", "lam", "gain"):
            cases.append((f"sup_mean_under_kl.{field}", {"dist": name, "params": {}, "kl": eps}))
    for x, v in COND_PAIRS:
        for t in COND_TS:
            cases.append(("conditional_utility", {"X": x, "V": v, "t": t}))
    for x, v in BON_PAIRS:
        for n in BON_NS:
            for field in ("mean_utility", "mean_proxy"):
                cases.append((f"bon_utility.{field}", {"X": x, "V": v, "n": n}))
    return cases


def case_id(kind, spec):
    """Readable and unique, e.g. ``Frechet(alpha=2.5).threshold_mean(t=0.2, p=1e-12)``."""
    if "X" in spec:
        head = f"{law_text(*spec['X'])}+{law_text(*spec['V'])}"
        arg = f"t={spec['t']!r}" if "t" in spec else f"n={spec['n']!r}"
        return f"{head}.{kind}({arg})"
    head = (law_text(spec["dist"], spec["params"]) if "dist" in spec
            else f"discrete({spec['values']!r}, {spec['probs']!r})")
    args = ", ".join(f"{k}={spec[k]!r}" for k in ("t", "p", "delta", "beta", "kl") if k in spec)
    return f"{head}.{kind}({args})"


# ----------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------
_MEMO = {}


def _memo(fn, *args):
    """fn(*args), computed once per run (args may hold dicts and lists)."""
    key = (fn.__name__, json.dumps(args, sort_keys=True, default=repr))
    if key not in _MEMO:
        _MEMO[key] = fn(*args)
    return _MEMO[key]


def _light_check_points(name, params, beta):
    """True where the tilt is also checked by quadrature: λ·scale = 1e-6, 0.1, 1 and 0.9 of
    a finite radius."""
    _, scale = loc_scale(name, params)
    u = scale / M(beta)
    points = [mp.mpf("1e-6"), mp.mpf("0.1"), mp.one]
    r = radius(name, params)
    if mp.isfinite(r):
        points.append(mp.mpf("0.9") * r * scale)
    return any(abs(u - c) <= mp.mpf("1e-12") * c for c in points)


def compute(kind, spec):
    """(value, cond, extra fields) of one case."""
    if kind in ("partial_mean_lower", "conditional_mean_lower"):
        r = _memo(ref_lower, spec["dist"], spec["params"], spec["t"])
        key = "pml" if kind == "partial_mean_lower" else "cml"
        return r[key], r["cond_" + key], {}
    if kind == "threshold_mean":
        value, cond = ref_threshold_mean(spec["dist"], spec["params"], spec["t"], spec["p"])
        return value, cond, {}
    if kind == "threshold_kl":
        value, cond = ref_threshold_kl(spec["dist"], spec["params"], spec["t"], spec["p"])
        return value, cond, {}
    if kind == "threshold_kl_near":
        if "p" in spec:
            p = spec["p"]
            with mp.workdps(90):
                delta = float(M(p) / upper_tail(spec["dist"], spec["params"], M(spec["t"]),
                                                 dps=90)[0] - 1)
        else:
            found = near_p(spec["dist"], spec["params"], spec["t"], spec["delta"])
            if found is None:
                return None, "p = F̄(t)(1 + δ) is not a double in (0, 1) with that δ", {}
            p, delta = found
        value, cond = ref_threshold_kl(spec["dist"], spec["params"], spec["t"], p)
        return value, cond, {"p": p, "delta_actual": delta}
    if kind.startswith("tilt."):
        field = kind.split(".")[1]
        if "values" in spec:
            values, conds = _memo(ref_tilt_discrete, spec["values"], spec["probs"], spec["beta"])
        else:
            check = _light_check_points(spec["dist"], spec["params"], spec["beta"])
            values, conds = _memo(ref_tilt, spec["dist"], spec["params"], spec["beta"], check)
        return values[field], conds.get(field, 0.0), {}
    if kind.startswith("sup_mean_under_kl."):
        field = kind.split(".")[1]
        values, conds = _memo(ref_sup_mean, spec["dist"], spec["params"], spec["kl"])
        return values[field], conds[field], {}
    if kind == "conditional_utility":
        value, cond = _memo(ref_conditional, spec["X"], spec["V"], spec["t"])
        return value, cond, {}
    if kind.startswith("bon_utility."):
        field = kind.split(".")[1]
        out = _memo(ref_bon, spec["X"], spec["V"], list(BON_NS), list(BON_CHECK_US))
        values, conds = out[spec["n"]]
        return values[field], conds[field], {"layouts_rel_diff": conds[field + "_layouts"]}
    raise ValueError(kind)


def compute_record(kind, spec):
    """One JSON record, or (id, reason) where the case is not generated."""
    rid = case_id(kind, spec)
    with mp.workdps(DPS):
        value, cond, extra = compute(kind, spec)
    if value is None:
        return rid, cond
    if not isinstance(value, str) and kind != "threshold_kl_near" and not cond <= MAX_COND:
        return rid, f"ill-conditioned: cond = {cond:.3g} > {MAX_COND:.3g}"
    rec = {"id": rid, "function": kind}
    for key in ("dist", "params", "X", "V", "values", "probs"):
        if key in spec:
            rec[key] = spec[key]
    args = {k: spec[k] for k in ("t", "p", "beta", "kl", "n") if k in spec}
    if "p" in extra:
        args["p"] = extra.pop("p")
        rec["delta"] = spec.get("delta")
    rec["args"] = args
    rec["value"] = text(value)
    rec["cond"] = float(cond) if not isinstance(value, str) else 0.0
    rec.update(extra)
    return rec


def main():
    """Every case, written to ``exactness.json``; ``--only TEXT`` computes just the cases whose
    id contains TEXT (for work on the script), goes on after a failure and writes
    ``exactness.only.json``."""
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    mp.dps = DPS  # compute_record also sets it locally, so importing this module is harmless
    start = time.time()
    records, skipped, seen = [], [], set()
    for kind, spec in build_cases():
        rid = case_id(kind, spec)
        if only is not None and only not in rid:
            continue
        if rid in seen:  # the same λ reached twice (e.g. 1/scale listed and at the radius)
            continue
        seen.add(rid)
        t0 = time.time()
        try:
            out = compute_record(kind, spec)
        except Exception as e:
            if only is None:
                raise RuntimeError(f"while computing {rid}") from e
            print(f"FAILED {rid}: {type(e).__name__}: {e}", flush=True)
            continue
        dt = time.time() - t0
        if isinstance(out, tuple):
            skipped.append({"id": out[0], "reason": out[1]})
            shown = f"skipped: {out[1]}"
        else:
            records.append(out)
            shown = out["value"]
        if dt > 5 or "-v" in sys.argv:
            print(f"{dt:7.2f}s  {rid} = {shown}", flush=True)
    path = OUT
    if only is not None:
        path = OUT.with_suffix(".only.json")  # ignored by git, read by nothing
        print(f"{len(records)} records, {len(skipped)} skipped in {time.time() - start:.1f}s")
    doc = {
        "about": ("Reference values for the exactness claims of catgoodhart (lower partial "
                  "means, the Theorem 1 family, tilts, the KL-constrained supremum, "
                  "conditioning, best-of-n), computed by "
                  "tests/reference/make_exactness_reference.py with mpmath from textbook "
                  "formulas. Regenerate with "
                  "`python tests/reference/make_exactness_reference.py`."),
        "mpmath": mpmath.__version__,
        "dps": DPS,
        "significant_digits": SIG_DIGITS,
        "max_cond": MAX_COND,
        "records": records,
        "skipped": skipped,
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(records)} records ({len(skipped)} cases skipped) to {path} "
          f"in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
