"""Estimators of the extreme-value index γ from the upper order statistics of a sample.

F is in the max-domain of attraction of an extreme-value law with index γ:
γ > 0 when F̄ is regularly varying with index -1/γ (Pareto-type, heavy: E[X^{1/γ}] = ∞),
γ = 0 for the Gumbel domain (exponential, normal, lognormal, Weibull), γ < 0 for a finite
right endpoint. With X_(1) >= X_(2) >= ... >= X_(n) and k of the largest values:

* :func:`hill`      γ̂_H = (1/k) Σ_{i<=k} log X_(i) - log X_(k+1)        (γ > 0 only)
* :func:`pickands`  γ̂_P = log((X_(k) - X_(2k)) / (X_(2k) - X_(4k))) / log 2  (any γ)
* :func:`moment`    γ̂_M = M1 + 1 - ½ (1 - M1²/M2)^{-1}                   (any γ)

Each returns an :class:`EVIEstimate` with the asymptotic standard error and the normal
confidence interval γ̂ ± z_{(1+level)/2} SE. Hill and the moment estimator need
X_(k+1) > 0 (they read log X); where that fails, or the k largest values are all equal
(the tail's shape is then not identifiable), the estimate is ``nan`` and ``reason`` says
why, so a report never stops on an awkward sample. Hill-type estimators are scale- but not
shift-invariant; Pickands' is both. A Gumbel-domain tail gives Hill estimates that drift to 0
only slowly (like σ/√(2 log(n/k)) for the lognormal), so Hill alone does not separate a
lognormal from a Pareto tail.

When ``k`` is not given it comes from :mod:`catgoodhart.tails.selection` (the double
bootstrap by default; see there), and ``k_rule`` records how.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import special

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.tails import selection
from catgoodhart.tails._sample import tie_reason, upper_order_statistics

_LOG2 = math.log(2.0)


@dataclass(frozen=True, repr=False)
class EVIEstimate(Result):
    """An estimate of the extreme-value index γ at one k.

    ``threshold`` is the smallest order statistic the estimator reads: X_(k+1) for Hill
    and the moment estimator, X_(4k) for Pickands. ``reason`` is "" for a usable estimate;
    otherwise the numbers are nan and it says why.
    """

    estimator: str
    gamma: float
    standard_error: float
    ci_low: float
    ci_high: float
    level: float
    k: int
    n: int
    threshold: float
    k_rule: str
    reason: str = ""


@dataclass(frozen=True, repr=False)
class HillCurve(Result):
    """Hill estimates γ̂_H(k) for every k = 1 .. k_max (the Hill plot).

    Arrays are aligned with ``k``; where X_(k+1) <= 0, or X_(1) = X_(k+1) (ties), the
    estimate is nan and ``reason`` says for which k.
    """

    k: np.ndarray
    gamma: np.ndarray
    standard_error: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    threshold: np.ndarray  # X_(k+1)
    level: float
    n: int
    reason: str = ""


# ----- shared plumbing ----------------------------------------------------------------
def _z_value(level):
    level = _validation.real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    return level, float(special.ndtri(0.5 + 0.5 * level))


def _resolve_k(xs, k, *, k_min, k_max, cap, seed, n_boot):
    """(k, k_rule) from an int, a rule name, a KSelection or None (the bootstrap).

    An explicit k outside [k_min, k_max] is an input error. A rule's k is moved into
    [k_min, min(k_max, cap)] (``cap``: the largest k whose threshold the estimator can
    use), and ``k_rule`` says so.
    """
    n = xs.size
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        if not k_min <= k <= k_max:
            raise ValueError(f"`k` must be an integer in [{k_min}, {k_max}] for a sample of "
                             f"{n} values, got {k!r}")
        return int(k), "given"
    if isinstance(k, selection.KSelection):
        if k.n != n:
            raise ValueError(f"`k` was selected for a sample of {k.n} values, not {n}")
        chosen, label = k.k, k.label
    elif k is None or (isinstance(k, str) and k in selection.RULES):
        sel = selection.select_sorted(xs, rule="bootstrap" if k is None else k, seed=seed,
                                      n_boot=n_boot)
        chosen, label = sel.k, sel.label
    else:
        raise ValueError(f"`k` must be an integer, one of {', '.join(map(repr, selection.RULES))}, "
                         f"a KSelection or None, got {k!r}")
    top = min(k_max, cap)
    if chosen > top >= k_min:
        return top, f"{label}; capped at {top} for this estimator"
    if chosen < k_min:
        return k_min, f"{label}; raised to {k_min} for this estimator"
    return chosen, label


def _estimate(name, gamma, se, z, level, k, n, threshold, k_rule):
    if not (math.isfinite(gamma) and math.isfinite(se)):
        return _failed(name, level, k, n, threshold, k_rule,
                       f"the estimate overflowed (gamma={gamma!r}, standard error={se!r})")
    return EVIEstimate(estimator=name, gamma=gamma, standard_error=se, ci_low=gamma - z * se,
                       ci_high=gamma + z * se, level=level, k=k, n=n, threshold=threshold,
                       k_rule=k_rule)


def _failed(name, level, k, n, threshold, k_rule, reason):
    nan = math.nan
    return EVIEstimate(estimator=name, gamma=nan, standard_error=nan, ci_low=nan, ci_high=nan,
                       level=level, k=k, n=n, threshold=threshold, k_rule=k_rule, reason=reason)


def _positive_count(xs):
    return int(np.count_nonzero(xs > 0))


def _nonpositive_reason(xs, k):
    return (f"X_(k+1) = {xs[k] + 0.0:.6g} <= 0 at k = {k}: log-based estimators need the k+1 largest "
            f"values positive (the sample has {_positive_count(xs)} positive value(s)); "
            "shift the sample or use Pickands' estimator")


def _log_spacing_setup(name, samples, k, level, k_min, seed, n_boot):
    """Shared start of the estimators on log X_(i) - log X_(k+1): the sorted sample, the
    interval's z, the chosen k and threshold X_(k+1), and a failed estimate (or None) when
    the k largest values are all equal or X_(k+1) <= 0."""
    xs = upper_order_statistics(samples)
    level, z = _z_value(level)
    n = xs.size
    kk, rule = _resolve_k(xs, k, k_min=k_min, k_max=n - 1, cap=max(_positive_count(xs) - 1, k_min),
                          seed=seed, n_boot=n_boot)
    threshold = float(xs[kk])
    failed = None
    tied = tie_reason(xs, kk)
    if tied:
        failed = _failed(name, level, kk, n, threshold, rule, tied)
    elif not threshold > 0:
        failed = _failed(name, level, kk, n, threshold, rule, _nonpositive_reason(xs, kk))
    return xs, level, z, n, kk, rule, threshold, failed


# ----- Hill ---------------------------------------------------------------------------
def hill(samples, k=None, *, level=0.95, seed=selection.DEFAULT_SEED,
         n_boot=selection.DEFAULT_N_BOOT):
    """Hill's estimator of γ > 0 with its asymptotic normal confidence interval.

        γ̂_H(k) = (1/k) Σ_{i=1}^{k} log X_(i) - log X_(k+1)

    (Hill, Ann. Statist. 3 (1975) 1163-1174). Under F̄ ∈ RV_{-1/γ}, k → ∞, k/n → 0 and
    no asymptotic bias, √k (γ̂_H - γ) → N(0, γ²), so SE = γ̂_H / √k and the interval is
    γ̂_H ± z_{(1+level)/2} SE. For exact Pareto data k γ̂_H / γ is Gamma(k, 1) and the
    normal interval covers at close to the nominal rate once k is in the hundreds.
    The estimate is invariant to X → cX (c > 0) but not to shifts.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    k : int, {"bootstrap", "sqrt"}, KSelection or None
        Number of upper order statistics, 1 <= k <= n - 1, or how to choose it
        (None: the double bootstrap, see :func:`catgoodhart.tails.selection.select_k`).
    level : float
        Confidence level of the interval, in (0, 1).
    seed, n_boot
        Passed to the bootstrap when it chooses k.

    Returns
    -------
    EVIEstimate
        ``gamma`` etc. are nan, with a ``reason``, when X_(k+1) <= 0 or the k largest values
        are all equal (for k = 1: X_(1) = X_(2)).

    Examples
    --------
    >>> x = np.random.default_rng(0).pareto(2.0, size=10_000) + 1.0   # γ = 1/2
    >>> est = hill(x, k=1000)
    >>> abs(est.gamma - 0.5) < 4 * est.standard_error
    True
    """
    xs, level, z, n, kk, rule, threshold, failed = _log_spacing_setup("hill", samples, k, level, 1,
                                                                       seed, n_boot)
    if failed:
        return failed
    logs = np.log(xs[: kk + 1])
    gamma = float(np.mean(logs[:kk] - logs[kk]))
    return _estimate("hill", gamma, gamma / math.sqrt(kk), z, level, kk, n, threshold, rule)


def hill_curve(samples, k_max=None, *, level=0.95):
    """Hill estimates for every k = 1 .. k_max in one O(n) pass (after the sort).

    With y_i = log X_(i) and cumulative sums S(k) = Σ_{i<=k} y_i,
    γ̂_H(k) = S(k)/k - y_{k+1}; standard errors and intervals as in :func:`hill`.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    k_max : int or None
        Largest k, 1 <= k_max <= n - 1; None for n - 1.
    level : float
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    HillCurve

    Examples
    --------
    >>> x = np.random.default_rng(0).pareto(2.0, size=1_000) + 1.0
    >>> curve = hill_curve(x, k_max=300)
    >>> curve.k[:3].tolist(), curve.gamma.shape
    ([1, 2, 3], (300,))
    """
    xs = upper_order_statistics(samples)
    level, z = _z_value(level)
    n = xs.size
    if k_max is None:
        k_max = n - 1
    if isinstance(k_max, bool) or not isinstance(k_max, numbers.Integral) or not 1 <= k_max <= n - 1:
        raise ValueError(f"`k_max` must be an integer in [1, {n - 1}] or None, got {k_max!r}")
    k_max = int(k_max)
    k = np.arange(1, k_max + 1)
    gamma = np.full(k_max, math.nan)
    usable = min(k_max, _positive_count(xs) - 1)  # k with X_(k+1) > 0
    notes = []
    if usable >= 1:
        y = np.log(xs[: usable + 1])
        y -= y[0]  # relative to the maximum: smaller partial sums
        gamma[:usable] = np.cumsum(y[:usable]) / k[:usable] - y[1 : usable + 1]
        tied = int(np.count_nonzero(xs[1 : usable + 1] == xs[0]))  # X_(1) = X_(k+1) for k <= tied
        if tied:
            gamma[:tied] = math.nan
            notes.append(f"gamma is nan for k <= {tied}: X_(1) = X_(k+1) there (ties)")
    if usable < k_max:
        notes.append(f"gamma is nan for k >= {max(usable, 0) + 1}: X_(k+1) <= 0 there "
                     "(log-based estimators need positive thresholds)")
    reason = "; ".join(notes)
    se = gamma / np.sqrt(k)
    return HillCurve(k=k, gamma=gamma, standard_error=se, ci_low=gamma - z * se,
                     ci_high=gamma + z * se, threshold=xs[1 : k_max + 1].copy(), level=level, n=n,
                     reason=reason)


# ----- Pickands -----------------------------------------------------------------------
def pickands_standard_deviation(gamma):
    """Asymptotic standard deviation of √k (γ̂_P - γ) (Dekkers & de Haan 1989, Theorem 2.3):

        σ_P(γ) = γ √(2^{2γ+1} + 1) / (2 (2^γ - 1) log 2),   σ_P(0) = √3 / (2 (log 2)²).

    Written with u = 2^{-|γ|} ∈ (0, 1] so that no power of 2 overflows:
    σ_P = √(2 + u²) h / (2 log 2) for γ >= 0 and √(1 + 2u²) h / (2 log 2) for γ < 0,
    with h = |γ| / (1 - u) (→ 1/log 2 as γ → 0).
    """
    a = abs(gamma) * _LOG2
    u = math.exp(-a)
    h = 1.0 / _LOG2 if a == 0.0 else abs(gamma) / -math.expm1(-a)
    root = math.sqrt(2.0 + u * u) if gamma >= 0 else math.sqrt(1.0 + 2.0 * u * u)
    return root * h / (2.0 * _LOG2)


def pickands(samples, k=None, *, level=0.95, seed=selection.DEFAULT_SEED,
             n_boot=selection.DEFAULT_N_BOOT):
    """Pickands' estimator of γ (any sign) with its asymptotic normal confidence interval.

        γ̂_P(k) = (1/log 2) log((X_(k) - X_(2k)) / (X_(2k) - X_(4k)))

    (Pickands, Ann. Statist. 3 (1975) 119-131). √k (γ̂_P - γ) → N(0, σ_P(γ)²) with σ_P
    from :func:`pickands_standard_deviation` (Dekkers & de Haan, Ann. Statist. 17 (1989)
    1795-1832), so SE = σ_P(γ̂_P)/√k and the interval is γ̂_P ± z_{(1+level)/2} SE. Shift-
    and scale-invariant; exact (up to noise) for generalized Pareto quantile functions.
    Its variance is several times Hill's.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    k : int, {"bootstrap", "sqrt"}, KSelection or None
        1 <= k <= ⌊n/4⌋, or how to choose it (a rule's k is capped at ⌊n/4⌋).
    level : float
        Confidence level of the interval, in (0, 1).
    seed, n_boot
        Passed to the bootstrap when it chooses k.

    Returns
    -------
    EVIEstimate
        ``threshold`` is X_(4k); nan with a ``reason`` when ties make a spacing zero (the
        4k largest values all equal, or X_(k) = X_(2k), or X_(2k) = X_(4k)).

    Examples
    --------
    >>> x = np.random.default_rng(0).uniform(size=10_000)   # γ = -1
    >>> est = pickands(x, k=500)
    >>> abs(est.gamma + 1.0) < 4 * est.standard_error
    True
    """
    xs = upper_order_statistics(samples)
    level, z = _z_value(level)
    n = xs.size
    k_max = n // 4
    kk, rule = _resolve_k(xs, k, k_min=1, k_max=k_max, cap=k_max, seed=seed, n_boot=n_boot)
    a, b, c = float(xs[kk - 1]), float(xs[2 * kk - 1]), float(xs[4 * kk - 1])
    # the estimator reads the 4k largest values, X_(4k) included
    tied = (f"all {4 * kk} largest values are equal (ties): the tail's shape is not identifiable"
            if xs[0] == xs[4 * kk - 1] else tie_reason(xs, 4 * kk - 1))
    if tied:
        return _failed("pickands", level, kk, n, c, rule, tied)
    # scale by a power of two (exact) so the spacings cannot overflow
    e = math.frexp(max(abs(a), abs(c)))[1]
    a, b, c_scaled = math.ldexp(a, -e), math.ldexp(b, -e), math.ldexp(c, -e)
    upper, lower = a - b, b - c_scaled
    if upper <= 0 or lower <= 0:
        which = "X_(k) = X_(2k)" if upper <= 0 else "X_(2k) = X_(4k)"
        return _failed("pickands", level, kk, n, c, rule,
                       f"ties: {which} at k = {kk}, so a spacing of the estimator is zero")
    gamma = (math.log(upper) - math.log(lower)) / _LOG2
    se = pickands_standard_deviation(gamma) / math.sqrt(kk)
    return _estimate("pickands", gamma, se, z, level, kk, n, c, rule)


# ----- moment -------------------------------------------------------------------------
def moment_variance(gamma):
    """Asymptotic variance of √k (γ̂_M - γ) (Dekkers, Einmahl & de Haan 1989, Theorem 3.1):

        1 + γ²                                              for γ >= 0,
        (1-γ)² (1-2γ) (1-γ+6γ²) / ((1-3γ)(1-4γ))            for γ < 0

    (both equal 1 at γ = 0).
    """
    if gamma >= 0:
        return 1.0 + gamma * gamma
    g = gamma
    # grouped as ratios so that a very negative γ does not overflow an intermediate product
    return ((1.0 - g) * (1.0 - g) * ((1.0 - 2.0 * g) / (1.0 - 4.0 * g))
            * ((1.0 - g + 6.0 * g * g) / (1.0 - 3.0 * g)))


def moment(samples, k=None, *, level=0.95, seed=selection.DEFAULT_SEED,
           n_boot=selection.DEFAULT_N_BOOT):
    """The Dekkers-Einmahl-de Haan moment estimator of γ (any sign).

        M_j = (1/k) Σ_{i=1}^{k} (log X_(i) - log X_(k+1))^j,   j = 1, 2,
        γ̂_M = M_1 + 1 - ½ (1 - M_1²/M_2)^{-1}

    (Dekkers, Einmahl & de Haan, Ann. Statist. 17 (1989) 1833-1855). √k (γ̂_M - γ) →
    N(0, v(γ)) with v from :func:`moment_variance`, so SE = √(v(γ̂_M)/k) and the interval is
    γ̂_M ± z_{(1+level)/2} SE. M_1 is Hill's estimator; 1 - M_1²/M_2 is computed as
    (1/k) Σ (s_i - M_1)² / M_2 from the log-spacings s_i, which is accurate when γ < 0
    makes the spacings nearly equal. For γ = 0 the bias decays slowly, like 1/log²(n/k).

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    k : int, {"bootstrap", "sqrt"}, KSelection or None
        2 <= k <= n - 1, or how to choose it (None: the double bootstrap of
        :func:`catgoodhart.tails.selection.select_k`, designed for Hill).
    level : float
        Confidence level of the interval, in (0, 1).
    seed, n_boot
        Passed to the bootstrap when it chooses k.

    Returns
    -------
    EVIEstimate
        nan with a ``reason`` when X_(k+1) <= 0 or the k largest values are all equal.

    Examples
    --------
    >>> x = np.random.default_rng(0).pareto(4.0, size=10_000) + 1.0   # γ = 1/4
    >>> est = moment(x, k=1000)
    >>> abs(est.gamma - 0.25) < 4 * est.standard_error
    True
    """
    xs, level, z, n, kk, rule, threshold, failed = _log_spacing_setup("moment", samples, k, level, 2,
                                                                       seed, n_boot)
    if failed:
        return failed
    logs = np.log(xs[: kk + 1])
    s = logs[:kk] - logs[kk]
    m1 = float(np.mean(s))
    m2 = float(np.mean(s * s))
    spread = float(np.mean((s - m1) ** 2))  # = M2 - M1², without the cancellation
    if spread == 0.0:
        return _failed("moment", level, kk, n, threshold, rule,
                       f"the {kk} largest log-spacings are all equal (ties), so 1 - M1²/M2 = 0")
    gamma = m1 + 1.0 - 0.5 * m2 / spread
    se = math.sqrt(moment_variance(gamma) / kk)
    return _estimate("moment", gamma, se, z, level, kk, n, threshold, rule)
