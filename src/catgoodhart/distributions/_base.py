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
from catgoodhart._quadrature import log_moments
from catgoodhart.distributions._special import log_expm1mx, log_x_expm1

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

    def _kinks(self):
        """Interior points of the support where the density is not smooth."""
        return ()

    def _cgf(self, s):
        """K_Z(s) = s μ + s·excess(s) (``_tilt_z``) where the variance is finite, which keeps
        the digits of K as s -> 0; the quadrature of e^{sz} f(z) otherwise (a mean set by a
        far tail, as for Burr XII with c k near 1, is no centre to expand about)."""
        if math.isfinite(self._var()):
            return s * (self._mean() + self._tilt_z(s)[0])
        return self._cgf_by_quadrature(s)

    def _tilt_z(self, u):
        """(excess, gain, KL) of the tilt P_u ∝ e^{uz} f(z) of the standard variable Z:
        excess = K_Z(u)/u - μ, gain = K_Z'(u) - μ, KL(P_u‖Q) = u K_Z'(u) - K_Z(u), none of which
        cancels as u -> 0.

        Small tilts (|u| σ < 1) come from the centred integrals A = E[ψ(u(Z - μ))] and
        T = E[u(Z - μ)(e^{u(Z - μ)} - 1)], ψ(y) = e^y - 1 - y, both of non-negative integrands:
        excess = log1p(A)/u, gain = T/(u(1 + A)), KL = T/(1 + A) - log1p(A) (one bit lost in the
        last difference); larger ones from K and K' by log-space quadrature, where KL = uK' - K
        no longer cancels. Families override this with closed forms.
        """
        mu = self._mean()
        var = self._var()
        spread = math.sqrt(var) if math.isfinite(var) else float(self._isf(0.25) - self._ppf(0.25))
        if u == 0:
            return 0.0, 0.0, 0.0
        if abs(u) * spread >= 1.0 or not math.isfinite(var):
            k, prime = self._tilt_by_quadrature(u)
            return k / u - mu, prime - mu, u * prime - k
        log_a, log_t = self._log_centred_integrals(u, mu, spread)
        log1p_a = math.log1p(math.exp(log_a)) if log_a < 0 else log_a + math.log1p(math.exp(-log_a))
        # excess and gain in logs, so that they survive where A and T underflow (u ~ 1e-200)
        log_log1p_a = (log_a + math.log1p(-0.5 * math.exp(log_a)) if log_a < -20.0
                       else math.log(log1p_a))
        sign, log_u = math.copysign(1.0, u), math.log(abs(u))
        ratio = math.exp(log_t - log1p_a)  # T / (1 + A)
        return (sign * math.exp(log_log1p_a - log_u), sign * math.exp(log_t - log1p_a - log_u),
                ratio - log1p_a)

    def _log_centred_integrals(self, u, mu, spread):
        """(log A, log T): log ∫ f(z) h(u(z - μ)) dz for h(y) = ψ(y) and h(y) = y(e^y - 1), both
        >= 0 with h(0) = 0, on pieces split at μ and at the kinks, all one log-space quadrature;
        over v = log z where Z > 0, as in ``_tilt_by_quadrature``."""
        lo, hi = self._support
        edges = np.array(sorted({lo, hi, mu, *(k for k in self._kinks() if lo < k < hi)}))
        n = edges.size - 1

        def log_h(y, i):  # problems i < n integrate ψ, the others y(e^y - 1)
            return np.where(i < n, log_expm1mx(y), log_x_expm1(y))

        if lo >= 0:
            def g(v, i):
                z = np.exp(v)
                return np.where(z > 0, self._logpdf(z) + v + log_h(u * (z - mu), i), -np.inf)

            with np.errstate(divide="ignore"):
                edges = np.log(edges)
            scale = 1.0
        else:
            def g(z, i):
                return self._logpdf(z) + log_h(u * (z - mu), i)

            scale = spread
        a, b = edges[:-1], edges[1:]
        center = np.where(np.isfinite(a), np.where(np.isfinite(b), 0.5 * (a + b), a + scale), b - scale)
        log_mass, _ = log_moments(g, None, 0, np.tile(a, 2), np.tile(b, 2), np.tile(center, 2)[None],
                                  scale, strict=True)
        return float(np.logaddexp.reduce(log_mass[:n])), float(np.logaddexp.reduce(log_mass[n:]))

    def _cgf_by_quadrature(self, s):
        """K_Z(s) = log ∫ exp(log f(z) + s z) dz for one s inside the domain of convergence, by
        log-space quadrature (``_tilt_by_quadrature``)."""
        return self._tilt_by_quadrature(s, mean=False)[0]

    def _tilt_by_quadrature(self, s, mean=True):
        """(K_Z(s), K_Z'(s)): K = log ∫ exp(log f(z) + s z) dz and K' = E[Z e^{sZ}] / E[e^{sZ}],
        the mean of z under that weight (nan without ``mean``), by log-space quadrature; over
        u = log z when Z > 0, where a density that is infinite at 0 (Weibull shape < 1, Burr XII
        c < 1) becomes the smooth exp(log f(e^u) + u)."""
        lo, hi = self._support
        center = float(self._ppf(0.5))
        if lo >= 0:
            def g(u, i):  # z f(z) -> 0 as z -> 0 for any density, also where e^u underflows
                z = np.exp(u)
                return np.where(z > 0, self._logpdf(z) + u + s * z, -np.inf)

            def fns(u, i):
                return np.exp(u)[None]

            scale = min(1.0, 1.0 / abs(s * center))
            with np.errstate(divide="ignore"):
                lo, hi, center = np.log([lo, hi, center])
        else:
            def g(z, i):
                return self._logpdf(z) + s * z

            def fns(z, i):
                return z[None]

            scale = min(1.0, 1.0 / abs(s))
        log_mass, means = log_moments(g, fns, int(mean), np.array([lo]), np.array([hi]),
                                      np.array([[center]]), scale, strict=True)
        return float(log_mass[0]), float(means[0, 0]) if mean else math.nan

    # ----- survival and distribution functions in mpmath --------------------------------
    #: families with textbook forms define ``_mp_sf(mp, z)`` and ``_mp_cdf(mp, z)`` of the standard
    #: variable, for quantities whose condition number exceeds what doubles resolve
    _mp_sf = None
    _mp_cdf = None

    def _mp_loc_scale(self, mp):
        return mp.mpf(self._loc), mp.mpf(self._scale)

    def _mp_tails(self, mp, t):
        """(F̄(t), F(t)) as mpf at the context's precision, from the exact double t and the
        exact parameters; None for a law without mpmath forms."""
        if self._mp_sf is None:
            return None
        loc, scale = self._mp_loc_scale(mp)
        z = (mp.mpf(float(t)) - loc) / scale
        return self._mp_sf(mp, z), self._mp_cdf(mp, z)

    def tilt_terms(self, s):
        """(K(s), K'(s), KL(P_s‖Q), βK(s), K'(s) - E[X]) of the exponential tilt P_s ∝ e^{sx} Q
        for one s inside the domain of K (s < mgf_radius), with β = 1/s: K = s(E[X] + σ·excess),
        K' = E[X] + σ·gain on the standard variable (``_tilt_z``), so that none of them cancels as
        s -> 0 and the location drops out of the KL exactly. A value beyond the range of doubles
        is ``inf``; the caller decides divergence from the radius."""
        excess, gain, kl = self._tilt_z(s * self._scale)
        mean = self.mean
        objective = mean + self._scale * excess
        return s * objective, mean + self._scale * gain, kl, objective, self._scale * gain

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
    def hazard(self, x):
        """Hazard rate h(x) = f(x)/F̄(x) = -d log F̄(x)/dx, accurate far into the upper tail
        (closed forms where log f - log F̄ would cancel, e.g. the normal's 1/Mills ratio)."""
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            h = self._hazard(self._z(x)) / self._scale
        return _scalar(np.where(x < self.support[0], 0.0, h))  # below the support f = 0, F̄ = 1

    def _hazard(self, z):
        return np.exp(self._logpdf(z) - self._logsf(z))

    def score(self, x):
        """d log f(x)/dx, in closed form for every family here (central differences for laws
        adapted from scipy)."""
        with np.errstate(all="ignore"):
            return _scalar(self._score(self._z(x)) / self._scale)

    def _score(self, z):
        z = np.asarray(z, dtype=float)
        h = 1e-5 * (1.0 + np.abs(z))
        return (self._logpdf(z + h) - self._logpdf(z - h)) / (2.0 * h)

    @_quiet
    def partial_mean_lower(self, t):
        """E[X; X <= t] = ∫_{-∞}^t x dF(x) = F(t) E[X | X <= t]; 0 below the support,
        ``-inf`` where the left tail has no mean. Computed directly (not as E[X] - E[X; X > t],
        which cancels where F(t) is small)."""
        log_cdf = np.asarray(self.logcdf(t), dtype=float)
        mean = np.asarray(self.conditional_mean_lower(t), dtype=float)
        inside = log_cdf > -math.inf
        with np.errstate(all="ignore"):  # F(t) |mean| in log space: F(t) may underflow alone
            product = np.sign(mean) * np.exp(log_cdf + np.log(np.abs(mean)))
        return _scalar(np.where(inside, np.where(mean == 0, 0.0, product), 0.0))

    @_quiet
    def conditional_mean_lower(self, t):
        """E[X | X <= t] = loc + scale E[Z | Z <= z], finite where F(t) underflows (closed
        forms in log space, or log-space quadrature); ``-inf`` where the left tail has no
        mean, ``nan`` where F(t) = 0."""
        return _scalar(self._loc + self._scale * self._cond_mean_lower(self._z(t)))

    def _cond_mean_lower(self, z):
        """E[Z | Z <= z]: (E[Z] - E[Z; Z > z]) / F(z) where F(z) >= 1/2 and the mean is finite
        (nothing cancels there), log-space quadrature of z f(z) below z elsewhere. Families
        override it with closed forms."""
        z = np.asarray(z, dtype=float)
        log_cdf = np.asarray(self._logcdf(z), dtype=float) * np.ones(z.shape)
        mu = self._mean()
        out = np.full(z.shape, math.nan)
        inside = (z > self._support[0]) & (log_cdf > -math.inf)
        upper = inside & (log_cdf >= -math.log(2.0)) & math.isfinite(mu)
        if np.any(upper):
            out[upper] = (mu - self._partial_mean(z[upper])) / np.exp(log_cdf[upper])
        lower = inside & ~upper
        if np.any(lower):
            out[lower] = self._cond_mean_lower_by_quadrature(z[lower], log_cdf[lower])
        return out

    def _cond_mean_lower_by_quadrature(self, z, log_cdf):
        """(∫_lo^z x f(x) dx) / F(z) for an array z, the positive and negative parts of x f(x)
        each by log-space quadrature (all in one), so that both keep their digits far in the
        lower tail."""
        lo = self._support[0]
        width = float(self._isf(0.25) - self._ppf(0.25))
        z = np.asarray(z, dtype=float)
        a = np.concatenate([np.full(z.shape, max(lo, 0.0)), np.full(z.shape, lo)])  # x > 0, then x < 0
        b = np.concatenate([z, np.minimum(z, 0.0)])
        center = np.where(np.isfinite(a), 0.5 * (a + b), b - width)

        def g(x, i):
            return self._logpdf(x) + np.log(np.abs(x))

        log_m, _ = log_moments(g, None, 0, a, b, center[None], width, strict=True)
        with np.errstate(over="ignore", invalid="ignore"):
            parts = np.exp(log_m - np.tile(log_cdf, 2))
        return parts[:z.size] - parts[z.size:]

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
            Number of samples, >= 0, whose 8 bytes each fit in the machine's physical
            memory: a larger count raises ``ValueError`` with the bytes it would need,
            before anything is allocated.
        seed : int, numpy.random.Generator or None
            The same int gives bit-identical samples for any thread count.
        """
        from catgoodhart.distributions import _kernels

        n = _validation.count("n", n, item_bytes=8)
        states = _random.block_states(seed, n)
        kind, a, b = self._kernel()
        return _kernels.sample(kind, (self._loc, self._scale, a, b), n, states)

    def _sample_by_inversion(self, n, seed):
        """Kernel uniforms U, then ppf(U) below ½ and isf(1 - U) above (1 - U is exact there),
        so that both tails keep full relative accuracy: for laws without a numba kernel."""
        from catgoodhart.distributions import _kernels

        n = _validation.count("n", n, item_bytes=8)
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
