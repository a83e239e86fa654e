"""The distribution base class: validated parameters, location-scale plumbing, dispatch.

A subclass is a frozen dataclass whose fields are its parameters. It describes a standard
variable Z (shape parameters only) through hooks on ``z = (x - loc) / scale``; the base
class turns them into the public, vectorized methods for X = loc + scale * Z:

    logpdf(x) = _logpdf(z) - log(scale)        cdf, sf, logsf(x) = _cdf, _sf, _logsf(z)
    ppf(q) = loc + scale * _ppf(q)             E[X; X > t] = loc * sf(t) + scale * _partial_mean(z)
    K_X(s) = s * loc + K_Z(s * scale)          mgf_radius = _radius_right / scale

Hooks return ``inf`` where a moment diverges to +inf and ``nan`` where it is undefined.
"""

import dataclasses
import functools
import math
from typing import ClassVar

import numpy as np

from catgoodhart import _random, _validation
from catgoodhart._logquad import log_integral_exp

REAL = {}
POSITIVE = {"low": 0.0, "low_open": True}


def _quiet(method):
    """Run a public method with numpy's floating-point warnings off: overflow to inf,
    underflow to 0 and the unused branch of ``np.where`` are expected in tail formulas,
    and the values are what the tests check."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return wrapper


def _short(x):
    """3 for 3.0, 0.1 for 0.1, and every digit where fewer would not round-trip."""
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)


def _scalar(value):
    """Return a float for 0-d input, the array otherwise."""
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


class Distribution:
    """A continuous law on the real line with exact tail facts and a numba sampler.

    Subclasses declare ``_domains`` (field -> bounds for ``_validation.real``) and
    implement the standard-variable hooks listed in the module docstring.
    """

    _domains: ClassVar[dict] = {}
    tail_facts: ClassVar[str] = ""
    heavy_tailed: ClassVar[bool | None] = None
    #: radius of convergence of E[e^{sZ}] for s > 0 and for s < 0 (standard variable)
    _radius_right: ClassVar[float] = 0.0
    _radius_left: ClassVar[float] = 0.0
    _support: ClassVar[tuple] = (-math.inf, math.inf)

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = _validation.real(field.name, getattr(self, field.name),
                                     **self._domains.get(field.name, REAL))
            object.__setattr__(self, field.name, value)
        self._check()
        loc, scale = self._loc_scale()
        object.__setattr__(self, "_loc", float(loc))
        object.__setattr__(self, "_scale", float(scale))

    # ----- hooks a subclass may override -----------------------------------------------
    def _check(self):
        """Cross-parameter checks (e.g. low < high)."""

    def _loc_scale(self):
        return getattr(self, "loc", 0.0), getattr(self, "scale", 1.0)

    def _logcdf(self, z):
        return np.log(self._cdf(z))

    def _isf(self, q):
        return self._ppf(1.0 - q)

    def _cgf(self, s):
        """K_Z(s) = log ∫ exp(log f(z) + s z) dz for one s inside the domain of convergence,
        by log-space quadrature; over u = log z when Z > 0, where a density that is infinite
        at 0 (Weibull shape < 1, Burr XII c < 1) becomes the smooth exp(log f(e^u) + u)."""
        lo, hi = self._support
        center = float(self._ppf(0.5))
        width = min(1.0, 1.0 / abs(s * center)) if lo >= 0 else min(1.0, 1.0 / abs(s))
        if lo >= 0:
            def g(u):  # z f(z) -> 0 as z -> 0 for any density, also where e^u underflows
                z = math.exp(u)
                return float(self._logpdf(np.float64(z))) + u if z > 0 else -math.inf

            return log_integral_exp(g, math.log(lo) if lo > 0 else -math.inf, math.log(hi),
                                    x0=math.log(center), width=width, slope=s, exp_slope=True)
        return log_integral_exp(lambda z: float(self._logpdf(np.float64(z))),
                                lo, hi, x0=center, width=width, slope=s)

    def _cgf_prime(self, s):
        """K_Z'(s) = E[Z e^{sZ}] / E[e^{sZ}], the mean of the tilted law: log-space quadrature
        of the positive and negative parts (over u = log z when Z > 0)."""
        lo, hi = self._support
        center = float(self._ppf(0.5))
        k = self._cgf(s)
        if lo >= 0:
            def g(u):
                z = math.exp(u)
                return float(self._logpdf(np.float64(z))) + 2 * u if z > 0 else -math.inf

            width = min(1.0, 1.0 / abs(s * center)) if s else 1.0
            log_m = log_integral_exp(g, math.log(lo) if lo > 0 else -math.inf, math.log(hi),
                                     x0=math.log(center), width=width, slope=s, exp_slope=True)
            return math.exp(log_m - k)
        width = min(1.0, 1.0 / abs(s)) if s else 1.0
        parts = []
        for a, b, sign in ((max(lo, 0.0), hi, 1.0), (lo, min(hi, 0.0), -1.0)):
            if a >= b:
                parts.append(0.0)
                continue
            log_m = log_integral_exp(
                lambda z, sign=sign: float(self._logpdf(np.float64(z))) + math.log(sign * z)
                if z != 0 else -math.inf,
                a, b, x0=center if a < center < b else (a + sign * width if sign > 0 else b - width),
                width=width, slope=s)
            parts.append(math.exp(log_m - k))
        return parts[0] - parts[1]

    def tilt_terms(self, s):
        """(K(s), K'(s), KL(P_s‖Q)) of the exponential tilt P_s ∝ e^{sx} Q, for one s in the
        domain of K; KL = s K'(s) - K(s) is computed on the standard variable, where the
        location cancels exactly. ``inf`` entries where E[e^{sX}] = ∞."""
        k = float(self.cgf(s))
        if not math.isfinite(k):
            return math.inf, math.inf, math.inf
        u = s * self._scale
        with np.errstate(all="ignore"):
            k_z = self._cgf(u) if u else 0.0
            prime_z = float(self._cgf_prime(u)) if u else self._mean()
        return k, float(self._loc + self._scale * prime_z), float(u * prime_z - k_z)

    # ----- public, vectorized ----------------------------------------------------------
    @property
    def name(self):
        """Lower-case spec name, e.g. ``student_t``."""
        from catgoodhart.distributions.spec import spec_name

        return spec_name(type(self))

    def _z(self, x):
        return (np.asarray(x, dtype=float) - self._loc) / self._scale

    @_quiet
    def logpdf(self, x):
        """Log density log f(x)."""
        return _scalar(self._logpdf(self._z(x)) - math.log(self._scale))

    @_quiet
    def pdf(self, x):
        """Density f(x)."""
        return _scalar(np.exp(self.logpdf(x)))

    @_quiet
    def cdf(self, x):
        """Distribution function F(x) = P(X <= x)."""
        return _scalar(self._cdf(self._z(x)))

    @_quiet
    def logcdf(self, x):
        """log F(x)."""
        return _scalar(self._logcdf(self._z(x)))

    @_quiet
    def sf(self, x):
        """Survival function F̄(x) = P(X > x), accurate where F(x) rounds to 1."""
        return _scalar(self._sf(self._z(x)))

    @_quiet
    def logsf(self, x):
        """log F̄(x), finite far beyond where F̄(x) underflows."""
        return _scalar(self._logsf(self._z(x)))

    @_quiet
    def ppf(self, q):
        """Quantile function F^{-1}(q), q in [0, 1]."""
        q = _validation.probabilities("q", q)
        return _scalar(self._loc + self._scale * self._ppf(q))

    @_quiet
    def isf(self, q):
        """Inverse survival function F̄^{-1}(q), accurate for tiny q."""
        q = _validation.probabilities("q", q)
        return _scalar(self._loc + self._scale * self._isf(q))

    @property
    @_quiet
    def mean(self):
        """E[X]; ``inf`` if it diverges to +inf, ``nan`` if undefined (both tails infinite)."""
        return self._loc + self._scale * self._mean()

    @property
    @_quiet
    def var(self):
        """Var[X]; ``inf`` if infinite, ``nan`` if the mean is undefined."""
        return self._scale**2 * self._var()

    @property
    def support(self):
        """(lower, upper) end points of the support."""
        lo, hi = self._support
        return self._loc + self._scale * lo, self._loc + self._scale * hi

    @_quiet
    def partial_mean_upper(self, t):
        """E[X; X > t] = ∫_t^∞ x dF(x); ``inf`` where the right tail has no mean.

        X = loc + scale Z gives E[X; X > t] = loc F̄(t) + scale E[Z; Z > z], z = (t - loc)/scale.
        """
        z = self._z(t)
        upper = self._partial_mean(z)
        return _scalar(np.where(np.isinf(upper), upper, self._loc * self._sf(z) + self._scale * upper))

    @_quiet
    def conditional_mean_upper(self, t):
        """E[X | X > t] = loc + scale E[Z | Z > z]; finite where F̄(t) underflows (log space
        where the family allows); ``inf`` where the right tail has no mean."""
        return _scalar(self._loc + self._scale * self._cond_mean(self._z(t)))

    def _cond_mean(self, z):
        """E[Z | Z > z]; families override it where E[Z; Z > z] and F̄(z) both underflow."""
        return self._partial_mean(z) / self._sf(z)

    @_quiet
    def cgf(self, s):
        """Cumulant generating function K(s) = log E[e^{sX}]; ``inf`` where E[e^{sX}] = ∞.

        K_X(s) = s loc + K_Z(s scale); closed form where one exists, log-space quadrature
        otherwise. The domain of convergence is open: K = inf at s = ±radius.
        """
        s = np.asarray(s, dtype=float)
        if np.any(np.isnan(s)):
            raise ValueError("`s` must not be NaN")
        # the radii (properties that raise where a tail fact is unknown) are in units of X,
        # so that s = mgf_radius gives inf exactly; s·scale is kept inside the standard domain
        right = self._radius_right / self._scale if np.any(s > 0) else math.inf
        right = min(right, self.mgf_radius) if np.any(s > 0) else right
        left = self._radius_left / self._scale if np.any(s < 0) else math.inf
        out = np.empty(s.shape)
        for index, si in np.ndenumerate(s):
            if si == 0:
                out[index] = 0.0
            elif si >= right or -si >= left:
                out[index] = math.inf
            else:
                u = min(max(si * self._scale, np.nextafter(-self._radius_left, 0.0)),
                        np.nextafter(self._radius_right, 0.0))
                out[index] = si * self._loc + self._cgf(float(u))
        return _scalar(out)

    @property
    def mgf_radius(self):
        """sup{s >= 0 : E[e^{sX}] < ∞}: 0 exactly when heavy-tailed (the papers' definition)."""
        return self._radius_right / self._scale

    @property
    def tail_index(self):
        """Power-law tail index 1/γ (``inf`` when γ <= 0)."""
        return 1.0 / self.gamma if self.gamma > 0 else math.inf

    def sample(self, n, *, seed=None):
        """Draw ``n`` independent samples.

        Parameters
        ----------
        n : int
            Number of samples, >= 0.
        seed : int, numpy.random.Generator or None
            The same int gives bit-identical samples for any thread count.
        """
        from catgoodhart.distributions import _kernels

        n = _validation.count("n", n)
        states = _random.block_states(seed, n)
        kind, a, b = self._kernel()
        return _kernels.sample(kind, (self._loc, self._scale, a, b), n, states)

    def _sample_by_inversion(self, n, seed):
        """Kernel uniforms U, then ppf(U) below ½ and isf(1 - U) above (1 - U is exact there),
        so that both tails keep full relative accuracy: for laws without a numba kernel."""
        from catgoodhart.distributions import _kernels

        n = _validation.count("n", n)
        u = _kernels.sample(_kernels.UNIFORM, (0.0, 1.0, 0.0, 0.0), n, _random.block_states(seed, n))
        lower = u < 0.5
        out = np.empty(n)
        out[lower] = self._ppf(u[lower])
        out[~lower] = self._isf(1.0 - u[~lower])
        return out

    def facts(self):
        """Tail facts as a dict: heavy_tailed, mgf_radius, gamma (extreme-value index)."""
        return {"heavy_tailed": self.heavy_tailed, "mgf_radius": self.mgf_radius,
                "gamma": self.gamma}

    def to_dict(self):
        return {"name": self.name, **dataclasses.asdict(self)}

    def __repr__(self):
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        shown = [f"{k}={_short(v)}" for k, v in dataclasses.asdict(self).items()
                 if k not in ("loc", "scale") or v != defaults[k]]
        return f"{type(self).__name__}({', '.join(shown)})"
