"""How many upper order statistics k a tail estimator should use.

Two rules, both returning a :class:`KSelection`:

``"bootstrap"`` (the default)
    The double bootstrap of Danielsson, de Haan, Peng & de Vries, "Using a bootstrap
    method to choose the sample fraction in tail index estimation", J. Multivariate
    Analysis 76 (2001) 226-248. It estimates the k that minimizes the asymptotic mean
    squared error of the Hill estimator, without knowing γ or the second-order
    parameter ρ.

``"sqrt"``
    k = min(max(⌊√n⌋, 50), ⌊n/10⌋) (at least 1, at most n - 1): no more than a tenth of
    the sample, so the order statistics stay in the tail; at least 50 where the sample
    allows, so that the standard error γ/√k is below γ/7; ⌊√n⌋ beyond n = 2500. √n is
    the AMSE-optimal order n^{-2ρ/(1-2ρ)} for ρ = -1/2 (Student t with 4 degrees of
    freedom) and a conservative, low-bias choice for smoother tails. It is the fallback
    when the bootstrap degenerates (ties, too few positive values).

The rules target the Hill estimator. :mod:`catgoodhart.tails.evi` uses the same k for
the moment estimator (for γ > 0 its AMSE-optimal k has the same order in n) and for
Pickands' estimator, capped at ⌊n/4⌋ since Pickands reads X_(4k).
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from catgoodhart import _validation
from catgoodhart._random import seed_sequence
from catgoodhart._results import Result
from catgoodhart.tails._sample import upper_order_statistics

RULES = ("bootstrap", "sqrt")

#: the default seed of the bootstrap, so that reports are reproducible
DEFAULT_SEED = 0

#: the default number of bootstrap resamples at each of the two sample sizes
DEFAULT_N_BOOT = 100

#: n1 = ⌊n^{1-ε}⌋; the paper asks for 0 < ε < 1/2
DEFAULT_EPSILON = 0.1

_CHUNK_ELEMENTS = 1 << 21  # resampled values held at once (rows x n1)


@dataclass(frozen=True, repr=False)
class KSelection(Result):
    """The chosen number k of upper order statistics and how it was found.

    ``label`` is the one-line description estimates carry in their ``k_rule``. The
    bootstrap fields (``n1``, ``n2``, ``k1``, ``k2``, ``rho``, ``n_boot``) are None for
    the ``"sqrt"`` rule; ``note`` says why the bootstrap fell back to it, if it did.
    """

    k: int
    rule: str
    n: int
    label: str
    n1: int | None = None
    n2: int | None = None
    k1: int | None = None  # argmin of the bootstrap MSE at resample size n1
    k2: int | None = None  # argmin at resample size n2 = n1²/n
    rho: float | None = None  # second-order parameter implied by k1: log k1 / (2 log(k1/n1))
    n_boot: int | None = None
    note: str = ""


def sqrt_rule_k(n):
    """k = min(max(⌊√n⌋, 50), ⌊n/10⌋), kept in [1, n - 1] (see the module docstring).

    Examples
    --------
    >>> sqrt_rule_k(100_000), sqrt_rule_k(1_000), sqrt_rule_k(50)
    (316, 50, 5)
    """
    n = int(n)
    k = min(max(math.isqrt(n), 50), n // 10)
    return max(1, min(k, n - 1))


def _sqrt_selection(n, cap, note=""):
    k = sqrt_rule_k(n)
    label = "sqrt rule: min(max(floor(sqrt(n)), 50), floor(n/10))"
    if note:
        label += f" (double bootstrap not usable: {note})"
    if cap is not None and 1 <= cap < k:
        k = cap
        label += f", capped at {cap} = positive values - 1"
    return KSelection(k=k, rule="sqrt", n=n, label=label, note=note)


def _z_statistic(rows):
    """z(k) = M^(2)(k) - 2 (M^(1)(k))², k = 1 .. m - 1, for each row (sorted descending).

    M^(j)(k) = (1/k) Σ_{i<=k} (log X_(i) - log X_(k+1))^j from cumulative sums, so each
    row costs O(m); nan where X_(k+1) <= 0.
    """
    m = rows.shape[1]
    pos = rows > 0
    logs = np.log(np.where(pos, rows, 1.0))
    y = logs - logs[:, :1]  # relative to the maximum: smaller numbers, less cancellation
    k = np.arange(1, m, dtype=np.float64)
    head = y[:, :-1]
    s1 = np.cumsum(head, axis=1)
    s2 = np.cumsum(head * head, axis=1)
    t = y[:, 1:]  # log X_(k+1)
    m1 = s1 / k - t
    m2 = (s2 - 2.0 * t * s1) / k + t * t
    z = m2 - 2.0 * m1 * m1
    z[~pos[:, 1:]] = np.nan
    return z


def _bootstrap_argmin(xs, size, n_boot, rng):
    """argmin over k in [1, size - 1] of Q(k) = E*[z*_size(k)²] (resampling ``xs``),
    or None when no k has X*_(k+1) > 0 in every resample."""
    n = xs.size
    q = np.zeros(size - 1)
    rows = max(1, _CHUNK_ELEMENTS // size)
    done = 0
    while done < n_boot:
        b = min(rows, n_boot - done)
        idx = rng.integers(0, n, size=(b, size))
        idx.sort(axis=1)  # xs is descending, so sorted indices give each resample descending
        z = _z_statistic(xs[idx])
        q += np.sum(z * z, axis=0)  # a nan (non-positive threshold) marks k as unusable
        done += b
    q = np.where(np.isnan(q), np.inf, q / n_boot)
    j = int(np.argmin(q))
    if not np.isfinite(q[j]):
        return None
    return j + 1


def _double_bootstrap(xs, *, seed, n_boot, epsilon):
    n = xs.size
    n_pos = int(np.count_nonzero(xs > 0))
    cap = max(n_pos - 1, 0)
    n1 = int(math.floor(n ** (1.0 - epsilon)))
    n2 = int(n1 * n1 // n)
    if n2 < 3 or n1 >= n:
        return _sqrt_selection(n, cap, f"resample sizes n1={n1}, n2={n2} too small")
    if n_pos < 3:
        return _sqrt_selection(n, cap, f"only {n_pos} positive value(s)")
    s1, s2 = seed_sequence(seed).spawn(2)
    k1 = _bootstrap_argmin(xs, n1, n_boot, np.random.default_rng(s1))
    k2 = _bootstrap_argmin(xs, n2, n_boot, np.random.default_rng(s2))
    if k1 is None or k2 is None:
        return _sqrt_selection(n, cap, "the resamples have too few positive values")
    if k1 < 2:
        return _sqrt_selection(n, cap, "the bootstrap mean square is smallest at k1 = 1 "
                               "(ties, or a tail far from Pareto-like)")
    log_k1, log_n1 = math.log(k1), math.log(n1)
    # k0 = k1²/k2 · (1 - 1/ρ̂)^{-2/(1-2ρ̂)} with ρ̂ = log k1 / (2 log k1 - 2 log n1)
    factor = (log_k1 * log_k1 / (2.0 * log_n1 - log_k1) ** 2) ** ((log_n1 - log_k1) / log_n1)
    k_hat = k1 * k1 / k2 * factor
    rho = log_k1 / (2.0 * (log_k1 - log_n1))
    k = int(round(k_hat))
    if not 1 <= k:
        return _sqrt_selection(n, cap, f"the bootstrap formula gave k = {k_hat:.3g}")
    label = f"double bootstrap (n1={n1}, k1={k1}, n2={n2}, k2={k2}, B={n_boot})"
    if k > n - 1:
        k = n - 1
        label += f", capped at n - 1 = {n - 1}"
    if k > cap:
        k = cap
        label += f", capped at {cap} = positive values - 1"
    return KSelection(k=k, rule="bootstrap", n=n, label=label, n1=n1, n2=n2, k1=k1, k2=k2,
                      rho=rho, n_boot=n_boot)


def _check_options(rule, n_boot, epsilon):
    if rule not in RULES:
        raise ValueError(f"`rule` must be one of {', '.join(map(repr, RULES))}, got {rule!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 1:
        raise ValueError(f"`n_boot` must be an integer >= 1, got {n_boot!r}")
    _validation.real("epsilon", epsilon, low=0.0, high=0.5, low_open=True, high_open=True)


def select_sorted(xs, *, rule="bootstrap", seed=DEFAULT_SEED, n_boot=DEFAULT_N_BOOT,
                  epsilon=DEFAULT_EPSILON):
    """:func:`select_k` on a sample already validated and sorted in descending order."""
    _check_options(rule, n_boot, epsilon)
    if rule == "sqrt":
        return _sqrt_selection(xs.size, None)
    return _double_bootstrap(xs, seed=seed, n_boot=int(n_boot), epsilon=float(epsilon))


def select_k(samples, *, rule="bootstrap", seed=DEFAULT_SEED, n_boot=DEFAULT_N_BOOT,
             epsilon=DEFAULT_EPSILON):
    """Choose k, the number of upper order statistics for the Hill estimator.

    The double bootstrap (Danielsson, de Haan, Peng & de Vries 2001). With
    M^(j)_n(k) = (1/k) Σ_{i=1}^{k} (log X_(i) - log X_(k+1))^j, both M^(1) (Hill) and
    M^(2)/(2 M^(1)) estimate γ, and their difference is proportional to

        z_n(k) = M^(2)_n(k) - 2 (M^(1)_n(k))²,

    whose mean square has its minimum at k̄1(n) = (1 - 1/ρ)^{2/(1-2ρ)} k̄0(n), a fixed
    multiple of the Hill estimator's AMSE-optimal k̄0(n) ∝ n^{-2ρ/(1-2ρ)}. Then

    1. draw ``n_boot`` resamples of size n1 = ⌊n^{1-ε}⌋ and let k1 minimize the bootstrap
       mean square Q(n1, k) = E*[z*_{n1}(k)²] over k = 1 .. n1 - 1;
    2. likewise k2 at size n2 = ⌊n1²/n⌋;
    3. k̂0 = k1²/k2 · ((log k1)² / (2 log n1 - log k1)²)^{(log n1 - log k1)/log n1},

    which undoes the rate in n (k1²/k2 ≈ k̄1(n)) and the factor (1 - 1/ρ)^{2/(1-2ρ)}
    with ρ̂ = log k1 / (2 log k1 - 2 log n1). k̂0 is rounded and capped at n - 1 and at
    the number of positive values less one (Hill needs X_(k+1) > 0). Each resample is
    sorted once and z* is evaluated for every k from cumulative sums, so a resample costs
    O(n1 log n1). The sizes use a fixed ε rather than the paper's optional search over n1.

    When the bootstrap cannot be used (fewer than 3 positive values, ties that put
    k1 = 1, resample sizes below 3) the ``"sqrt"`` rule is used and ``note`` says why.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    rule : {"bootstrap", "sqrt"}
        The double bootstrap, or k = min(max(⌊√n⌋, 50), ⌊n/10⌋).
    seed : int, numpy.random.Generator or None
        Seed of the resampling; the fixed default makes results reproducible.
    n_boot : int
        Resamples at each of the two sizes n1 and n2.
    epsilon : float
        n1 = ⌊n^{1-ε}⌋, 0 < ε < 1/2.

    Returns
    -------
    KSelection

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.pareto(2.0, size=20_000) + 1.0
    >>> sel = select_k(x)
    >>> 1 <= sel.k <= x.size - 1
    True
    """
    xs = upper_order_statistics(samples)
    return select_sorted(xs, rule=rule, seed=seed, n_boot=n_boot, epsilon=epsilon)
