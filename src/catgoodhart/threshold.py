"""The Theorem 1 family: reweight the mass of Q above a threshold t to p.

Kwa, Thomas & Garriga-Alonso (arXiv 2407.14503), proof of Theorem 1 and Figure 3:

    P_{t,p} = Q (1 - p) / F(t)  on x <= t,       Q p / F̄(t)  on x > t,
    E_P[X]   = (1 - p) E_Q[X | X <= t] + p E_Q[X | X > t],
    KL(P‖Q)  = (1 - p) log((1 - p) / F(t)) + p log(p / F̄(t)).

Both conditional means are computed directly from the base law's closed forms, in log
space where a tail underflows (``conditional_mean_lower``, ``conditional_mean_upper``), so
neither low thresholds, where F(t) is tiny, nor t = 10^8 and beyond lose digits; the KL is
written so that it keeps its digits as p approaches F̄(t) (``threshold_kl``), and
``threshold_curve`` does it for 10^5 thresholds at once.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import _validation
from catgoodhart._quadrature import log_moments
from catgoodhart._results import Result
from catgoodhart.distributions._base import Distribution, _quiet, _scalar
from catgoodhart.distributions._special import log1pmx

#: below this relative distance of p from the smaller tail mass, the KL is taken from the
#: tail masses in mpmath: in doubles its relative error is about 2 eps / |p/F̄(t) - 1|
_NEAR_IDENTITY = 1e-3


@_quiet
def _log_cdf_sf(dist, t):
    """(log F(t), log F̄(t)), the smaller of the two computed directly."""
    log_sf = np.asarray(dist.logsf(t), dtype=float)
    log_cdf = np.where(log_sf < -math.log(2.0), np.log1p(-np.exp(log_sf)), np.asarray(dist.logcdf(t)))
    return log_cdf, log_sf


def conditional_means(dist, t):
    """(E[X | X <= t], E[X | X > t]), each computed directly (no difference of two means)."""
    return (np.asarray(dist.conditional_mean_lower(t), dtype=float),
            np.asarray(dist.conditional_mean_upper(t), dtype=float))


def _kl_and_distance(p, log_cdf, log_sf):
    """The KL of ``threshold_kl`` and the relative distance of p from the smaller tail mass
    (a where F̄(t) <= 1/2, b otherwise), which sets the KL's sensitivity to that mass."""
    p, log_cdf, log_sf = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (p, log_cdf, log_sf)))
    with np.errstate(all="ignore"):
        a = np.expm1(np.log(p) - log_sf)  # p/F̄ - 1
        b = np.expm1(np.log1p(-p) - log_cdf)  # (1 - p)/F - 1
        near = (np.abs(a) < 1) & (np.abs(b) < 1)
        stable = -a * b + p * log1pmx(np.where(near, a, 0.0)) + (1 - p) * log1pmx(np.where(near, b, 0.0))
        upper = np.where(p > 0, p * (np.log(p) - log_sf), 0.0)
        lower = np.where(p < 1, (1 - p) * (np.log1p(-p) - log_cdf), 0.0)
        kl = np.maximum(np.where(near, stable, upper + lower), 0.0)  # >= 0 but for rounding
    return kl, np.where(log_sf <= -math.log(2.0), a, b)


def threshold_kl(p, log_cdf, log_sf):
    """KL(P_{t,p}‖Q) = p log(p/F̄) + (1 - p) log((1 - p)/F) from p and log F(t), log F̄(t).

    With a = p/F̄ - 1, b = (1 - p)/F - 1 and ℓ(x) = log(1 + x) - x it equals
    -a b + p ℓ(a) + (1 - p) ℓ(b), whose terms are all of the order of the KL as p -> F̄ (the
    direct form cancels there); the direct form is used where |a| or |b| exceeds 1. p may be
    0 or 1 (KL = -log F or -log F̄). The KL's relative sensitivity to the tail masses is
    about 2/|a| (2/|b| where F̄ > 1/2): near p = F̄ the masses themselves must be exact.
    """
    return _scalar(_kl_and_distance(p, log_cdf, log_sf)[0])


def _kl_in_mpmath(dist, t, p):
    """KL of P_{t,p} with F̄(t) and F(t) in mpmath, at a precision that leaves 20 digits after
    the cancellation of p against the tail mass."""
    import mpmath

    for dps in (50, 100, 200, 400):
        with mpmath.workdps(dps):
            mp = mpmath.mp
            sf, cdf = dist._mp_tails(mp, t)
            prob = mp.mpf(p)
            gap = prob - sf  # = (1 - sf) - (1 - p): exact but for the rounding of sf
            if gap == 0:
                return 0.0
            if abs(gap) > min(sf, cdf) * mp.mpf(10) ** (20 - dps):
                # -ab + p ℓ(a) + (1 - p) ℓ(b), a = gap/F̄, b = -gap/F, ℓ(x) = log1p(x) - x: every
                # term is of the KL's order ~ gap²/(F F̄), and F needs only relative accuracy
                a, b = gap / sf, -gap / cdf
                return float(-a * b + prob * (mp.log1p(a) - a) + (1 - prob) * (mp.log1p(b) - b))
    raise ArithmeticError(f"KL of the threshold member at t = {t!r}, p = {p!r}: p equals F̄(t) to "
                          "more than 380 digits")


@_quiet
def _mean_and_kl(dist, t, p):
    """Exact E_P[X] and KL(P‖Q) for arrays t, p (broadcast)."""
    t, p = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(p, dtype=float))
    log_cdf, log_sf = _log_cdf_sf(dist, t)
    lower, upper = conditional_means(dist, t)
    mean = (1 - p) * lower + p * upper  # +inf where the upper tail has no mean
    kl, distance = _kl_and_distance(p, log_cdf, log_sf)
    if dist._mp_sf is not None:
        kl = np.array(kl, dtype=float)
        # in doubles the KL's relative error is ~2 e/|distance|, e the smaller mass's relative
        # error: eps, or the rounding of z = (t - loc)/scale times the mass's sensitivity to z
        mass_error = 2.2e-16 * (1.0 + np.where(_z_is_rounded(dist, t), _mass_sensitivity(dist, t), 0.0))
        with np.errstate(all="ignore"):
            inexact = (np.abs(distance) < _NEAR_IDENTITY) | (2.0 * mass_error / np.abs(distance) > 1e-11)
        for index in map(tuple, np.argwhere(inexact)):
            kl[index] = _kl_in_mpmath(dist, float(t[index]), float(p[index]))
    return mean, kl


@_quiet
def _z_is_rounded(dist, t):
    """Whether z = (t - loc)/scale is not the exact value (t - loc by TwoSum; the division is
    exact for a power-of-two scale)."""
    loc, scale = float(dist._loc), float(dist._scale)
    s = t - loc
    back = s - t
    error = (t - (s - back)) + (-loc - back)
    return (error != 0) | (np.frexp(scale)[0] != 0.5)


@_quiet
def _mass_sensitivity(dist, t):
    """|z f(z)| / min(F(z), F̄(z)): the smaller tail mass's relative change per relative change of z."""
    z = np.abs(t - float(dist._loc))
    log_cdf, log_sf = _log_cdf_sf(dist, t)
    return np.exp(np.log(z) + np.asarray(dist.logpdf(t), dtype=float) - np.minimum(log_cdf, log_sf))


def _check(dist, t, p):
    if not isinstance(dist, Distribution):
        raise ValueError(f"`dist` must be a catgoodhart distribution, got {dist!r}")
    t_arr = _validation.real_array("t", t)
    p_arr = _validation.real_array("p", p)
    if t_arr.size == 0:
        raise ValueError("`t` must not be empty")
    if not np.all(np.isfinite(t_arr)):
        raise ValueError("`t` must be finite")
    if np.any(np.isnan(p_arr)) or np.any((p_arr <= 0) | (p_arr >= 1)):
        raise ValueError("`p` must lie in the open interval (0, 1)")
    try:
        np.broadcast_shapes(t_arr.shape, p_arr.shape)
    except ValueError as e:
        raise ValueError(f"`t` (shape {t_arr.shape}) and `p` (shape {p_arr.shape}) must broadcast "
                         "to one shape") from e
    lo, hi = dist.support
    if np.any((t_arr <= lo) | (t_arr >= hi)):
        raise ValueError(f"`t` must lie inside the support ({lo:g}, {hi:g}) of {dist!r}, where "
                         "0 < F(t) < 1 (both sides are reweighted)")
    return t_arr, p_arr


class ThresholdDistribution(Distribution):
    """P_{t,p}: Q with the mass above t reweighted to p (Theorem 1's construction).

    It is itself a distribution: ``pdf, cdf, sf, ppf, isf, sample, partial_mean_upper``,
    plus the exact ``mean`` and ``kl`` = KL(P‖Q).
    """

    def __init__(self, base, t, p):
        t_arr, p_arr = _check(base, t, p)
        if t_arr.ndim or p_arr.ndim:
            raise ValueError("`t` and `p` must be scalars here; use threshold_curve for arrays")
        self.base, self.t, self.p = base, float(t_arr), float(p_arr)
        self._loc, self._scale = 0.0, 1.0
        self._log_cdf_t, self._log_sf_t = (float(v) for v in _log_cdf_sf(base, self.t))
        mean, kl = _mean_and_kl(base, self.t, self.p)
        self._mean_value, self.kl = float(mean), float(kl)
        self._support = base.support
        self.heavy_tailed, self.gamma = base.heavy_tailed, base.gamma

    @property
    def name(self):
        return f"threshold({self.base.name})"

    @property
    def mgf_radius(self):
        return self.base.mgf_radius

    @property
    def _radius_right(self):
        return self.base.mgf_radius

    @property
    def _radius_left(self):
        return self.base._radius_left / self.base._scale

    # log of the weights (1 - p)/F(t) below t and p/F̄(t) above
    def _log_w(self, x):
        return np.where(x <= self.t, math.log1p(-self.p) - self._log_cdf_t,
                        math.log(self.p) - self._log_sf_t)

    def _logpdf(self, x):
        return self.base.logpdf(x) + self._log_w(x)

    def _cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x <= self.t, np.exp(self.base.logcdf(x) + self._log_w(x)), 1.0 - self._sf(x))

    def _sf(self, x):
        return np.exp(self._logsf(x))

    def _logsf(self, x):
        x = np.asarray(x, dtype=float)
        below = np.log1p(-np.exp(self.base.logcdf(np.minimum(x, self.t)) + math.log1p(-self.p)
                                 - self._log_cdf_t))
        return np.where(x <= self.t, below, self.base.logsf(x) + self._log_w(x))

    def _logcdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x <= self.t, self.base.logcdf(x) + self._log_w(x), np.log1p(-self._sf(x)))

    def _ppf(self, q):
        q = np.asarray(q, dtype=float)
        body = self.base.ppf(np.clip(q / (1 - self.p), 0, 1) * math.exp(self._log_cdf_t))
        tail = self.base.isf(np.clip((1 - q) / self.p, 0, 1) * math.exp(self._log_sf_t))
        return np.where(q <= 1 - self.p, body, tail)

    def _isf(self, q):
        q = np.asarray(q, dtype=float)
        tail = self.base.isf(np.clip(q / self.p, 0, 1) * math.exp(self._log_sf_t))
        body = self.base.ppf(np.clip((1 - q) / (1 - self.p), 0, 1) * math.exp(self._log_cdf_t))
        return np.where(q <= self.p, tail, body)

    def _mean(self):
        return self._mean_value

    def _var(self):
        """E_P[X²] - E_P[X]², the second moments of both pieces by log-space quadrature."""
        if not math.isfinite(self._mean_value) or not self.base.gamma < 0.5:
            return math.inf if self.base.gamma >= 0.5 or math.isinf(self._mean_value) else math.nan
        c, t = self._mean_value, self.t
        lo, hi = self.base.support
        width = math.sqrt(self.base.var)
        # ∫ (x - c)² dP on (lo, t) and (t, hi), each split at c so that each integrand is unimodal
        a = np.array([lo, max(lo, c), t, max(t, c)])
        b = np.array([min(t, c), t, min(hi, c), hi])
        center = np.where(np.isfinite(b - a), 0.5 * (a + b), c + np.array([-1.0, 1.0, -1.0, 1.0]) * width)

        def g(x, i):
            return self.logpdf(x) + 2 * np.log(np.abs(x - c))

        log_m, _ = log_moments(g, None, 0, a, b, center[None], width, strict=True)
        return float(np.exp(log_m).sum())

    def _partial_mean(self, x):
        """E_P[X; X > x] from the base's partial means: above t scaled by p/F̄(t); below t the
        body part scaled by (1 - p)/F(t) plus all of the reweighted tail."""
        x = np.asarray(x, dtype=float)
        w_lo = math.exp(math.log1p(-self.p) - self._log_cdf_t)
        w_hi = math.exp(math.log(self.p) - self._log_sf_t)
        m_x = np.asarray(self.base.partial_mean_upper(x), dtype=float)
        m_t = float(self.base.partial_mean_upper(self.t))
        return np.where(x >= self.t, w_hi * m_x, w_lo * (m_x - m_t) + w_hi * m_t)

    def _cond_mean_lower(self, x):
        """At or below t, P given X <= x is Q given X <= x; above t, the base class's forms."""
        x = np.asarray(x, dtype=float)
        below = x <= self.t
        out = np.where(below, self.base.conditional_mean_lower(np.where(below, x, self.t)), math.nan)
        if np.any(~below):
            out[~below] = super()._cond_mean_lower(x[~below])
        return out

    def _cgf(self, s):
        lo, hi = self.base.support
        a, b = np.array([lo, self.t]), np.array([self.t, hi])
        center = np.where(np.isfinite(b - a), 0.5 * (a + b), self.t)
        pieces, _ = log_moments(lambda x, i: self.logpdf(x) + s * x, None, 0, a, b, center[None], 1.0,
                                strict=True)
        return float(np.logaddexp(*pieces))

    def sample(self, n, *, seed=None):
        """Inverse-cdf samples through the base's ppf and isf on each piece."""
        return self._sample_by_inversion(n, seed)

    def to_dict(self):
        return {"name": self.name, "base": self.base.to_dict(), "t": self.t, "p": self.p,
                "mean": self._mean_value, "kl": self.kl}

    def __repr__(self):
        return f"threshold_distribution({self.base!r}, t={self.t!r}, p={self.p!r})"

    def __eq__(self, other):
        return (isinstance(other, ThresholdDistribution)
                and (self.base, self.t, self.p) == (other.base, other.t, other.p))

    def __hash__(self):
        return hash((self.base, self.t, self.p))


def threshold_distribution(dist, *, t, p):
    """P_{t,p}: the base law with P(X > t) reweighted from F̄(t) to p.

    Parameters
    ----------
    dist : Distribution
        The base Q.
    t : float
        Threshold inside the support, so that 0 < F(t) < 1. Tail masses that underflow a
        double are fine: the mean stays exact; the KL is ``inf`` where log F̄(t) or log F(t)
        is beyond the double range (the KL is then at least p or 1 - p times 1.8e308).
    p : float
        Upper mass in (0, 1); p = F̄(t) gives P = Q and KL = 0.

    Examples
    --------
    >>> from catgoodhart import distributions as D
    >>> P = threshold_distribution(D.StudentT(nu=3), t=100.0, p=100.0**-0.8)
    >>> round(P.mean, 4), round(P.kl, 6)
    (3.7679, 0.227243)
    """
    return ThresholdDistribution(dist, t, p)


@dataclass(frozen=True, repr=False)
class ThresholdCurve(Result):
    """E_P[X] and KL(P‖Q) of P_{t,p} along arrays of thresholds t and masses p."""

    base: str
    t: np.ndarray
    p: np.ndarray
    mean: np.ndarray
    kl: np.ndarray


def threshold_curve(dist, *, t, p):
    """Exact mean and KL of P_{t,p} for every threshold in ``t``.

    ``p`` is a scalar, an array broadcast against ``t``, or a callable ``p(t)``
    (the paper's Figure 3 uses p = t^-0.8, its proof p = c/t).
    """
    t_arr = _validation.real_array("t", t)
    t_arr, p_arr = _check(dist, t_arr, p(t_arr) if callable(p) else p)
    t_arr, p_arr = np.broadcast_arrays(t_arr, p_arr)
    mean, kl = _mean_and_kl(dist, t_arr, p_arr)
    return ThresholdCurve(base=repr(dist), t=t_arr.copy(), p=p_arr.copy(), mean=mean, kl=kl)


__all__ = ["ThresholdCurve", "ThresholdDistribution", "conditional_means", "threshold_curve",
           "threshold_distribution", "threshold_kl"]
