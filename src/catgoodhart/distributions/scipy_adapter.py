"""Adapter: any frozen ``scipy.stats`` continuous distribution as a catgoodhart distribution.

scipy does not know the tail facts the papers turn on, so the caller states them
(``heavy_tailed``, ``mgf_radius``, ``gamma``) or they stay unknown (``None``); quantities
that need an unknown fact raise ``ValueError`` saying which fact to supply, rather than
guess a finite number for something that may diverge.
"""

import math

import numpy as np

from catgoodhart import _validation
from catgoodhart._quadrature import log_moments
from catgoodhart.distributions._base import Distribution


class ScipyDistribution(Distribution):
    """A frozen scipy.stats continuous distribution with caller-supplied tail facts."""

    def __init__(self, frozen, *, heavy_tailed=None, mgf_radius=None, left_mgf_radius=None,
                 gamma=None):
        if not hasattr(frozen, "dist") or not hasattr(frozen.dist, "_pdf"):
            raise ValueError(
                f"`frozen` must be a frozen scipy.stats continuous distribution, got {frozen!r}")
        if heavy_tailed is not None and not isinstance(heavy_tailed, bool):
            raise ValueError(f"`heavy_tailed` must be True, False or None, got {heavy_tailed!r}")
        if heavy_tailed and mgf_radius not in (None, 0, 0.0):
            raise ValueError(f"`mgf_radius` must be 0 for a heavy-tailed law, got {mgf_radius!r}")
        radius = 0.0 if heavy_tailed else mgf_radius
        for name, value in (("mgf_radius", radius), ("left_mgf_radius", left_mgf_radius)):
            if value is not None:
                _validation.real(name, value, low=0.0, allow_inf=True)
        if radius is not None and heavy_tailed is None:
            heavy_tailed = radius == 0
        self.frozen = frozen
        self.heavy_tailed = heavy_tailed
        self._mgf_radius = None if radius is None else float(radius)
        self._left_radius = None if left_mgf_radius is None else float(left_mgf_radius)
        self.gamma = None if gamma is None else _validation.real("gamma", gamma)
        self._loc, self._scale = 0.0, 1.0
        self._support = tuple(float(v) for v in frozen.support())

    @property
    def name(self):
        return f"scipy:{self.frozen.dist.name}"

    def _logpdf(self, z):
        return self.frozen.logpdf(z)

    def _cdf(self, z):
        return self.frozen.cdf(z)

    def _logcdf(self, z):
        return self.frozen.logcdf(z)

    def _sf(self, z):
        return self.frozen.sf(z)

    def _logsf(self, z):
        return self.frozen.logsf(z)

    def _ppf(self, q):
        return self.frozen.ppf(q)

    def _isf(self, q):
        return self.frozen.isf(q)

    def _mean(self):
        return float(self.frozen.mean())

    def _var(self):
        return float(self.frozen.var())

    @property
    def _radius_right(self):
        if self._mgf_radius is None:
            if math.isfinite(self._support[1]):
                return math.inf
            raise ValueError(f"{self!r}: E[e^(sX)] for s > 0 needs the right-tail fact; "
                             "pass `mgf_radius=` or `heavy_tailed=` to from_scipy")
        return self._mgf_radius

    @property
    def _radius_left(self):
        if self._left_radius is None:
            if math.isfinite(self._support[0]):
                return math.inf
            raise ValueError(f"{self!r}: E[e^(sX)] for s < 0 needs the left-tail fact; "
                             "pass `left_mgf_radius=` to from_scipy")
        return self._left_radius

    @property
    def mgf_radius(self):
        """As given; ``inf`` for a support bounded above; None when unknown."""
        if self._mgf_radius is None and math.isfinite(self._support[1]):
            return math.inf
        return self._mgf_radius

    @property
    def tail_index(self):
        if self.gamma is None:
            return None
        return super().tail_index

    def _partial_mean(self, z):
        """E[Z; Z > z] = z F̄(z) + ∫_z^∞ F̄(u) du above the median and, to avoid cancelling
        two numbers of size |z| far below it, E[Z] - (z F(z) - ∫_{-∞}^z F(u) du) there;
        the integrals in log space."""
        if self.gamma is None:
            raise ValueError(f"{self!r}: E[X; X > t] needs the extreme-value index; "
                             "pass `gamma=` to from_scipy")
        z = np.asarray(z, dtype=float)
        if self.gamma >= 1:
            return np.full(z.shape, math.inf)
        lo, hi = self._support
        mean, median, width = (float(v) for v in (self.frozen.mean(), self.frozen.median(),
                                                     self.frozen.std()))
        out = np.where(z >= hi, 0.0, mean)
        inside = (z > lo) & (z < hi)
        lower = inside & (z < median) & math.isfinite(mean)
        upper = inside & ~lower
        if np.any(lower):
            x = z[lower]
            log_lower, _ = log_moments(lambda u, i: self.frozen.logcdf(u), None, 0, np.full(x.shape, lo), x,
                                       x[None], width, strict=True)
            out[lower] = mean - (x * self.frozen.cdf(x) - np.exp(log_lower))
        if np.any(upper):
            x = z[upper]
            log_upper, _ = log_moments(lambda u, i: self.frozen.logsf(u), None, 0, x, np.full(x.shape, hi),
                                       x[None], width, strict=True)
            out[upper] = x * self.frozen.sf(x) + np.exp(log_upper)
        return out

    def sample(self, n, *, seed=None):
        """Inverse-cdf samples through scipy's ppf and isf, seeded like every sampler here."""
        return self._sample_by_inversion(n, seed)

    def facts(self):
        return {"heavy_tailed": self.heavy_tailed, "mgf_radius": self._mgf_radius,
                "gamma": self.gamma}

    def to_dict(self):
        return {"name": self.name, "args": list(self.frozen.args), "kwds": dict(self.frozen.kwds),
                **self.facts()}

    def __repr__(self):
        args = [repr(a) for a in self.frozen.args] + [f"{k}={v!r}" for k, v in self.frozen.kwds.items()]
        return f"from_scipy({self.frozen.dist.name}({', '.join(args)}))"

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


def from_scipy(frozen, *, heavy_tailed=None, mgf_radius=None, left_mgf_radius=None, gamma=None):
    """Wrap a frozen ``scipy.stats`` continuous distribution.

    Parameters
    ----------
    frozen : scipy.stats frozen continuous distribution, e.g. ``scipy.stats.t(3)``
    heavy_tailed : bool or None
        Whether E[e^{sX}] = ∞ for every s > 0; implies ``mgf_radius=0`` when True.
    mgf_radius, left_mgf_radius : float or None
        sup{s >= 0: E[e^{sX}] < ∞} and sup{s >= 0: E[e^{-sX}] < ∞} (``inf`` allowed).
    gamma : float or None
        Extreme-value index of the right tail.

    Examples
    --------
    >>> import scipy.stats
    >>> d = from_scipy(scipy.stats.t(3), heavy_tailed=True, gamma=1/3)
    """
    return ScipyDistribution(frozen, heavy_tailed=heavy_tailed, mgf_radius=mgf_radius,
                             left_mgf_radius=left_mgf_radius, gamma=gamma)
