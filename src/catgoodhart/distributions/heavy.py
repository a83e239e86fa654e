"""Heavy-tailed laws: E[e^{sX}] = ∞ for every s > 0 (the papers' definition).

Student-t, Pareto, LogNormal, Lévy, Fréchet, Burr XII, GPD (ξ > 0) and Cauchy. LogNormal
is heavy although its extreme-value index γ is 0. Moments that diverge are ``inf``
(``nan`` when undefined because both tails diverge).
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from catgoodhart.distributions import _kinds as K
from catgoodhart.distributions._base import POSITIVE, Distribution
from catgoodhart.distributions._special import log1p_square, log_one_minus_exp_neg_exp

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class _HeavyRight(Distribution):
    heavy_tailed = True
    _radius_right = 0.0
    _radius_left = math.inf


@dataclass(frozen=True, repr=False)
class StudentT(_HeavyRight):
    """Student-t(nu): f(z) = Γ((ν+1)/2) / (Γ(ν/2) sqrt(νπ)) (1 + z^2/ν)^{-(ν+1)/2}."""

    tail_facts = "mgf radius 0; γ = 1/nu"
    nu: float
    loc: float = 0.0
    scale: float = 1.0
    _domains = {"nu": POSITIVE, "scale": POSITIVE}
    _radius_left = 0.0

    @property
    def gamma(self):
        return 1.0 / self.nu

    def _logpdf(self, z):
        nu = self.nu
        # log Γ((ν+1)/2) - log Γ(ν/2) - ½ log(νπ) = -log B(ν/2, ½) - ½ log ν, free of cancellation
        const = -special.betaln(0.5 * nu, 0.5) - 0.5 * math.log(nu)
        return const - 0.5 * (nu + 1) * log1p_square(z / math.sqrt(nu))

    def _log_tail(self, z):
        """log P(T > |z|), accurate from z = 0 to beyond the last double.

        P(T > |z|) = ½ I_x(ν/2, ½), x = ν/(ν + z²); near the centre it is computed as
        ½ (1 - I_y(½, ν/2)), y = 1 - x, so that small |z| keeps its digits, and far out
        (x < e^-20) from I_x(a, b) = x^a y^b ₂F₁(a + b, 1; a + 1; x) / (a B(a, b)) in log space.
        """
        a, b = 0.5 * self.nu, 0.5
        t = np.abs(np.asarray(z, dtype=float)) / math.sqrt(self.nu)
        log_x = -log1p_square(t)
        log_y = -log1p_square(1.0 / t)
        x, y = np.exp(log_x), np.exp(log_y)
        out = np.empty(np.shape(t))
        deep = log_x < -20.0  # betainc loses digits at subnormal x
        central = np.full(np.shape(t), 1.0)
        central[~deep] = special.betainc(b, a, y[~deep])  # P(|T| < |z|)
        near = ~deep & (central < 0.5)  # no cancellation in 1 - central
        out[near] = np.log(0.5 - 0.5 * central[near])
        mid = ~deep & ~near
        out[mid] = np.log(0.5 * special.betainc(a, b, x[mid]))
        deep |= out < -690.0
        out[deep] = (math.log(0.5) + a * log_x[deep] + b * log_y[deep]
                     + np.log(special.hyp2f1(a + b, 1.0, a + 1.0, x[deep]))
                     - math.log(a) - special.betaln(a, b))
        return out

    def _sf(self, z):
        tail = np.exp(self._log_tail(z))
        return np.where(np.asarray(z) > 0, tail, 1.0 - tail)

    def _cdf(self, z):
        return self._sf(-np.asarray(z, dtype=float))

    def _logsf(self, z):
        log_tail = self._log_tail(z)
        return np.where(np.asarray(z) > 0, log_tail, np.log1p(-np.exp(log_tail)))

    def _logcdf(self, z):
        return self._logsf(-np.asarray(z, dtype=float))

    def _isf(self, q):
        """F̄^{-1}(q): scipy's stdtrit (or, in the far tail, the inversion of the leading term
        ½ x^{ν/2} / (a B(ν/2, ½))) as the start, then Newton steps on log F̄, in log z beyond 1."""
        q = np.asarray(q, dtype=float)
        p = np.minimum(q, 1.0 - q)  # by symmetry solve P(T > z) = p <= ½, z >= 0
        a, b = 0.5 * self.nu, 0.5
        log_p = np.log(p)
        log_x = (log_p - math.log(0.5) + math.log(a) + special.betaln(a, b)) / a
        far = np.sqrt(self.nu) * np.exp(-0.5 * log_x) * np.sqrt(-np.expm1(log_x))
        z = np.where((p < 1e-100) | (log_x < -40), far, -special.stdtrit(self.nu, p))
        z = np.where(np.isfinite(z), z, far)
        for _ in range(4):
            log_tail = self._log_tail(z)
            hazard = np.exp(self._logpdf(z) - log_tail)  # f / F̄ = -d log F̄ / dz
            step = (log_tail - log_p) / hazard
            polished = np.where(z > 1.0, z * np.exp(step / np.maximum(z, 1.0)), z + step)
            z = np.where(np.isinf(z), z, polished)  # beyond the last double the quantile is inf
        z = np.where(p == 0.5, 0.0, np.where(p == 0, np.inf, z))
        return np.where(q <= 0.5, z, -z)

    def _ppf(self, q):
        return -self._isf(q)

    def _mean(self):
        return 0.0 if self.nu > 1 else math.nan

    def _var(self):
        if self.nu > 2:
            return self.nu / (self.nu - 2)
        return math.inf if self.nu > 1 else math.nan

    def _partial_mean(self, z):
        # ∫_z^∞ u f(u) du = (ν + z^2) f(z) / (ν - 1) for ν > 1
        nu = self.nu
        if nu <= 1:
            return np.full(np.shape(z), math.inf)
        return np.exp(self._log_partial_mean(z))

    def _log_partial_mean(self, z):
        nu = self.nu
        return math.log(nu) + log1p_square(z / math.sqrt(nu)) - math.log(nu - 1) + self._logpdf(z)

    def _cond_mean(self, z):
        if self.nu <= 1:
            return np.full(np.shape(z), math.inf)
        return np.exp(self._log_partial_mean(z) - self._logsf(z))

    def _cond_mean_lower(self, z):
        return -self._cond_mean(-np.asarray(z, dtype=float))  # symmetry

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(z == 0, 0.0, -(self.nu + 1) / (z + self.nu / np.where(z == 0, 1.0, z)))

    def _mp_sf(self, mp, z):
        tail = mp.betainc(self.nu / 2, mp.mpf(1) / 2, 0, self.nu / (self.nu + z * z),
                          regularized=True) / 2
        return tail if z > 0 else 1 - tail

    def _mp_cdf(self, mp, z):
        return self._mp_sf(mp, -z)

    def _kernel(self):
        return K.STUDENT_T, 0.5 * self.nu, 0.0


@dataclass(frozen=True, repr=False)
class Pareto(_HeavyRight):
    """Pareto(alpha, xm): F̄(x) = (xm / (x - loc))^α on x - loc >= xm; scale xm."""

    tail_facts = "mgf radius 0; γ = 1/alpha"
    alpha: float
    xm: float = 1.0
    loc: float = 0.0
    _domains = {"alpha": POSITIVE, "xm": POSITIVE}
    _support = (1.0, math.inf)

    @property
    def gamma(self):
        return 1.0 / self.alpha

    def _loc_scale(self):
        return self.loc, self.xm

    def _log_z(self, z):
        return np.log(np.maximum(z, 1.0))

    def _logpdf(self, z):
        return np.where(z >= 1, math.log(self.alpha) - (self.alpha + 1) * self._log_z(z), -np.inf)

    def _cdf(self, z):
        return -np.expm1(-self.alpha * self._log_z(z))

    def _sf(self, z):
        return np.exp(self._logsf(z))

    def _logsf(self, z):
        return -self.alpha * self._log_z(z)

    def _ppf(self, q):
        return np.exp(-np.log1p(-q) / self.alpha)

    def _isf(self, q):
        return np.exp(-np.log(q) / self.alpha)

    def _mean(self):
        a = self.alpha
        return a / (a - 1) if a > 1 else math.inf

    def _var(self):
        a = self.alpha
        return a / ((a - 1) ** 2 * (a - 2)) if a > 2 else math.inf

    def _partial_mean(self, z):
        # ∫_z^∞ u α u^{-α-1} du = α z^{1-α} / (α - 1) for z >= 1, α > 1
        a = self.alpha
        if a <= 1:
            return np.full(np.shape(z), math.inf)
        return a / (a - 1) * np.exp((1 - a) * self._log_z(z))

    def _cond_mean(self, z):
        a = self.alpha
        return a / (a - 1) * np.maximum(z, 1.0) if a > 1 else np.full(np.shape(z), math.inf)

    def _hazard(self, z):
        return self.alpha / np.maximum(np.asarray(z, dtype=float), 1.0)

    def _score(self, z):
        return -(self.alpha + 1) / np.asarray(z, dtype=float)

    def _cond_mean_lower(self, z):
        # E[Z; Z <= z] = α ∫_0^L e^{(1-α)u} du = α L exprel((1-α)L), L = log z (any α > 0),
        # over F(z) = 1 - e^{-αL}: no cancellation near z = 1 or α = 1
        z = np.asarray(z, dtype=float)
        log_z = np.log(np.maximum(z, 1.0))
        a = self.alpha
        with np.errstate(all="ignore"):
            mean = a * log_z * special.exprel((1 - a) * log_z) / -np.expm1(-a * log_z)
        return np.where(z > 1, mean, math.nan)

    def _mp_sf(self, mp, z):
        return z ** -self.alpha if z > 1 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return -mp.expm1(-self.alpha * mp.log(z)) if z > 1 else mp.mpf(0)

    def _kernel(self):
        return K.PARETO, 1.0 / self.alpha, 0.0


@dataclass(frozen=True, repr=False)
class LogNormal(_HeavyRight):
    """LogNormal(mu, sigma): log(X - loc) ~ Normal(mu, sigma); scale e^mu."""

    tail_facts = "mgf radius 0; γ = 0 (heavier than any exponential, lighter than any power)"
    mu: float = 0.0
    sigma: float = 1.0
    loc: float = 0.0
    _domains = {"mu": {"low": -700.0, "high": 700.0}, "sigma": POSITIVE}
    _support = (0.0, math.inf)
    gamma = 0.0

    def _loc_scale(self):
        return self.loc, math.exp(self.mu)

    def _w(self, z):
        """log(z) / sigma, with -inf for z <= 0."""
        return np.log(np.maximum(z, 0.0)) / self.sigma

    def _logpdf(self, z):
        w = self._w(z)
        out = -0.5 * w * w - _LOG_SQRT_2PI - math.log(self.sigma) - w * self.sigma
        return np.where(z > 0, out, -np.inf)

    def _cdf(self, z):
        return special.ndtr(self._w(z))

    def _logcdf(self, z):
        return special.log_ndtr(self._w(z))

    def _sf(self, z):
        return special.ndtr(-self._w(z))

    def _logsf(self, z):
        return special.log_ndtr(-self._w(z))

    def _ppf(self, q):
        return np.exp(self.sigma * special.ndtri(q))

    def _isf(self, q):
        return np.exp(-self.sigma * special.ndtri(q))

    def _mean(self):
        return math.exp(0.5 * self.sigma**2)

    def _var(self):
        s2 = self.sigma**2
        return math.expm1(s2) * math.exp(s2)

    def _partial_mean(self, z):
        # ∫_z^∞ u f(u) du = e^{σ²/2} Φ(σ - log(z)/σ)
        s = self.sigma
        return np.exp(0.5 * s * s + special.log_ndtr(s - self._w(z)))

    def _cond_mean(self, z):
        s, w = self.sigma, self._w(z)
        return np.exp(0.5 * s * s + special.log_ndtr(s - w) - special.log_ndtr(-w))

    def _hazard(self, z):
        # φ(w) / (σ z Φ̄(w)) = 1 / (σ z R(w)) with the Mills ratio R(w) = √(π/2) erfcx(w/√2)
        z = np.asarray(z, dtype=float)
        w = self._w(z)
        wc = np.maximum(w, -30.0)
        with np.errstate(all="ignore"):
            mills = 1.0 / (self.sigma * z * math.sqrt(math.pi / 2) * special.erfcx(wc / math.sqrt(2.0)))
            return np.where(z <= 0, 0.0, np.where(w > -30.0, mills,
                                                  np.exp(self._logpdf(z) - self._logsf(z))))

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        return -(self._w(z) / self.sigma + 1.0) / z

    def _cond_mean_lower(self, z):
        # e^{σ²/2} Φ(w - σ) / Φ(w), w = log(z)/σ; below the median as z R(σ - w) / R(-w) with
        # the Mills ratio R(x) = Φ̄(x)/φ(x) = √(π/2) erfcx(x/√2), where log Φ would cancel
        z = np.asarray(z, dtype=float)
        s, w = self.sigma, self._w(z)
        low = w < 0
        wl = np.where(low, w, -1.0)
        mills = z * special.erfcx((s - wl) / math.sqrt(2.0)) / special.erfcx(-wl / math.sqrt(2.0))
        wu = np.where(low, 0.0, w)
        upper = np.exp(0.5 * s * s + special.log_ndtr(wu - s) - special.log_ndtr(wu))
        return np.where(z <= 0, math.nan, np.where(low, mills, upper))

    def _mp_loc_scale(self, mp):
        return mp.mpf(self.loc), mp.exp(self.mu)

    def _mp_sf(self, mp, z):
        return mp.erfc(mp.log(z) / (self.sigma * mp.sqrt(2))) / 2 if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return mp.erfc(-mp.log(z) / (self.sigma * mp.sqrt(2))) / 2 if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.LOGNORMAL, self.sigma, self.mu


@dataclass(frozen=True, repr=False)
class Levy(_HeavyRight):
    """Lévy(mu, c): F̄(x) = erf(sqrt(c / (2 (x - mu)))) on x > mu; infinite mean."""

    tail_facts = "mgf radius 0; γ = 2; no mean"
    mu: float = 0.0
    c: float = 1.0
    _domains = {"c": POSITIVE}
    _support = (0.0, math.inf)
    gamma = 2.0

    def _loc_scale(self):
        return self.mu, self.c

    def _r(self, z):
        """1 / sqrt(2 z) (inf for z <= 0)."""
        return np.where(z > 0, 1.0 / np.sqrt(2.0 * np.maximum(z, 0.0)), np.inf)

    def _logpdf(self, z):
        zp = np.where(z > 0, z, 1.0)
        out = -_LOG_SQRT_2PI - 1.5 * np.log(zp) - 0.5 / zp
        return np.where(z > 0, out, -np.inf)

    def _cdf(self, z):
        return special.erfc(self._r(z))

    def _sf(self, z):
        return special.erf(self._r(z))

    def _logcdf(self, z):
        r = self._r(z)  # log erfc(r) = log erfcx(r) - r², finite far beyond the underflow of erfc
        return np.where(np.isinf(r), -np.inf, np.log(special.erfcx(r)) - r * r)

    def _logsf(self, z):
        # log erf(r) as log1p(-erfc(r)) where erfc(r) is small (F̄ near 1), so that it keeps F's digits
        r = self._r(z)
        c = special.erfc(r)
        return np.where(c < 0.5, np.log1p(-c), np.log(self._sf(z)))

    def _ppf(self, q):
        return 0.5 / special.erfcinv(q) ** 2

    def _isf(self, q):
        return 0.5 / special.erfinv(q) ** 2

    def _mean(self):
        return math.inf

    def _var(self):
        return math.inf

    def _partial_mean(self, z):
        return np.full(np.shape(z), math.inf)

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        return -1.5 / z + 0.5 / (z * z)

    def _cond_mean_lower(self, z):
        # E[Z; Z <= z] = √(2z/π) e^{-r²} - erfc(r), r = 1/√(2z), so with G = r √π erfcx(r),
        # E[Z | Z <= z] = 1/G - 1. For r >= 2, where that cancels, Laplace's continued fraction
        # √π erfcx(r) = 1/(r + (1/2)/(r + (2/2)/(r + (3/2)/(r + ...)))) gives
        # 1/G - 1 = c/r with c = (1/2)/(r + (2/2)/(r + ...)), 120 terms (converged at r = 2).
        z = np.asarray(z, dtype=float)
        r = self._r(z)
        near = (r < 2.0) & np.isfinite(r)
        rn = np.where(near, r, 1.0)
        direct = 1.0 / (rn * math.sqrt(math.pi) * special.erfcx(rn)) - 1.0
        rf = np.where(near | ~np.isfinite(r), 2.0, r)
        tail = rf.copy()
        for k in range(120, 1, -1):
            tail = rf + (0.5 * k) / tail
        far = 0.5 / tail / rf
        return np.where(z <= 0, math.nan, np.where(near, direct, far))

    def _cgf(self, s):
        return -math.sqrt(-2.0 * s)  # Laplace transform E[e^{-uZ}] = e^{-sqrt(2u)}

    def _mp_sf(self, mp, z):
        return mp.erf(1 / mp.sqrt(2 * z)) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return mp.erfc(1 / mp.sqrt(2 * z)) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.LEVY, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Frechet(_HeavyRight):
    """Fréchet(alpha): F(z) = exp(-z^{-α}) on z > 0."""

    tail_facts = "mgf radius 0; γ = 1/alpha"
    alpha: float
    loc: float = 0.0
    scale: float = 1.0
    _domains = {"alpha": POSITIVE, "scale": POSITIVE}
    _support = (0.0, math.inf)

    @property
    def gamma(self):
        return 1.0 / self.alpha

    def _t(self, z):
        """-α log z, so that F(z) = exp(-e^t); +inf for z <= 0."""
        return np.where(z > 0, -self.alpha * np.log(np.maximum(z, 0.0)), np.inf)

    def _logpdf(self, z):
        t = self._t(z)
        out = math.log(self.alpha) + t * (1 + 1 / self.alpha) - np.exp(t)
        return np.where(z > 0, out, -np.inf)

    def _cdf(self, z):
        return np.exp(-np.exp(self._t(z)))

    def _logcdf(self, z):
        return -np.exp(self._t(z))

    def _sf(self, z):
        return -np.expm1(-np.exp(self._t(z)))

    def _logsf(self, z):
        return log_one_minus_exp_neg_exp(self._t(z))

    def _ppf(self, q):
        return (-np.log(q)) ** (-1.0 / self.alpha)

    def _isf(self, q):
        return (-np.log1p(-q)) ** (-1.0 / self.alpha)

    def _mean(self):
        a = self.alpha
        return float(special.gamma(1 - 1 / a)) if a > 1 else math.inf

    def _var(self):
        a = self.alpha
        if a <= 2:
            return math.inf
        return float(special.gamma(1 - 2 / a) - special.gamma(1 - 1 / a) ** 2)

    def _partial_mean(self, z):
        # Z = E^{-1/α}, E ~ Exp(1): E[Z; Z > z] = γ(1 - 1/α, z^{-α}) (lower incomplete gamma)
        a = self.alpha
        if a <= 1:
            return np.full(np.shape(z), math.inf)
        w = np.exp(self._t(z))
        return special.gamma(1 - 1 / a) * special.gammainc(1 - 1 / a, w)

    def _cond_mean(self, z):
        # E[Z | Z > z] = γ(a, w) / (1 - e^{-w}), a = 1 - 1/α, w = z^{-α}; where w < 1e-3 (both
        # may underflow) as z S(w) / E(w) with γ(a, w) = w^a S(w), S = Σ (-w)^k / (k! (a + k)),
        # 1 - e^{-w} = w E(w), and w^{a - 1} = z
        z = np.asarray(z, dtype=float)
        a = 1.0 - 1.0 / self.alpha
        if a <= 0:
            return np.full(z.shape, math.inf)
        w = np.exp(self._t(np.where(z > 0, z, 1.0)))
        far = (z > 0) & (w < 1e-3)
        wf = np.where(far, w, 0.0)
        series, term = np.zeros_like(wf), np.ones_like(wf)
        for k in range(8):
            series = series + term / (a + k)
            term = -term * wf / (k + 1)
        with np.errstate(all="ignore"):
            near = self._partial_mean(z) / self._sf(z)
            e = np.where(wf > 0, -special.expm1(-wf) / np.where(wf > 0, wf, 1.0), 1.0)
        return np.where(far, z * series / e, near)

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        return (self.alpha * np.exp(self._t(z)) - (self.alpha + 1)) / z

    def _cond_mean_lower(self, z):
        # with w = z^{-α}: E[Z; Z <= z] = Γ(a, w), a = 1 - 1/α, and F(z) = e^{-w}, so
        # E[Z | Z <= z] = e^w Γ(a, w): for w >= 1 by Legendre's continued fraction
        # e^w Γ(a, w) = w^a / (w + 1 - a - 1(1 - a)/(w + 3 - a - 2(2 - a)/(w + 5 - a - ...)))
        # (any real a; 200 terms converge at w = 1), for w < 1 and a > 0 by scipy's regularized
        # function, and for w < 1, a <= 0 (infinite mean) by log-space quadrature
        z = np.asarray(z, dtype=float)
        a = 1.0 - 1.0 / self.alpha
        w = np.exp(np.where(z > 0, self._t(np.where(z > 0, z, 1.0)), 0.0))
        deep = w >= 1.0
        wd = np.where(deep, w, 1.0)
        tail = wd + (2 * 200 + 1) - a
        for n in range(200, 0, -1):
            tail = wd + (2 * n - 1) - a - n * (n - a) / tail
        with np.errstate(all="ignore"):
            # w^a / tail = z (w / tail), since w^{a - 1} = z: no overflow where w does
            ratio = np.where(wd > 1e10, 1.0 / (1.0 + (1.0 - a) / wd), wd / tail)
            frac = np.where(deep, z, 1.0) * ratio
            near = np.where(deep, math.nan, special.gamma(a) * special.gammaincc(a, np.where(deep, 1.0, w))
                            * np.exp(np.where(deep, 0.0, w))) if a > 0 else np.full(z.shape, math.nan)
        out = np.where(z <= 0, math.nan, np.where(deep, frac, near))
        quad = (z > 0) & ~deep
        if a <= 0 and np.any(quad):
            out[quad] = self._cond_mean_lower_by_quadrature(z[quad], -w[quad])
        return out

    def _mp_sf(self, mp, z):
        return -mp.expm1(-z ** -self.alpha) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return mp.exp(-z ** -self.alpha) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.FRECHET, -1.0 / self.alpha, 0.0


@dataclass(frozen=True, repr=False)
class BurrXII(_HeavyRight):
    """Burr XII(c, k): F̄(z) = (1 + z^c)^{-k} on z > 0; γ = 1/(ck)."""

    tail_facts = "mgf radius 0; γ = 1/(c k)"
    c: float
    k: float
    loc: float = 0.0
    scale: float = 1.0
    _domains = {"c": POSITIVE, "k": POSITIVE, "scale": POSITIVE}
    _support = (0.0, math.inf)

    @property
    def gamma(self):
        return 1.0 / (self.c * self.k)

    def _log1p_zc(self, z):
        """log(1 + z^c) without overflow (0 for z <= 0)."""
        return np.logaddexp(0.0, self.c * np.log(np.maximum(z, 0.0)))

    def _logpdf(self, z):
        c, k = self.c, self.k
        zp = np.where(z > 0, z, 1.0)
        out = math.log(c * k) + (c - 1) * np.log(zp) - (k + 1) * self._log1p_zc(zp)
        at_zero = math.inf if c < 1 else (math.log(k) if c == 1 else -math.inf)
        return np.where(z > 0, out, np.where(z == 0, at_zero, -np.inf))

    def _cdf(self, z):
        return -np.expm1(self._logsf(z))

    def _sf(self, z):
        return np.exp(self._logsf(z))

    def _logsf(self, z):
        return -self.k * self._log1p_zc(z)

    def _quantile(self, w):
        """z with log1p(z^c) = w: (e^w - 1)^{1/c}, in log space where e^w overflows."""
        w = np.asarray(w, dtype=float)
        big = w > 1.0
        wb = np.where(big, w, 1.0)
        return np.where(big, np.exp((wb + np.log1p(-np.exp(-wb))) / self.c),
                        np.expm1(np.where(big, 0.0, w)) ** (1.0 / self.c))

    def _ppf(self, q):
        return self._quantile(-np.log1p(-q) / self.k)

    def _isf(self, q):
        return self._quantile(-np.log(q) / self.k)

    def _logcdf(self, z):
        # log(1 - e^{-kL}), L = log(1 + z^c); for tiny kL it is log(kL) - kL/2, with log L = c log z
        # once z^c is tiny, so that the lower tail survives the underflow of the cdf
        y = -self._logsf(z)
        c_log_z = self.c * np.log(np.maximum(z, 0.0))
        log_l = np.where(c_log_z < -30.0, c_log_z, np.log(self._log1p_zc(z)))
        return np.where(y < 1e-10, math.log(self.k) + log_l - 0.5 * y, np.log(-np.expm1(-y)))

    def _moment(self, r):
        """E[Z^r] = k B(k - r/c, 1 + r/c) for r < ck."""
        c, k = self.c, self.k
        if r >= c * k:
            return math.inf
        return k * math.exp(special.betaln(k - r / c, 1 + r / c))

    def _mean(self):
        return self._moment(1)

    def _var(self):
        m1, m2 = self._moment(1), self._moment(2)
        return m2 - m1 * m1 if math.isfinite(m2) else math.inf

    def _partial_mean(self, z):
        # with u = 1/(1 + z^c): E[Z; Z > z] = k B(u; k - 1/c, 1 + 1/c), incomplete beta
        c, k = self.c, self.k
        if c * k <= 1:
            return np.full(np.shape(z), math.inf)
        a, b = k - 1 / c, 1 + 1 / c
        log_u = -self._log1p_zc(z)
        # far out, where u underflows: I_u(a, b) = u^a / (a B(a, b)) (1 + O(u))
        far = np.exp(math.log(k) + a * log_u - math.log(a))
        return np.where(log_u < -40.0, far, self._moment(1) * special.betainc(a, b, np.exp(log_u)))

    def _cond_mean(self, z):
        # where u = 1/(1 + z^c) < e^-40: E[Z; Z > z] / F̄(z) = (k/a) u^{a - k} = (k/a) u^{-1/c}
        # (both underflow together far out)
        c, k = self.c, self.k
        if c * k <= 1:
            return np.full(np.shape(z), math.inf)
        log1p_zc = self._log1p_zc(z)
        with np.errstate(all="ignore"):
            near = self._partial_mean(z) / self._sf(z)
        return np.where(log1p_zc > 40.0, k / (k - 1 / c) * np.exp(log1p_zc / c), near)

    def _hazard(self, z):
        z = np.maximum(np.asarray(z, dtype=float), 0.0)
        with np.errstate(all="ignore"):  # c k z^{c-1} / (1 + z^c), written to survive z^c -> inf
            return self.c * self.k / (z * (1.0 + z ** -self.c))

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        c, k = self.c, self.k
        with np.errstate(all="ignore"):
            return ((c - 1.0) - (k + 1.0) * c / (1.0 + z ** -c)) / z

    def _cond_mean_lower(self, z):
        # with v = z^c/(1 + z^c): E[Z; Z <= z] = k B(v; a, b), a = 1 + 1/c, b = k - 1/c, and
        # B(v; a, b) = v^a ₂F₁(a, 1 - b; a + 1; v) / a; for v <= 1/2 in log space (v^a and F(z)
        # underflow together far in the lower tail), elsewhere the base class's forms
        z = np.asarray(z, dtype=float)
        c, k = self.c, self.k
        a, b = 1.0 + 1.0 / c, k - 1.0 / c
        zp = np.where(z > 0, z, 1.0)
        log_v = c * np.log(zp) - self._log1p_zc(zp)
        low = (z > 0) & (log_v <= -math.log(2.0))
        vl = np.exp(np.where(low, log_v, -1.0))
        out = np.where(low, k / a * np.exp(a * np.where(low, log_v, -1.0) - self._logcdf(zp))
                       * special.hyp2f1(a, 1.0 - b, a + 1.0, vl), math.nan)
        rest = (z > 0) & ~low
        if np.any(rest):
            out[rest] = super()._cond_mean_lower(z[rest])
        return out

    def _mp_sf(self, mp, z):
        return mp.exp(-self.k * mp.log1p(z**self.c)) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return -mp.expm1(-self.k * mp.log1p(z**self.c)) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.BURR_XII, 1.0 / self.c, 1.0 / self.k


@dataclass(frozen=True, repr=False)
class GPD(_HeavyRight):
    """Generalized Pareto(xi > 0): F̄(z) = (1 + ξz)^{-1/ξ} on z >= 0; γ = ξ."""

    tail_facts = "mgf radius 0; γ = xi"
    xi: float
    loc: float = 0.0
    scale: float = 1.0
    _domains = {"xi": POSITIVE, "scale": POSITIVE}
    _support = (0.0, math.inf)

    @property
    def gamma(self):
        return self.xi

    def _log1p_xz(self, z):
        return np.log1p(self.xi * np.maximum(z, 0.0))

    def _logpdf(self, z):
        return np.where(z >= 0, -(1 / self.xi + 1) * self._log1p_xz(z), -np.inf)

    def _cdf(self, z):
        return -np.expm1(self._logsf(z))

    def _sf(self, z):
        return np.exp(self._logsf(z))

    def _logsf(self, z):
        return -self._log1p_xz(z) / self.xi

    def _ppf(self, q):
        return np.expm1(-self.xi * np.log1p(-q)) / self.xi

    def _isf(self, q):
        w = -self.xi * np.log(q)  # z = (e^w - 1)/ξ; e^w alone would overflow before z does
        return np.where(w > 700.0, np.exp(w - math.log(self.xi)), np.expm1(w) / self.xi)

    def _mean(self):
        return 1 / (1 - self.xi) if self.xi < 1 else math.inf

    def _var(self):
        x = self.xi
        return 1 / ((1 - x) ** 2 * (1 - 2 * x)) if x < 0.5 else math.inf

    def _partial_mean(self, z):
        # mean excess (1 + ξz)/(1 - ξ): E[Z; Z > z] = F̄(z) (1 + z)/(1 - ξ) for z >= 0
        if self.xi >= 1:
            return np.full(np.shape(z), math.inf)
        return self._sf(z) * self._cond_mean(z)

    def _cond_mean(self, z):
        if self.xi >= 1:
            return np.full(np.shape(z), math.inf)
        return (1 + np.maximum(z, 0.0)) / (1 - self.xi)

    def _hazard(self, z):
        return 1.0 / (1.0 + self.xi * np.maximum(np.asarray(z, dtype=float), 0.0))

    def _score(self, z):
        return -(1.0 + self.xi) / (1.0 + self.xi * np.asarray(z, dtype=float))

    def _cond_mean_lower(self, z):
        # E[Z; Z <= z] = (1 - (1 + z)(1 + ξz)^{-1/ξ}) / (1 - ξ) = -D exprel((1 - ξ)D) with
        # D = (log1p(z) - log1p(ξz)/ξ) / (1 - ξ) = Σ_{n>=2} (-1)^{n+1} (1 + ξ + ... + ξ^{n-2}) z^n/n,
        # summed where z max(1, ξ) < 0.1 (no cancellation, also at ξ = 1); elsewhere directly
        # while |1 - ξ| >= 0.01, and by the base class's forms otherwise
        z = np.asarray(z, dtype=float)
        xi = self.xi
        small = (z > 0) & (z * max(1.0, xi) < 0.1)
        zs = np.where(small, z, 0.0)
        geometric = np.ones_like(zs)
        power = -np.ones_like(zs)  # (-1)^{n+1} z^{n-2}: the series of D / z², which z² underflows
        d2 = np.zeros_like(zs)
        for n in range(2, 26):
            d2 = d2 + geometric * power / n
            power = -power * zs
            geometric = 1.0 + xi * geometric
        # E[Z | Z <= z] = -D exprel((1 - ξ) D) / F(z), on the series as -z D2 exprel(...) / (F(z)/z)
        direct = (z > 0) & ~small if abs(1 - xi) >= 0.01 else np.zeros(z.shape, dtype=bool)
        zd = np.where(direct, z, 1.0)
        d = np.where(small, d2 * zs * zs, (np.log1p(zd) - np.log1p(xi * zd) / xi) / (1 - xi))
        with np.errstate(all="ignore"):
            ratio = np.where(small, zs * d2, d) * special.exprel((1 - xi) * d)
            mass = self._cdf(np.where(small | direct, z, 1.0)) / np.where(small, zs, 1.0)
        out = np.where(small | direct, -ratio / mass, math.nan)
        rest = (z > 0) & ~small & ~direct
        if np.any(rest):
            out[rest] = super()._cond_mean_lower(z[rest])
        return out

    def _mp_sf(self, mp, z):
        return mp.exp(-mp.log1p(self.xi * z) / self.xi) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return -mp.expm1(-mp.log1p(self.xi * z) / self.xi) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.GPD, self.xi, 0.0


@dataclass(frozen=True, repr=False)
class Cauchy(_HeavyRight):
    """Cauchy: f(z) = 1 / (π (1 + z^2)); no mean (``nan``)."""

    tail_facts = "mgf radius 0; γ = 1; no mean"
    loc: float = 0.0
    scale: float = 1.0
    _domains = {"scale": POSITIVE}
    _radius_left = 0.0
    gamma = 1.0

    def _logpdf(self, z):
        return -math.log(math.pi) - log1p_square(z)

    def _cdf(self, z):
        return np.arctan2(1.0, -np.asarray(z, dtype=float)) / math.pi

    def _sf(self, z):
        return np.arctan2(1.0, np.asarray(z, dtype=float)) / math.pi

    def _logsf(self, z):
        # log1p of minus the smaller mass where F̄ > 1/2 (log F̄ would keep only its absolute digits)
        z = np.asarray(z, dtype=float)
        return np.where(z < 0, np.log1p(-self._cdf(z)), np.log(self._sf(z)))

    def _logcdf(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, np.log1p(-self._sf(z)), np.log(self._cdf(z)))

    def _ppf(self, q):
        return -self._isf(q)

    def _isf(self, q):
        q = np.asarray(q, dtype=float)
        return np.where(q <= 0.5, 1.0 / np.tan(math.pi * q), -1.0 / np.tan(math.pi * (1.0 - q)))

    def _mean(self):
        return math.nan

    def _var(self):
        return math.nan

    def _partial_mean(self, z):
        return np.full(np.shape(z), math.inf)

    def _cond_mean_lower(self, z):
        return np.full(np.shape(z), -math.inf)  # the left tail has no mean either

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(z == 0, 0.0, -2.0 / (z + 1.0 / np.where(z == 0, 1.0, z)))

    def _mp_sf(self, mp, z):
        return mp.atan2(1, z) / mp.pi

    def _mp_cdf(self, mp, z):
        return mp.atan2(1, -z) / mp.pi

    def _kernel(self):
        return K.CAUCHY, 0.0, 0.0
