"""The proxy model U = X + V: a reward U that is a true utility V plus an error X.

Three kinds, one class:

* ``ProxyModel(error, utility)``: X and V independent laws (Kwa et al., arXiv 2407.14503, §3);
* ``ProxyModel(error=lambda v: law, utility, breakpoints=...)``: X given V = v (a law, or a
  number for a point mass), the paper's dependent footnote (§5.2);
* ``ProxyModel.from_pool(proxy, utility, weights=None)``: an empirical pool, e.g. responses
  scored by a reward model (proxy) and a gold reward (utility), with base-policy weights.

Every optimizer in ``catgoodhart.optimizers`` reweights the base law by a function of U alone,
so a continuous model is used through U's upper-tail functions (``tail_terms``: log F̄_U(u),
E[V | U >= u], E[X | U >= u], the hazard h_U(u)), and a pool through its distinct proxy values
with their masses and mean utilities.
"""

import functools
import math

import numpy as np

from catgoodhart import _convolution
from catgoodhart.distributions._base import Distribution

KINDS = ("independent", "dependent", "pool")


class ProxyModel:
    """U = X + V under the base policy π0.

    Parameters
    ----------
    error : Distribution or callable
        X: a law independent of V, or a function v -> law of X given V = v (a distribution,
        or a real number for a point mass).
    utility : Distribution
        V, the true utility.
    breakpoints : sequence of float
        Values of v where the conditional law of X changes kind (dependent X only).
    """

    def __init__(self, error, utility, *, breakpoints=()):
        if not isinstance(utility, Distribution):
            raise ValueError(f"`utility` must be a catgoodhart distribution, got {utility!r}")
        self.regions = _convolution.build_regions(error, utility, breakpoints)
        self.kind = "independent" if isinstance(error, Distribution) else "dependent"
        self.error, self.utility = error, utility
        self.breakpoints = tuple(float(b) for b in np.unique(np.asarray(breakpoints, dtype=float)))
        self.V = utility
        self.X = error if self.kind == "independent" else None
        self.v_scale = float(utility.isf(0.25) - utility.ppf(0.25))
        self.v_center = float(utility.ppf(0.5))
        self.v_support = utility.support

    @classmethod
    def from_pool(cls, proxy, utility, weights=None):
        """An empirical pool: proxy and utility values of the same responses, and their
        base-policy probabilities (``weights``, normalized; equal when omitted)."""
        return _Pool(proxy, utility, weights)

    @property
    def continuous(self):
        return self.kind != "pool"

    def __repr__(self):
        if self.kind == "independent":
            return f"ProxyModel(error={self.error!r}, utility={self.utility!r})"
        return (f"ProxyModel(error=X | V = v given by {self.error!r}, utility={self.utility!r}, "
                f"breakpoints={self.breakpoints})")

    def tail_terms(self, u, *, moments=("v",)):
        """(log F̄_U(u), {name: mean}) at levels u: "v" = E[V | U >= u], "x" = E[X | U >= u],
        "hazard" = f_U(u)/F̄_U(u); exact in log space (``_convolution``)."""
        return _convolution.tail_terms(self, u, moments=moments)

    @functools.cached_property
    def mean_utility(self):
        """E_π0[V]."""
        return float(self.V.mean)

    @functools.cached_property
    def mean_error(self):
        """E_π0[X] (for a dependent X, E[X | U >= u] at a level below all but e^-40 of U)."""
        if self.X is not None:
            return float(self.X.mean)
        from catgoodhart.optimizers._table import table_for

        return float(table_for(self).base_means()[1])

    @property
    def mean_proxy(self):
        """E_π0[U] = E[X] + E[V]."""
        return self.mean_error + self.mean_utility

    @functools.cached_property
    def heavy_tailed(self):
        """Whether U's upper tail is heavy (E[e^{λU}] = ∞ for every λ > 0), from the laws' facts;
        for a dependent X the conditional laws are probed at the centre of each interval."""
        return self.mgf_radius == 0

    @functools.cached_property
    def mgf_radius(self):
        """sup{λ : E[e^{λU}] < ∞}: the smallest radius of V and of the laws of X."""
        radii = [self.V.mgf_radius]
        for region in self.regions:
            if region.law is None:
                continue
            radii.append(self._law_of(region).mgf_radius)
        if any(r is None for r in radii):
            raise ValueError(f"{self!r}: a law's moment generating function radius is unknown")
        return min(radii)

    @functools.cached_property
    def upper_end(self):
        """sup of U's support (V's upper end plus the highest upper end of X; the laws of a
        dependent X are probed at the centre of each interval)."""
        tops = [region.atom if region.atom is not None else self._law_of(region).support[1]
                for region in self.regions]
        return self.V.support[1] + max(tops)

    def _law_of(self, region):
        """The law of X on an interval of v (probed at its centre when it depends on v)."""
        return region.law if region.constant else region.law(_convolution._probe(region, self.v_center))


class _Pool(ProxyModel):
    """Responses i with proxy u_i, utility v_i and base probability p_i, kept as the distinct
    proxy values u_j (ascending) with masses P_j and mean utilities m_j = Σ p_i v_i / P_j: every
    optimizer reweights by a function of the proxy, so responses with equal proxy share a
    ratio dπ/dπ0."""

    def __init__(self, proxy, utility, weights):
        u = _finite_vector("proxy", proxy)
        v = _finite_vector("utility", utility)
        if v.shape != u.shape:
            raise ValueError(f"`utility` must have the shape of `proxy` {u.shape}, got {v.shape}")
        if weights is None:
            p = np.full(u.size, 1.0 / u.size)
        else:
            p = _finite_vector("weights", weights)
            if p.shape != u.shape:
                raise ValueError(f"`weights` must have the shape of `proxy` {u.shape}, got {p.shape}")
            if np.any(p < 0) or not p.sum() > 0:
                raise ValueError("`weights` must be >= 0 and not all 0")
            p = p / p.sum()
        self.kind = "pool"
        self.proxy, self.utility_values, self.weights = u, v, p
        values, inverse = np.unique(u, return_inverse=True)
        mass = np.bincount(inverse, p, minlength=values.size)
        keep = mass > 0
        with np.errstate(invalid="ignore"):
            mean_v = np.bincount(inverse, p * v, minlength=values.size) / mass
        self.values, self.mass, self.group_utility = values[keep], mass[keep], mean_v[keep]
        index = np.cumsum(keep) - 1
        self.group_of = np.where(keep[inverse], index[inverse], -1)  # -1: a response of weight 0
        # upper cumulative sums: mass, utility and proxy at and above each value
        self.upper_mass = np.minimum(np.cumsum(self.mass[::-1])[::-1], 1.0)
        self.upper_utility = np.cumsum((self.mass * self.group_utility)[::-1])[::-1]
        self.upper_proxy = np.cumsum((self.mass * self.values)[::-1])[::-1]
        self.regions = ()
        self.error = None
        self.breakpoints = ()
        self.X = self.V = None

    def __repr__(self):
        return f"ProxyModel.from_pool({self.proxy.size} responses, {self.values.size} distinct proxy values)"

    def tail_terms(self, u, *, moments=("v",)):
        raise ValueError("tail_terms is for continuous models; a pool has `values`, `mass` and "
                         "`group_utility`")

    @functools.cached_property
    def mean_utility(self):
        return float(np.dot(self.weights, self.utility_values))

    @functools.cached_property
    def mean_proxy(self):
        return float(np.dot(self.weights, self.proxy))

    @property
    def mean_error(self):
        return self.mean_proxy - self.mean_utility

    heavy_tailed = False
    mgf_radius = math.inf

    @property
    def upper_end(self):
        return float(self.values[-1])

    def probabilities(self, group_ratio):
        """π_i = p_i·r(u_i) for each response, from the ratio dπ/dπ0 on each distinct value."""
        ratio = np.where(self.group_of >= 0, group_ratio[np.maximum(self.group_of, 0)], 0.0)
        return self.weights * ratio


def _finite_vector(name, values):
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{name}` must be a 1-D array of real numbers") from e
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite")
    return arr
