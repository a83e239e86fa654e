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
        return np.log(self._sf(z))

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

    def _cgf(self, s):
        return -math.sqrt(-2.0 * s)  # Laplace transform E[e^{-uZ}] = e^{-sqrt(2u)}

    def _cgf_prime(self, s):
        return 1.0 / math.sqrt(-2.0 * s)

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
        return np.log(self._sf(z))

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

    def _kernel(self):
        return K.CAUCHY, 0.0, 0.0
