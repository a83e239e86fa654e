"""Light-tailed laws: E[e^{sX}] < ∞ for some s > 0.

Normal, Exponential, Gumbel, Laplace, Uniform, and Weibull, which is light for shape >= 1
and heavy for shape < 1 (F̄(x) = exp(-x^k) decays slower than any exponential).
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from catgoodhart.distributions import _kinds as K
from catgoodhart.distributions._base import POSITIVE, Distribution
from catgoodhart.distributions._special import EULER_GAMMA, ein, exp_e1, log1pmx, log_one_minus_exp_neg_exp

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _exponential_tilt(u):
    """(excess, gain, KL) of the tilted standard exponential (mean 1), u < 1: K = -log(1 - u),
    excess = -(log(1 - u) + u)/u, gain = a = u/(1 - u), KL = a - log(1 + a)."""
    a = u / (1.0 - u)
    return -float(log1pmx(-u)) / u, a, -float(log1pmx(a))


@functools.cache
def _zeta_table():
    """ζ(k), k = 2..61."""
    return special.zeta(np.arange(2, 62))


@functools.cache
def _uniform_coefficients():
    """4^n B_2n / (2n)!, n = 1..30: coth x - 1/x = Σ c_n x^{2n-1}."""
    n = np.arange(1, 31)
    return 4.0**n * special.bernoulli(60)[2 * n] / special.factorial(2 * n)


@dataclass(frozen=True, repr=False)
class Normal(Distribution):
    """Normal(mu, sigma): f(x) = exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))."""

    tail_facts = "mgf radius ∞; γ = 0"
    mu: float = 0.0
    sigma: float = 1.0
    _domains = {"sigma": POSITIVE}
    heavy_tailed = False
    _radius_right = _radius_left = math.inf
    gamma = 0.0

    def _loc_scale(self):
        return self.mu, self.sigma

    def _logpdf(self, z):
        return -0.5 * z * z - _LOG_SQRT_2PI

    def _cdf(self, z):
        return special.ndtr(z)

    def _logcdf(self, z):
        return special.log_ndtr(z)

    def _sf(self, z):
        return special.ndtr(-z)

    def _logsf(self, z):
        return special.log_ndtr(-z)

    def _ppf(self, q):
        return special.ndtri(q)

    def _isf(self, q):
        return -special.ndtri(q)

    def _mean(self):
        return 0.0

    def _var(self):
        return 1.0

    def _partial_mean(self, z):
        return np.exp(self._logpdf(z))  # ∫_z^∞ u φ(u) du = φ(z)

    def _cond_mean(self, z):
        # φ(z)/F̄(z) = 1 / (sqrt(π/2) erfcx(z/√2)), the inverse Mills ratio, accurate for large z
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, 1.0 / (math.sqrt(math.pi / 2) * special.erfcx(z / math.sqrt(2.0))),
                        np.exp(self._logpdf(z) - special.log_ndtr(-z)))

    def _cond_mean_lower(self, z):
        return -self._cond_mean(-np.asarray(z, dtype=float))  # symmetry

    def _hazard(self, z):
        # φ(z)/Φ̄(z) = 1 / (√(π/2) erfcx(z/√2)), finite up to the last double; e^{log φ - log Φ̄}
        # below z = -30, where erfcx overflows and the hazard is φ(z) to double precision
        z = np.asarray(z, dtype=float)
        zc = np.maximum(z, -30.0)
        return np.where(z > -30.0, 1.0 / (math.sqrt(math.pi / 2) * special.erfcx(zc / math.sqrt(2.0))),
                        np.exp(self._logpdf(z) - special.log_ndtr(-z)))

    def _score(self, z):
        return -np.asarray(z, dtype=float)

    def _cgf(self, s):
        return 0.5 * s * s

    def _tilt_z(self, u):
        return 0.5 * u, u, (0.5 * u) * u

    def _mp_sf(self, mp, z):
        return mp.erfc(z / mp.sqrt(2)) / 2

    def _mp_cdf(self, mp, z):
        return mp.erfc(-z / mp.sqrt(2)) / 2

    def _kernel(self):
        return K.NORMAL, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Exponential(Distribution):
    """Exponential(rate): f(x) = rate exp(-rate (x - loc)) on x >= loc; scale 1/rate."""

    tail_facts = "mgf radius = rate; γ = 0"
    rate: float = 1.0
    loc: float = 0.0
    _domains = {"rate": POSITIVE}
    heavy_tailed = False
    _radius_right = 1.0
    _radius_left = math.inf
    _support = (0.0, math.inf)
    gamma = 0.0

    def _loc_scale(self):
        return self.loc, 1.0 / self.rate

    @property
    def mgf_radius(self):
        return self.rate  # exactly, not 1 / (1 / rate)

    def _logpdf(self, z):
        return np.where(z >= 0, -z, -np.inf)

    def _cdf(self, z):
        return -np.expm1(-np.maximum(z, 0.0))

    def _sf(self, z):
        return np.exp(-np.maximum(z, 0.0))

    def _logsf(self, z):
        return -np.maximum(z, 0.0)

    def _ppf(self, q):
        return -np.log1p(-q)

    def _isf(self, q):
        return -np.log(q)

    def _mean(self):
        return 1.0

    def _var(self):
        return 1.0

    def _partial_mean(self, z):
        zp = np.maximum(z, 0.0)
        return (zp + 1.0) * np.exp(-zp)

    def _cond_mean(self, z):
        return np.maximum(z, 0.0) + 1.0  # memoryless

    def _hazard(self, z):
        return np.where(np.asarray(z) >= 0, 1.0, 0.0)

    def _score(self, z):
        return np.where(np.asarray(z) >= 0, -1.0, math.nan)

    def _cond_mean_lower(self, z):
        # 1 - z / (e^z - 1); below z = 0.1 its series z/2 - z²/12 + z⁴/720 - ... (Bernoulli
        # numbers), where the difference would cancel
        z = np.asarray(z, dtype=float)
        small = z < 0.1
        zs = np.where(small, z, 0.0)
        z2 = zs * zs
        series = zs / 2 - z2 / 12 * (1 - z2 / 60 * (1 - z2 / 42 * (1 - z2 / 40 * (1 - z2 * 5 / 198))))
        with np.errstate(all="ignore"):
            zl = np.where(small, 1.0, z)
            direct = 1.0 - zl / np.expm1(zl)
        return np.where(z <= 0, math.nan, np.where(small, series, direct))

    def _tilt_z(self, u):
        return _exponential_tilt(u)

    def _mp_loc_scale(self, mp):
        return mp.mpf(self.loc), 1 / mp.mpf(self.rate)

    def _mp_sf(self, mp, z):
        return mp.exp(-z) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return -mp.expm1(-z) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.EXPONENTIAL, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Gumbel(Distribution):
    """Gumbel(mu, beta) for maxima: F(x) = exp(-exp(-(x - mu) / beta))."""

    tail_facts = "mgf radius = 1/beta; γ = 0"
    mu: float = 0.0
    beta: float = 1.0
    _domains = {"beta": POSITIVE}
    heavy_tailed = False
    _radius_right = 1.0
    _radius_left = math.inf
    gamma = 0.0

    def _loc_scale(self):
        return self.mu, self.beta

    def _logpdf(self, z):
        return -(z + np.exp(-z))

    def _cdf(self, z):
        return np.exp(-np.exp(-z))

    def _logcdf(self, z):
        return -np.exp(-z)

    def _sf(self, z):
        return -np.expm1(-np.exp(-z))

    def _logsf(self, z):
        return log_one_minus_exp_neg_exp(-np.asarray(z, dtype=float))

    def _ppf(self, q):
        return -np.log(-np.log(q))

    def _isf(self, q):
        return -np.log(-np.log1p(-q))

    def _mean(self):
        return EULER_GAMMA

    def _var(self):
        return math.pi**2 / 6

    def _partial_mean(self, z):
        # with w = e^{-z}: ∫_z^∞ u f(u) du = ∫_0^w -log(v) e^{-v} dv = z (1 - e^{-w}) + Ein(w)
        z = np.asarray(z, dtype=float)
        deep = z < -40.0  # there e^{-w} = 0 and Ein(w) = -z + γ + E1(w) with E1(w) = 0
        zs = np.where(deep, 0.0, z)
        w = np.exp(-zs)
        return np.where(deep, EULER_GAMMA, -zs * np.expm1(-w) + ein(w))

    def _cond_mean(self, z):
        # z + Ein(w) / (1 - e^{-w}), w = e^{-z}; the ratio is 1 + w/4 + O(w²) for tiny w
        z = np.asarray(z, dtype=float)
        w = np.exp(-np.maximum(z, -40.0))
        ratio = np.where(w < 1e-8, 1.0 + 0.25 * w, ein(w) / -np.expm1(-w))
        return np.where(z < -40.0, EULER_GAMMA, z + ratio)

    def _hazard(self, z):
        # f/F̄ = w e^{-w} / (1 - e^{-w}) = 1 / exprel(w), w = e^{-z}
        with np.errstate(over="ignore"):
            return 1.0 / special.exprel(np.exp(-np.asarray(z, dtype=float)))

    def _score(self, z):
        return np.expm1(-np.asarray(z, dtype=float))

    def _cond_mean_lower(self, z):
        # E[Z; Z <= z] = z e^{-w} - E1(w), w = e^{-z}, so E[Z | Z <= z] = z - e^w E1(w), free of
        # cancellation for z < 0; above, (γ - E[Z; Z > z]) / F(z) with F(z) >= e^{-1}
        z = np.asarray(z, dtype=float)
        low = z < 0
        w = np.exp(-np.where(low, z, 0.0))
        lower = np.where(np.isinf(w), z, z - exp_e1(np.where(np.isinf(w), 1.0, w)))
        zu = np.where(low, 0.0, z)
        upper = (EULER_GAMMA - self._partial_mean(zu)) / self._cdf(zu)
        return np.where(low, lower, upper)

    def _tilt_z(self, u):
        # K(u) = log Γ(1 - u); below |u| = 1/2 from log Γ(1 - u) = γu + Σ_{k>=2} ζ(k) u^k / k, whose
        # terms give excess, gain and KL without cancelling (60 terms: ζ(k) 2^-k < 1e-18 beyond)
        if abs(u) < 0.5:
            k = np.arange(2, 62)
            powers = u ** (k - 1) * _zeta_table()
            return (float(np.sum(powers / k)), float(np.sum(powers)),
                    float(np.sum(u * powers * (1.0 - 1.0 / k))))
        excess = (float(special.gammaln(1.0 - u)) - EULER_GAMMA * u) / u
        gain = -float(special.digamma(1.0 - u)) - EULER_GAMMA
        return excess, gain, u * (gain - excess)

    def _mp_sf(self, mp, z):
        return -mp.expm1(-mp.exp(-z))

    def _mp_cdf(self, mp, z):
        return mp.exp(-mp.exp(-z))

    def _kernel(self):
        return K.GUMBEL, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Laplace(Distribution):
    """Laplace(mu, b): f(x) = exp(-|x - mu| / b) / (2 b)."""

    tail_facts = "mgf radius = 1/b; γ = 0"
    mu: float = 0.0
    b: float = 1.0
    _domains = {"b": POSITIVE}
    heavy_tailed = False
    _radius_right = _radius_left = 1.0
    gamma = 0.0

    def _loc_scale(self):
        return self.mu, self.b

    def _logpdf(self, z):
        return -math.log(2.0) - np.abs(z)

    def _sf(self, z):
        half_tail = 0.5 * np.exp(-np.abs(z))
        return np.where(z > 0, half_tail, 1.0 - half_tail)

    def _cdf(self, z):
        return self._sf(-np.asarray(z, dtype=float))

    def _logsf(self, z):
        a = np.abs(z)
        return np.where(z > 0, -math.log(2.0) - a, np.log1p(-0.5 * np.exp(-a)))

    def _logcdf(self, z):
        return self._logsf(-np.asarray(z, dtype=float))

    def _ppf(self, q):
        return -self._isf(q)

    def _isf(self, q):
        q = np.asarray(q, dtype=float)
        return np.where(q <= 0.5, -np.log(2.0 * q), np.log(2.0 * (1.0 - q)))

    def _mean(self):
        return 0.0

    def _var(self):
        return 2.0

    def _partial_mean(self, z):
        # ½(z + 1)e^{-z} for z >= 0 and E[Z] - ∫_{-∞}^z u f(u) du = ½(1 - z)e^{z} below
        a = np.abs(z)
        return 0.5 * (a + 1.0) * np.exp(-a)

    def _cond_mean(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, z + 1.0, self._partial_mean(z) / self._sf(z))  # memoryless above 0

    def _cond_mean_lower(self, z):
        return -self._cond_mean(-np.asarray(z, dtype=float))  # symmetry

    def _hazard(self, z):
        z = np.asarray(z, dtype=float)
        e = np.exp(np.minimum(z, 0.0))
        return np.where(z > 0, 1.0, e / (2.0 - e))

    def _score(self, z):
        return -np.sign(np.asarray(z, dtype=float))

    def _tilt_z(self, u):
        # K = -log(1 - u²); with a = u²/(1 - u²): K' = 2u/(1 - u²), KL = 2a - log(1 + a)
        a = u * u / (1.0 - u * u)
        return -math.log1p(-u * u) / u, 2.0 * u / (1.0 - u * u), a - float(log1pmx(a))

    def _mp_sf(self, mp, z):
        return mp.exp(-z) / 2 if z > 0 else 1 - mp.exp(z) / 2

    def _mp_cdf(self, mp, z):
        return self._mp_sf(mp, -z)

    def _kernel(self):
        return K.LAPLACE, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Uniform(Distribution):
    """Uniform(low, high): f(x) = 1 / (high - low) on [low, high]."""

    tail_facts = "bounded; mgf radius ∞; γ = -1"
    low: float = 0.0
    high: float = 1.0
    heavy_tailed = False
    _radius_right = _radius_left = math.inf
    _support = (0.0, 1.0)
    gamma = -1.0

    def _check(self):
        if not self.high > self.low:
            raise ValueError(f"`high` must be > `low` = {self.low!r}, got {self.high!r}")
        if not math.isfinite(self.high - self.low):
            raise ValueError("`high` - `low` must be finite")

    def _loc_scale(self):
        return self.low, self.high - self.low

    def _logpdf(self, z):
        return np.where((z >= 0) & (z <= 1), 0.0, -np.inf)

    def _cdf(self, z):
        return np.clip(z, 0.0, 1.0)

    def _sf(self, z):
        return np.clip(1.0 - np.asarray(z, dtype=float), 0.0, 1.0)

    def _logsf(self, z):
        return np.where(z >= 1, -np.inf, np.log1p(-np.clip(z, 0.0, 1.0)))

    def _ppf(self, q):
        return np.asarray(q, dtype=float)

    def _isf(self, q):
        return 1.0 - np.asarray(q, dtype=float)

    def _mean(self):
        return 0.5

    def _var(self):
        return 1.0 / 12.0

    def _partial_mean(self, z):
        c = np.clip(z, 0.0, 1.0)
        return 0.5 * (1.0 - c * c)

    def _cond_mean_lower(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, 0.5 * np.minimum(z, 1.0), math.nan)

    def _hazard(self, z):
        z = np.asarray(z, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(z < 0, 0.0, np.where(z < 1, 1.0 / (1.0 - np.clip(z, 0.0, 1.0)), math.inf))

    def _score(self, z):
        return np.where((np.asarray(z) >= 0) & (np.asarray(z) <= 1), 0.0, math.nan)

    def _tilt_z(self, u):
        # about the mean, K(u) - u/2 = log(sinh x / x), x = u/2, and K' - 1/2 = (coth x - 1/x)/2;
        # below |x| = 1 from their series in c_n x^{2n}, c_n = 4^n B_2n / (2n)! (Bernoulli
        # numbers; 30 terms, c_n x^{2n} ~ 2 π^{-2n} x^{2n}), where both differences cancel
        x = 0.5 * u
        if abs(x) < 1.0:
            n = np.arange(1, 31)
            terms = _uniform_coefficients() * x ** (2 * n)
            log_ratio = float(np.sum(terms / (2 * n)))
            return log_ratio / u, float(np.sum(terms)) / u, float(np.sum(terms * (1.0 - 0.5 / n)))
        ax = abs(x)
        log_ratio = ax + math.log1p(-math.exp(-2.0 * ax)) - math.log(2.0 * ax)
        gain = 0.5 * (1.0 / math.tanh(x) - 1.0 / x)
        # KL = u K' - K = x coth x - 1 - log_ratio, with x coth x - |x| = 2|x| / expm1(2|x|)
        # (u K' and K grow like |u| and cancel to log|u|)
        e = math.exp(-2.0 * ax)
        kl = 2.0 * ax * e / -math.expm1(-2.0 * ax) - 1.0 - math.log1p(-e) + math.log(2.0 * ax)
        return log_ratio / u, gain, kl

    def _mp_loc_scale(self, mp):
        return mp.mpf(self.low), mp.mpf(self.high) - mp.mpf(self.low)

    def _mp_sf(self, mp, z):
        return min(max(1 - z, mp.mpf(0)), mp.mpf(1))

    def _mp_cdf(self, mp, z):
        return min(max(z, mp.mpf(0)), mp.mpf(1))

    def _kernel(self):
        return K.UNIFORM, 0.0, 0.0


@dataclass(frozen=True, repr=False)
class Weibull(Distribution):
    """Weibull(shape k, scale): F̄(x) = exp(-((x - loc)/scale)^k) on x >= loc.

    Light-tailed for k >= 1 (mgf radius ∞ for k > 1, 1/scale for k = 1); heavy for k < 1.
    """

    tail_facts = "shape ≥ 1: light (mgf radius ∞; 1/scale at shape 1); shape < 1: heavy; γ = 0"
    shape: float
    scale: float = 1.0
    loc: float = 0.0
    _domains = {"shape": POSITIVE, "scale": POSITIVE}
    _radius_left = math.inf
    _support = (0.0, math.inf)
    gamma = 0.0

    @property
    def heavy_tailed(self):
        return self.shape < 1

    @property
    def _radius_right(self):
        return math.inf if self.shape > 1 else (1.0 if self.shape == 1 else 0.0)

    def _logpdf(self, z):
        k = self.shape
        zp = np.where(z > 0, z, 1.0)
        inside = math.log(k) + (k - 1.0) * np.log(zp) - zp**k
        at_zero = math.inf if k < 1 else (0.0 if k == 1 else -math.inf)
        return np.where(z > 0, inside, np.where(z == 0, at_zero, -np.inf))

    def _cdf(self, z):
        return -np.expm1(-np.maximum(z, 0.0) ** self.shape)

    def _sf(self, z):
        return np.exp(-np.maximum(z, 0.0) ** self.shape)

    def _logsf(self, z):
        return -np.maximum(z, 0.0) ** self.shape

    def _logcdf(self, z):
        # log(1 - e^{-w}), w = z^k: log(w) - w/2 for tiny w, so it survives w's underflow
        log_w = self.shape * np.log(np.maximum(z, 0.0))
        w = np.exp(log_w)
        return np.where(w < 1e-10, log_w - 0.5 * w, np.log(-np.expm1(-w)))

    def _ppf(self, q):
        return (-np.log1p(-q)) ** (1.0 / self.shape)

    def _isf(self, q):
        return (-np.log(q)) ** (1.0 / self.shape)

    def _mean(self):
        return float(special.gamma(1.0 + 1.0 / self.shape))

    def _var(self):
        g1 = special.gammaln(1.0 + 1.0 / self.shape)
        g2 = special.gammaln(1.0 + 2.0 / self.shape)
        return math.exp(g2) * -math.expm1(2.0 * g1 - g2)

    def _partial_mean(self, z):
        # ∫_z^∞ u f(u) du = Γ(1 + 1/k, z^k), the upper incomplete gamma function
        a = 1.0 + 1.0 / self.shape
        return special.gamma(a) * special.gammaincc(a, np.maximum(z, 0.0) ** self.shape)

    def _cond_mean(self, z):
        # E[Z | Z > z] = e^x Γ(a, x), x = z^k, a = 1 + 1/k; beyond x = 600, where both factors
        # leave double range, its asymptotic series z Σ_n (a-1)(a-2)…(a-n) / x^n
        z = np.asarray(z, dtype=float)
        a = 1.0 + 1.0 / self.shape
        x = np.maximum(z, 0.0) ** self.shape
        far = x > 600.0
        xf = np.where(far, x, 600.0)
        term, total = np.ones_like(xf), np.ones_like(xf)
        for n in range(1, 30):
            term = term * (a - n) / xf
            total = total + term
        near = self._partial_mean(np.where(far, 0.0, z)) / self._sf(np.where(far, 0.0, z))
        return np.where(far, np.maximum(z, 0.0) * total, near)

    def _hazard(self, z):
        k = self.shape
        z = np.asarray(z, dtype=float)
        zp = np.maximum(z, 0.0)
        with np.errstate(divide="ignore"):
            inside = k * zp ** (k - 1.0) if k >= 1 else np.where(zp > 0, k * zp ** (k - 1.0), math.inf)
        return np.where(z < 0, 0.0, inside)

    def _score(self, z):
        k = self.shape
        z = np.asarray(z, dtype=float)
        return (k - 1.0) / z - k * z ** (k - 1.0)

    def _cond_mean_lower(self, z):
        # E[Z; Z <= z] = γ(a, x), x = z^k, a = 1 + 1/k, and γ(a, x) = x^a e^{-x} S(x) with
        # S(x) = Σ_n x^n / (a (a+1) ... (a+n)), so E[Z | Z <= z] = z x S(x) / (e^x - 1): below
        # x = 1 by that series (30 terms: x^30/30! < 1e-32), which survives the underflow of x;
        # above, Γ(a) P(a, x) / F(z) with scipy's regularized gamma function
        z = np.asarray(z, dtype=float)
        a = 1.0 + 1.0 / self.shape
        x = np.maximum(z, 0.0) ** self.shape
        small = x < 1.0
        xs = np.where(small, x, 0.0)
        term = np.full(xs.shape, 1.0 / a)
        total = term.copy()
        for n in range(1, 30):
            term = term * xs / (a + n)
            total = total + term
        ratio = np.where(xs > 0, xs / np.expm1(np.where(xs > 0, xs, 1.0)), 1.0)
        xl = np.where(small, 1.0, x)
        large = special.gamma(a) * special.gammainc(a, xl) / -np.expm1(-xl)
        return np.where(z <= 0, math.nan, np.where(small, z * ratio * total, large))

    def _tilt_z(self, u):
        if self.shape == 1:
            return _exponential_tilt(u)
        return super()._tilt_z(u)

    def _mp_sf(self, mp, z):
        return mp.exp(-z**self.shape) if z > 0 else mp.mpf(1)

    def _mp_cdf(self, mp, z):
        return -mp.expm1(-z**self.shape) if z > 0 else mp.mpf(0)

    def _kernel(self):
        return K.WEIBULL, 1.0 / self.shape, 0.0
