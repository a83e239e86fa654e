"""The exact KL-penalized optimum: exponential tilting.

For reward U under the base Q and penalty β (λ = 1/β), the maximizer of
E_π[U] - β KL(π‖Q) is π_λ = Q e^{λU - K(λ)} with K(λ) = log E_Q[e^{λU}] (Donsker–Varadhan;
Kwa et al. arXiv 2407.14503 §3.3 and Theorem 4):

    E_π[U] = K'(λ),   KL(π‖Q) = λK'(λ) - K(λ),   objective = β K(λ),
    E_π[V] = E_Q[V e^{λU}] / E_Q[e^{λU}]  (= K_V'(λ) for U = X + V, X ⊥ V).

Where K(λ) = ∞ the optimum does not exist, and the result says so instead of a number.
The KL-constrained problem sup{E_P[U] : KL(P‖Q) <= ε} = inf_λ (K(λ) + ε)/λ is solved by
the tilt whose KL is ε (``sup_mean_under_kl``); it is σ√(2ε) for N(μ, σ²) above μ and ∞
for every ε > 0 when U is heavy-tailed.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.distributions._base import Distribution


@dataclass(frozen=True)
class IndependentSum:
    """U = X + V with X (error) and V (utility) independent: K_U = K_X + K_V."""

    X: Distribution
    V: Distribution

    def __post_init__(self):
        for name in ("X", "V"):
            if not isinstance(getattr(self, name), Distribution):
                raise ValueError(f"`{name}` must be a catgoodhart distribution, "
                                 f"got {getattr(self, name)!r}")


@dataclass(frozen=True, repr=False)
class TiltResult(Result):
    """The optimum π* of E_π[U] - β KL(π‖Q); numbers are None where it does not exist."""

    base: str
    beta: float
    lam: float
    exists: bool
    reason: str
    log_partition: float | None  # K(λ) = log E_Q[e^{λU}]
    mean_reward: float | None  # E_π[U] = K'(λ)
    kl: float | None  # KL(π‖Q) in nats
    mean_utility: float | None  # E_π[V]; None when no utility is known
    objective: float | None  # E_π[U] - β KL = β K(λ)


@dataclass(frozen=True, repr=False)
class SupMeanResult(Result):
    """sup{E_P[U] : KL(P‖Q) <= kl} = inf_λ (K(λ) + kl)/λ and the λ attaining it."""

    base: str
    kl: float
    value: float
    lam: float | None
    reason: str


class _Diverges(Exception):
    """K(λ) = ∞ at this λ; the message says why."""


class _Discrete:
    """A finite measure: values u_i (rewards), probabilities p_i, optional utilities v_i."""

    def __init__(self, values, probs, utility):
        self.values = np.asarray(values, dtype=float)
        self.probs = np.asarray(probs, dtype=float)
        if self.values.ndim != 1 or self.values.size == 0:
            raise ValueError("`values` (or the samples) must be a non-empty 1-D array")
        if not np.all(np.isfinite(self.values)):
            raise ValueError("`values` must be finite")
        if self.probs.shape != self.values.shape:
            raise ValueError("`probs` must have the shape of `values`")
        if np.any(~np.isfinite(self.probs)) or np.any(self.probs < 0) or self.probs.sum() <= 0:
            raise ValueError("`probs` must be finite, >= 0 and not all 0")
        self.probs = self.probs / self.probs.sum()
        self.utility = None if utility is None else np.asarray(utility, dtype=float)
        if self.utility is not None and (self.utility.shape != self.values.shape
                                         or not np.all(np.isfinite(self.utility))):
            raise ValueError("`utility` must be finite and have the shape of the values")
        keep = self.probs > 0
        self._log_p = np.log(self.probs[keep])
        self._u = self.values[keep]
        self._v = None if self.utility is None else self.utility[keep]
        self.center = float(np.dot(self.probs[keep], self._u))

    def __repr__(self):
        return f"discrete law on {self.values.size} points"

    def terms(self, lam):
        """K, K', KL and E_π[V] exactly. Rewards are centred at E_Q[U] so that for small λ
        K_c = log Σ p (e^{λ(u - ū)}) = log1p(Σ p expm1(λ(u - ū))) keeps its digits."""
        x = lam * (self._u - self.center)
        if np.max(np.abs(x)) < 1.0:
            k_c = math.log1p(float(np.dot(np.exp(self._log_p), np.expm1(x))))
        else:
            k_c = float(special.logsumexp(self._log_p + x))
        weights = np.exp(self._log_p + x - k_c)
        weights /= weights.sum()
        prime_c = float(np.dot(weights, self._u - self.center))
        kl = lam * prime_c - k_c
        mean_v = None if self._v is None else float(np.dot(weights, self._v))
        return k_c + lam * self.center, self.center + prime_c, max(kl, 0.0), mean_v

    def kl_limit(self):
        """KL of the tilt as λ -> ∞: all mass on the top value, -log Q(top)."""
        top = self._u == self._u.max()
        return -math.log(float(np.exp(self._log_p[top]).sum()))


def _as_base(base, utility):
    """Normalize the accepted bases; returns (kind, object)."""
    if isinstance(base, (Distribution, IndependentSum)):
        if utility is not None:
            raise ValueError("`utility` is for discrete or empirical bases; for a continuous "
                             "law pass IndependentSum(X=error, V=utility)")
        return base
    if isinstance(base, _Discrete):
        return base
    if isinstance(base, tuple) and len(base) == 2:
        return _Discrete(base[0], base[1], utility)
    arr = np.asarray(base, dtype=float) if not isinstance(base, (str, bytes)) else None
    if arr is None or arr.ndim != 1:
        raise ValueError("`base` must be a distribution, an IndependentSum, a (values, probs) "
                         f"pair or a 1-D array of samples, got {base!r}")
    return _Discrete(arr, np.ones(arr.size), utility)


def _divergence_reason(dist, lam):
    radius = dist.mgf_radius
    if radius == 0:
        return f"{dist!r} is heavy-tailed: E[e^{{λU}}] = ∞ for every λ > 0, i.e. every β > 0"
    return f"{dist!r}: E[e^{{U/β}}] = ∞ for β <= {1 / radius:.10g} (here β = {1 / lam:.10g})"


def _terms(base, lam):
    """(K, K', KL, E_π[V]) at λ, or raise _Diverges."""
    if isinstance(base, _Discrete):
        return base.terms(lam)
    if isinstance(base, IndependentSum):
        kx, px, klx, _ = _terms(base.X, lam)
        kv, pv, klv, _ = _terms(base.V, lam)
        return kx + kv, px + pv, klx + klv, pv
    k, prime, kl = base.tilt_terms(lam)
    if not math.isfinite(k):
        raise _Diverges(_divergence_reason(base, lam))
    return k, prime, kl, None


def _result(base, lam):
    beta = 1.0 / lam
    try:
        k, prime, kl, mean_v = _terms(base, lam)
    except _Diverges as e:
        return TiltResult(repr(base), beta, lam, False, str(e), None, None, None, None, None)
    return TiltResult(repr(base), beta, lam, True, "the optimum π ∝ Q·exp(U/β) exists",
                      k, prime, kl, mean_v, beta * k)


def tilt(base, *, beta, utility=None):
    """The KL-penalized optimum π* = argmax E_π[U] - β KL(π‖Q).

    Parameters
    ----------
    base : Distribution, IndependentSum, (values, probs) or 1-D array of samples
        The reward U under the base policy Q; for an ``IndependentSum`` U = X + V and
        ``mean_utility`` is E_π[V]; samples get equal weights.
    beta : float
        Penalty β > 0 (λ = 1/β).
    utility : array, optional
        Utilities aligned with discrete values or samples, for ``mean_utility``.

    Returns
    -------
    TiltResult
        ``exists=False`` and a reason where E_Q[e^{U/β}] = ∞.
    """
    beta = _validation.real("beta", beta, low=0.0, low_open=True, allow_inf=True)
    base = _as_base(base, utility)
    if math.isinf(beta):  # no optimization: π = Q
        k, prime, kl, mean_v = _terms(base, 0.0) if isinstance(base, _Discrete) else (
            0.0, _mean_of(base), 0.0, _mean_of(base.V) if isinstance(base, IndependentSum) else None)
        return TiltResult(repr(base), beta, 0.0, True, "β = ∞: π = Q", 0.0, prime, 0.0, mean_v, 0.0)
    return _result(base, 1.0 / beta)


def _mean_of(base):
    if isinstance(base, IndependentSum):
        return base.X.mean + base.V.mean
    return base.mean


def _radius(base):
    """sup{λ : K(λ) < ∞}."""
    if isinstance(base, _Discrete):
        return math.inf
    if isinstance(base, IndependentSum):
        return min(base.X.mgf_radius, base.V.mgf_radius)
    return base.mgf_radius


def _kl_at(base, lam):
    try:
        return _terms(base, lam)[2]
    except _Diverges:
        return math.inf


def _solve_kl(base, kl):
    """λ with KL(π_λ‖Q) = kl, or (None, reason) when the tilts never reach that KL."""
    from scipy import optimize

    radius = _radius(base)
    if radius == 0:
        return None, _divergence_reason(base if not isinstance(base, IndependentSum) else
                                        (base.X if base.X.mgf_radius == 0 else base.V), 1.0)
    if isinstance(base, _Discrete) and kl >= base.kl_limit():
        return None, (f"KL of the optimal tilts tends to -log Q(max U) = {base.kl_limit():.10g} "
                      f"<= {kl:.10g} as β -> 0: the constraint does not bind")
    hi = min(1.0, radius * 0.5)
    while _kl_at(base, hi) < kl:
        nxt = hi * 2.0 if math.isinf(radius) else 0.5 * (hi + radius)
        if nxt == hi or (math.isfinite(radius) and radius - nxt <= 1e-15 * radius) or nxt > 1e300:
            return None, (f"KL of the optimal tilts stays below {kl:.10g} for every β > "
                          f"{1 / radius if radius else math.inf:.10g}")
        hi = nxt
    lo = hi
    while _kl_at(base, lo) > kl and lo > 1e-300:
        lo *= 0.5
    if _kl_at(base, lo) == kl:
        return lo, ""
    lam = optimize.brentq(lambda lg: _kl_at(base, math.exp(lg)) - kl, math.log(lo), math.log(hi),
                          xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return math.exp(lam), ""


def tilt_for_kl(base, *, kl, utility=None):
    """The optimal tilt whose KL(π‖Q) equals ``kl`` (the β found by a root search on log λ)."""
    kl = _validation.real("kl", kl, low=0.0, low_open=True)
    base = _as_base(base, utility)
    lam, reason = _solve_kl(base, kl)
    if lam is None:
        return TiltResult(repr(base), math.nan, math.nan, False, reason, None, None, None, None, None)
    return _result(base, lam)


def sup_mean_under_kl(base, *, kl, utility=None):
    """sup{E_P[U] : KL(P‖Q) <= kl} = inf_{λ>0} (K(λ) + kl)/λ (Donsker–Varadhan).

    The infimum is attained at the λ whose tilt has KL = kl, and equals that tilt's mean
    (``value``); ``inf`` with the reason when U is heavy-tailed (Theorem 1). Where the tilts'
    KL stays below ``kl`` the value is the limit at the edge of the domain (for a discrete
    law: its largest value).
    """
    kl = _validation.real("kl", kl, low=0.0, low_open=True)
    base = _as_base(base, utility)
    if _radius(base) == 0:
        _, reason = _solve_kl(base, kl)
        return SupMeanResult(repr(base), kl, math.inf, None, reason)
    lam, reason = _solve_kl(base, kl)
    if lam is not None:
        _, prime, _, _ = _terms(base, lam)
        return SupMeanResult(repr(base), kl, prime, lam,
                             "attained by the exponential tilt with KL = kl")
    if isinstance(base, _Discrete):
        return SupMeanResult(repr(base), kl, float(base.values[base.probs > 0].max()), math.inf, reason)
    radius = _radius(base)  # tilts stop short of kl: the infimum sits at the radius
    k = _terms(base, radius * (1 - 1e-12))[0]
    return SupMeanResult(repr(base), kl, (k + kl) / radius, radius, reason)
