"""The exact KL-penalized optimum: exponential tilting.

For reward U under the base Q and penalty β (λ = 1/β), the maximizer of
E_π[U] - β KL(π‖Q) is π_λ = Q e^{λU - K(λ)} with K(λ) = log E_Q[e^{λU}] (Donsker–Varadhan;
Kwa et al. arXiv 2407.14503 §3.3 and Theorem 4):

    E_π[U] = K'(λ),   KL(π‖Q) = λK'(λ) - K(λ),   objective = β K(λ),
    E_π[V] = E_Q[V e^{λU}] / E_Q[e^{λU}]  (= K_V'(λ) for U = X + V, X ⊥ V).

None of these is computed as a difference that cancels: the laws supply K/λ - E[U], K' - E[U]
and the KL directly (``Distribution.tilt_terms``), and a finite base is tilted about its mean
with e^x - 1 - x and x e^x - e^x + 1 for small λ and in log space for large λ, so that λ from
1e-300 to 1e300 keeps its digits. Where K(λ) = ∞ (λ at or beyond the moment generating
function's radius) the optimum does not exist, and the result says so instead of a number; a
finite value beyond the range of doubles is ``inf`` and the reason says that it overflowed.
The KL-constrained problem sup{E_P[U] : KL(P‖Q) <= ε} = inf_λ (K(λ) + ε)/λ is solved by the
tilt whose KL is ε (``sup_mean_under_kl``); it is σ√(2ε) for N(μ, σ²) above μ and ∞ for every
ε > 0 when U is heavy-tailed.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.distributions._base import Distribution
from catgoodhart.distributions._special import expm1mx, log1pmx, xexpm1mexpm1
from catgoodhart.optimizers.model import ProxyModel

#: doubles end here: a λ whose KL would need more is reported, not searched for
_LAMBDA_MAX = 1e300


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
    """sup{E_P[U] : KL(P‖Q) <= kl} = inf_λ (K(λ) + kl)/λ, its gain over E_Q[U] and the λ
    attaining it."""

    base: str
    kl: float
    value: float
    gain: float  # value - E_Q[U], computed directly (it does not cancel at tiny kl)
    lam: float | None
    reason: str


@dataclass(frozen=True)
class _Terms:
    log_partition: float  # K(λ)
    mean_reward: float  # K'(λ)
    kl: float
    objective: float  # K(λ)/λ
    gain: float  # K'(λ) - E_Q[U]
    mean_utility: float | None


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
        self._p = self.probs[keep]
        self._log_p = np.log(self._p)
        self._u = self.values[keep]
        self._v = None if self.utility is None else self.utility[keep]
        self.top = float(self._u.max())
        # the mean of values up to ±1e308: a convex combination of halves cannot overflow
        self.center = 2.0 * float(np.dot(self._p, 0.5 * self._u))
        self.mean = self.center

    def __repr__(self):
        return f"discrete law on {self.values.size} points"

    def terms(self, lam):
        """K, K', KL, K/λ, K' - E_Q[U] and E_π[V] exactly.

        Small tilts (λ|u - c| < 1 everywhere, c the mean): with x = λ(u - c), w = Σ p x +
        Σ p ψ(x) (ψ(x) = e^x - 1 - x) and C = Σ p χ(x) (χ(x) = x e^x - e^x + 1 >= 0),
        K = λc + log1p(w), KL = C/(1 + w) + ℓ(-w/(1 + w)) (ℓ(a) = log1p(a) - a), both free of the
        first-order terms that cancel. Otherwise the softmax in log space about the top value.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            x = lam * (self._u - self.center)
        if np.all(np.abs(x) < 1.0):
            s1 = float(np.dot(self._p, x))
            w = s1 + float(np.dot(self._p, expm1mx(x)))
            t = float(np.dot(self._p, x * np.expm1(x)))
            m0 = 1.0 + w
            k_c = math.log1p(w)
            kl = float(np.dot(self._p, xexpm1mexpm1(x))) / m0 + float(log1pmx(-w / m0))
            gain = (t - s1 * w) / (lam * m0)
            shift = float(np.dot(self._p, self._u - self.center))  # E_Q[U] - c, as rounded
            weights = self._p * np.exp(x) / m0
            mean_v = None if self._v is None else float(np.dot(weights, self._v))
            return _Terms(lam * self.center + k_c, self.center + shift + gain, max(kl, 0.0),
                          self.center + k_c / lam, gain, mean_v)
        with np.errstate(over="ignore", invalid="ignore"):
            lw = self._log_p + lam * (self._u - self.top)  # -inf where u - top overflows
        lw = np.where(np.isnan(lw), -np.inf, lw)
        log_z = float(special.logsumexp(lw))
        pi = np.exp(lw - log_z)
        mean = float(np.dot(pi, self._u))
        with np.errstate(over="ignore", invalid="ignore"):
            kl = float(np.sum(np.where(pi > 0, pi * (lw - log_z - self._log_p), 0.0)))
            k = lam * self.top + log_z
        mean_v = None if self._v is None else float(np.dot(pi, self._v))
        return _Terms(k, mean, max(kl, 0.0), self.top + log_z / lam, mean - self.mean, mean_v)

    def kl_limit(self):
        """KL of the tilt as λ -> ∞: all mass on the top value, -log Q(top)."""
        return -math.log(float(self._p[self._u == self.top].sum()))


def _is_sum(base):
    """U = X + V with X and V independent: K_U = K_X + K_V."""
    return isinstance(base, ProxyModel) and base.kind == "independent"


def _as_base(base, utility):
    """Normalize the accepted bases."""
    if isinstance(base, ProxyModel):
        if utility is not None:
            raise ValueError("`utility` is for discrete or empirical bases; a ProxyModel has its own")
        if base.kind == "pool":
            return _Discrete(base.values, base.mass, base.group_utility)
        if base.kind == "dependent":
            raise ValueError("`base`: a ProxyModel with an error that depends on the utility has no "
                             "closed-form tilt here; use catgoodhart.optimizers.kl_tilt")
        return base
    if isinstance(base, Distribution):
        if utility is not None:
            raise ValueError("`utility` is for discrete or empirical bases; for a continuous "
                             "law pass ProxyModel(error, utility)")
        return base
    if isinstance(base, _Discrete):
        return base
    if isinstance(base, tuple) and len(base) == 2:
        return _Discrete(base[0], base[1], utility)
    arr = np.asarray(base, dtype=float) if not isinstance(base, (str, bytes)) else None
    if arr is None or arr.ndim != 1:
        raise ValueError("`base` must be a distribution, a ProxyModel, a (values, probs) "
                         f"pair or a 1-D array of samples, got {base!r}")
    return _Discrete(arr, np.ones(arr.size), utility)


def _divergence_reason(dist, lam):
    radius = dist.mgf_radius
    if radius == 0:
        return f"{dist!r} is heavy-tailed: E[e^{{λU}}] = ∞ for every λ > 0, i.e. every β > 0"
    return f"{dist!r}: E[e^{{U/β}}] = ∞ for β <= {1 / radius:.10g} (here β = {1 / lam:.10g})"


def _terms(base, lam):
    """The tilt's terms at λ > 0, or raise _Diverges where E_Q[e^{λU}] = ∞."""
    if isinstance(base, _Discrete):
        return base.terms(lam)
    if _is_sum(base):
        x, v = _terms(base.X, lam), _terms(base.V, lam)
        return _Terms(x.log_partition + v.log_partition, x.mean_reward + v.mean_reward, x.kl + v.kl,
                      x.objective + v.objective, x.gain + v.gain, v.mean_reward)
    if not lam < _radius(base):
        raise _Diverges(_divergence_reason(base, lam))
    with np.errstate(over="ignore", invalid="ignore"):
        k, prime, kl, objective, gain = base.tilt_terms(lam)
    return _Terms(k, prime, kl, objective, gain, None)


_FIELDS = {"log_partition": "K(λ)", "mean_reward": "E_π[U]", "kl": "KL(π‖Q)",
           "objective": "β K(λ)"}


def _result(base, lam):
    beta = 1.0 / lam
    try:
        terms = _terms(base, lam)
    except _Diverges as e:
        return TiltResult(repr(base), beta, lam, False, str(e), None, None, None, None, None)
    reason = "the optimum π ∝ Q·exp(U/β) exists"
    overflowed = [label for name, label in _FIELDS.items() if math.isinf(getattr(terms, name))]
    if overflowed:
        verb, pronoun = ("exceeds", "it is") if len(overflowed) == 1 else ("exceed", "they are")
        reason += (f"; {', '.join(overflowed)} {verb} the largest double (about 1.8e308), shown as "
                   f"inf: {pronoun} finite")
    return TiltResult(repr(base), beta, lam, True, reason, terms.log_partition, terms.mean_reward,
                      terms.kl, terms.mean_utility, terms.objective)


def tilt(base, *, beta, utility=None):
    """The KL-penalized optimum π* = argmax E_π[U] - β KL(π‖Q).

    Parameters
    ----------
    base : Distribution, ProxyModel, (values, probs) or 1-D array of samples
        The reward U under the base policy Q; for a ``ProxyModel`` (independent laws or a pool)
        U = X + V and ``mean_utility`` is E_π[V]; samples get equal weights.
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
        mean_v = (float(np.dot(base._p, base._v)) if isinstance(base, _Discrete) and base._v is not None
                  else base.V.mean if _is_sum(base) else None)
        return TiltResult(repr(base), beta, 0.0, True, "β = ∞: π = Q", 0.0, _mean_of(base), 0.0,
                          mean_v, _mean_of(base))
    return _result(base, 1.0 / beta)


def _mean_of(base):
    if _is_sum(base):
        return base.X.mean + base.V.mean
    return base.mean


def _radius(base):
    """sup{λ : K(λ) < ∞}."""
    if isinstance(base, _Discrete):
        return math.inf
    if _is_sum(base):
        return min(_radius(base.X), _radius(base.V))
    radius = base.mgf_radius
    return base._radius_right if radius is None else radius  # an unknown fact raises, saying which


def _kl_at(base, lam):
    try:
        return _terms(base, lam).kl
    except _Diverges:
        return math.inf


def _spread(base):
    """A standard deviation of U under Q where finite (1 otherwise): the scale of λ ≈ √(2ε)/σ."""
    if isinstance(base, _Discrete):
        var = float(np.dot(base._p, (base._u - base.center) ** 2))
    elif _is_sum(base):
        var = base.X.var + base.V.var
    else:
        var = base.var
    return math.sqrt(var) if math.isfinite(var) and var > 0 else 1.0


def _solve_kl(base, kl):
    """(λ, "") with KL(π_λ‖Q) = kl, or (None, reason) where no tilt has that KL.

    KL(π_λ) rises from 0 with λ. A bracket grows by factors of 4 from λ ≈ √(2 kl)/σ (halving
    the distance to a finite radius), then Brent's method finds log λ from log KL, which is
    nearly linear (slope 2 at small λ). KL values beyond the largest double bound the bracket
    as "too large"."""
    from scipy import optimize

    radius = _radius(base)
    if radius == 0:
        return None, _divergence_reason(base if not _is_sum(base) else
                                        (base.X if base.X.mgf_radius == 0 else base.V), 1.0)
    if isinstance(base, _Discrete) and kl >= base.kl_limit():
        return None, (f"KL of the optimal tilts tends to -log Q(max U) = {base.kl_limit():.10g} "
                      f"<= {kl:.10g} as β -> 0: the constraint does not bind")
    start = min(math.sqrt(2.0 * kl) / _spread(base), _LAMBDA_MAX)
    hi = start if start < radius else 0.5 * radius
    while _kl_at(base, hi) < kl:
        nxt = 4.0 * hi if math.isinf(radius) else min(4.0 * hi, 0.5 * (hi + radius))
        if nxt > _LAMBDA_MAX or nxt == hi or (math.isfinite(radius) and radius - nxt <= 1e-15 * radius):
            edge = f"β > {1 / radius:.10g}" if math.isfinite(radius) else f"β >= {1 / _LAMBDA_MAX:g}"
            return None, f"KL of the optimal tilts stays below {kl:.10g} for every {edge}"
        hi = nxt
    lo = hi
    while _kl_at(base, lo) >= kl:
        if lo < 1e-300:
            return lo, ""
        lo *= 0.25
    while math.isinf(_kl_at(base, hi)):  # a finite upper end for the root finder
        mid = math.sqrt(lo) * math.sqrt(hi)
        if _kl_at(base, mid) >= kl:
            hi = mid
        else:
            lo = mid
    log_kl = math.log(kl)
    # g = log(λ/hi) keeps |g| small, so that brentq's tolerance is relative to λ
    root = optimize.brentq(lambda g: math.log(_kl_at(base, hi * math.exp(g))) - log_kl,
                           math.log(lo / hi), 0.0, xtol=1e-16, rtol=4 * np.finfo(float).eps)
    return hi * math.exp(root), ""


def tilt_for_kl(base, *, kl, utility=None):
    """The optimal tilt whose KL(π‖Q) equals ``kl`` (the β found by a root search on log λ)."""
    kl = _validation.real("kl", kl, low=0.0, low_open=True)
    base = _as_base(base, utility)
    lam, reason = _solve_kl(base, kl)
    if lam is None:
        return TiltResult(repr(base), math.nan, math.nan, False, reason, None, None, None, None, None)
    return _result(base, lam)


def _upper_end(base):
    if _is_sum(base):
        return base.X.support[1] + base.V.support[1]
    return base.support[1]


def sup_mean_under_kl(base, *, kl, utility=None):
    """sup{E_P[U] : KL(P‖Q) <= kl} = inf_{λ>0} (K(λ) + kl)/λ (Donsker–Varadhan).

    The infimum is attained at the λ whose tilt has KL = kl, and equals that tilt's mean
    (``value``; ``gain`` = value - E_Q[U] without cancellation); ``inf`` with the reason when U
    is heavy-tailed (Theorem 1). Where the tilts' KL stays below ``kl``: for a discrete law the
    value is its largest value; for a law bounded above whose tilts would need λ beyond the
    range of doubles, its upper end where the tilted mean already rounds to it; at a finite
    radius, (K(r) + kl)/r.
    """
    kl = _validation.real("kl", kl, low=0.0, low_open=True)
    base = _as_base(base, utility)
    mean = _mean_of(base)
    if _radius(base) == 0:
        _, reason = _solve_kl(base, kl)
        return SupMeanResult(repr(base), kl, math.inf, math.inf, None, reason)
    lam, reason = _solve_kl(base, kl)
    if lam is not None:
        terms = _terms(base, lam)
        return SupMeanResult(repr(base), kl, terms.mean_reward, terms.gain, lam,
                             "attained by the exponential tilt with KL = kl")
    if isinstance(base, _Discrete):
        return SupMeanResult(repr(base), kl, base.top, base.top - mean, math.inf, reason)
    radius = _radius(base)
    if math.isinf(radius):
        edge = _terms(base, _LAMBDA_MAX)
        top = _upper_end(base)
        if math.isfinite(top) and edge.mean_reward >= top - math.ulp(top):
            return SupMeanResult(repr(base), kl, top, top - mean, math.inf,
                                 f"{reason}; the tilted mean reaches the upper end {top!r} of the "
                                 "support to double precision before that")
        raise ArithmeticError(f"sup_mean_under_kl: {reason}, and the tilted mean there "
                              f"({edge.mean_reward!r}) is not yet the supremum")
    terms = _terms(base, radius * (1 - 1e-12))  # tilts stop short of kl: the infimum is at the radius
    value = (terms.log_partition + kl) / radius
    return SupMeanResult(repr(base), kl, value, value - mean, radius, reason)
