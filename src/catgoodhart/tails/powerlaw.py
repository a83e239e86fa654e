"""Power-law tail fit of Clauset, Shalizi & Newman (2009), with likelihood-ratio tests.

Clauset, Shalizi & Newman, "Power-law distributions in empirical data", SIAM Review 51
(2009) 661-703 (CSN below). On x >= x_min the continuous power law has density and cdf

    p(x) = (α - 1)/x_min (x/x_min)^(-α),        P(x) = 1 - (x/x_min)^(1-α),

and the maximum-likelihood exponent of the n tail values is (CSN §3.1)

    α̂ = 1 + n / Σ log(x_i / x_min),     standard error (α̂ - 1)/√n.

Choosing x_min (CSN §3.3): the x_min that minimizes the Kolmogorov-Smirnov distance
D = max_i |P(x_(i)) - (i - 1)/n| between the fitted power law and the tail's empirical
cdf, taken at the sorted tail values x_(1) <= ... <= x_(n) with the empirical cdf's left
limit (i - 1)/n (tied values take the count strictly below them). This is the convention
of CSN's reference code and of the ``powerlaw`` package. The candidates are all distinct
positive values but the largest (every tail has at least two points), and the scan is
exact: it returns the argmin of D over all of them (the smallest x_min on a tie).

The scan is a numba kernel (compiled on first use, then cached on disk). α̂ for every
candidate comes from suffix sums of the sorted logs. D of a candidate is a maximum over
its tail, so any single tail point whose deviation exceeds the best D so far rules the
candidate out: each candidate first tries the point that ruled out the previous one,
then points spaced n_tail/16, n_tail/256, ... apart, and is scanned in full only if it
beats the best. Candidates are visited coarse to fine (64 spread geometrically in tail
size, then every 16^5-th, 16^4-th, ... and finally every one), so a near-optimal D is
known early and full scans are rare. On 10^6 values this takes about 0.1-0.5 s on one
core (Student t, exponential, lognormal and exact Pareto samples); a sample whose D
curve is nearly flat over many candidates costs more, never more than O(n²).

Alternatives (CSN §5): on the same tail x >= x_min, the exponential and the lognormal
truncated to x >= x_min, each fit by maximum likelihood. The truncated exponential
λ e^{-λ (x - x_min)} has λ̂ = 1/mean(x - x_min). The truncated lognormal,

    f(x) = φ((log x - μ)/s) / (x s Φ((μ - log x_min)/s)),

is fit through a = (μ - log x_min)/s and the sufficient statistics of t = log(x/x_min):
for fixed a the likelihood is maximized by the positive root 1/s of
S₂ u² - a S₁ u - 1 = 0 (S_k = mean t^k), which leaves a smooth 1-D profile in a
(a dense grid, then Brent's method), evaluated with log Φ(a) + a²/2 = log(erfcx(-a/√2)/2)
so that no tail probability underflows. As a → -∞ the truncated lognormal tends to the
power law (log x then has an exponential tail), so the lognormal's maximum is at least
the power law's (R <= 0). Where it is the power-law limit itself (to 1e-12 per point)
R is set to 0 and p to 1: the two models coincide there.

The log-likelihood ratio R = Σ (log p_PL(x_i) - log p_alt(x_i)) is compared with its
standard deviation (Vuong 1989; CSN §5): with σ² the (population) variance of the
pointwise differences, p = erfc(|R| / (σ √(2n))), two-sided. A test favours the model R
points to where p <= 0.1, and neither model otherwise.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.tails._sample import MIN_SIZE, upper_order_statistics

#: fewer positive values than this give a result of nans with a reason
MIN_POSITIVE = 50

#: a likelihood-ratio test decides between the models where p <= P_DECIDE
P_DECIDE = 0.1

_NEITHER = "neither (p > 0.1)"
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True, repr=False)
class LikelihoodRatioTest(Result):
    """Vuong's test of the power law against one alternative on the same tail.

    ``log_likelihood_ratio`` is R = ℓ_power law - ℓ_alternative (> 0 favours the power
    law), ``statistic`` R/(σ √n), ``p_value`` the two-sided erfc(|R|/(σ √(2n))),
    ``favours`` "power law", the alternative's name, or "neither (p > 0.1)", and
    ``parameters`` the alternative's fitted parameters (``rate`` for the exponential,
    ``mu`` and ``sigma`` of log x for the lognormal before truncation).
    """

    alternative: str
    log_likelihood_ratio: float
    statistic: float
    p_value: float
    favours: str
    parameters: dict = field(default_factory=dict)

    def __str__(self):
        return (f"R = {self.log_likelihood_ratio:.6g}, z = {self.statistic:.4g}, "
                f"p = {self.p_value:.4g}: {self.favours}")


@dataclass(frozen=True, repr=False)
class PowerLawFit(Result):
    """Continuous power law p(x) ∝ x^(-α) on x >= ``xmin``, fitted after CSN (2009).

    ``alpha`` is the density exponent (the survival function falls as x^(1-α), so the
    extreme-value index is 1/(α - 1)), ``alpha_standard_error`` (α - 1)/√n_tail,
    ``ks_distance`` the KS distance D at ``xmin``, ``xmin_scanned`` whether ``xmin`` was
    chosen by the KS scan (False where it was given), and ``vs_exponential`` /
    ``vs_lognormal`` the likelihood-ratio tests. Where the fit is undefined the numbers
    are nan and ``reason`` says why.
    """

    alpha: float
    alpha_standard_error: float
    xmin: float
    n_tail: int
    ks_distance: float
    vs_exponential: LikelihoodRatioTest | None
    vs_lognormal: LikelihoodRatioTest | None
    n_positive: int
    xmin_scanned: bool
    reason: str = ""


# ----- the KS scan over x_min ------------------------------------------------------------
def _ks_scan_py(lx, left, suffix, cand, order):
    """Position in ``cand`` of the x_min with the smallest KS distance, and that distance.

    lx: logs of the positive values, ascending; left[i]: first index holding lx[i];
    suffix[j] = Σ_{i >= j} (lx[i] - lx[-1]); cand: candidate indices (first of their value),
    ascending; order: positions in ``cand`` in the order to try them (repeats skipped).
    Ties in D go to the smaller x_min, as numpy's argmin over the candidates would.
    """
    n = lx.size
    top = lx[n - 1]
    best = np.inf
    best_c = -1
    hint = -1
    done = np.zeros(cand.size, dtype=np.bool_)
    for r in range(order.size):
        c = order[r]
        if done[c]:
            continue
        done[c] = True
        j = cand[c]
        n_t = n - j
        lj = lx[j]
        total = suffix[j] - n_t * (lj - top)  # Σ_{i >= j} (lx[i] - lx[j]) > 0
        if not total > 0.0:
            continue
        beta = n_t / total  # α - 1
        # the point that ruled out the previous candidate usually rules out this one too
        d_max = 0.0
        if hint > j:
            d_max = abs(-math.expm1(-beta * (lx[hint] - lj)) - (left[hint] - j) / n_t)
        stride = n_t // 16
        while d_max <= best:
            step = stride if stride > 1 else 1
            for i in range(j + step, n, step):
                dev = abs(-math.expm1(-beta * (lx[i] - lj)) - (left[i] - j) / n_t)
                if dev > d_max:
                    d_max = dev
                    if d_max > best:
                        hint = i
                        break
            if step == 1:
                break
            stride = stride // 16
        if d_max < best or (d_max == best and c < best_c):
            best = d_max
            best_c = c
    return best_c, best


_KERNELS = {}


def _ks_scan(*args):
    """The KS scan, compiled by numba on first use (cached on disk)."""
    kernel = _KERNELS.get("ks_scan")
    if kernel is None:
        from numba import njit

        kernel = _KERNELS["ks_scan"] = njit(cache=True, error_model="numpy")(_ks_scan_py)
    return kernel(*args)


def _scan_order(n_cand):
    """The order in which the scan tries the candidates: about 64 spread geometrically in
    tail size, then every 16^5-th, 16^4-th, ..., 16th position and finally all. A
    candidate is scanned in full only when it beats the best D so far, so finding a
    near-optimal D early, at a coarse level, leaves few full scans for the fine levels."""
    parts = []
    if n_cand > 64:
        parts.append(n_cand - np.unique(np.geomspace(1, n_cand, 64).astype(np.int64)))
    parts += [np.arange(0, n_cand, 16**e, dtype=np.int64) for e in range(5, -1, -1)]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.int64)


def _ks_distance(t, below, beta):
    """max |P - F_n| at the tail values: t = log(x/x_min), ``below`` the count of tail
    values below each one (the empirical cdf's left limit times n), β = α - 1."""
    return float(np.max(np.abs(-np.expm1(-beta * t) - below / t.size)))


# ----- the alternatives -----------------------------------------------------------------
def _vuong(diff, alternative, parameters):
    """Vuong's normalized log-likelihood ratio and two-sided p-value from pointwise
    differences ``diff`` = log p_PL - log p_alt."""
    n = diff.size
    r = float(np.sum(diff))
    var = float(np.mean((diff - np.mean(diff)) ** 2))
    if var > 0.0:
        z = r / math.sqrt(n * var)
        p = math.erfc(abs(z) / math.sqrt(2.0))
    else:
        z = 0.0 if r == 0.0 else math.copysign(math.inf, r)
        p = 1.0 if r == 0.0 else 0.0
    if p > P_DECIDE:
        favours = _NEITHER
    else:
        favours = "power law" if r > 0 else alternative
    return LikelihoodRatioTest(alternative=alternative, log_likelihood_ratio=r, statistic=z, p_value=p,
                               favours=favours, parameters=parameters)


def _log_phi_plus_half_square(a):
    """log Φ(a) + a²/2 without underflow or cancellation, elementwise."""
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    neg = a <= 0.0
    out[neg] = np.log(0.5 * special.erfcx(-a[neg] / math.sqrt(2.0)))
    out[~neg] = special.log_ndtr(a[~neg]) + 0.5 * a[~neg] ** 2
    return out


def _lognormal_profile(a, s1, s2):
    """Per-point truncated-lognormal log-likelihood (up to the term -mean log x and
    -½ log 2π), maximized over the scale for each a, and that 1/s = u (t in units with
    S₂ = s2, S₁ = s1)."""
    a = np.asarray(a, dtype=float)
    root = np.sqrt(a * a * s1 * s1 + 4.0 * s2)
    # the positive root of s2 u² - a s1 u - 1, in the form without cancellation
    u = np.where(a <= 0.0, 2.0 / (root - a * s1), (a * s1 + root) / (2.0 * s2))
    value = np.log(u) - 0.5 * s2 * u * u + a * s1 * u - _log_phi_plus_half_square(a)
    return value, u


def _fit_lognormal(t):
    """(a, u) maximizing the truncated lognormal's likelihood for t = log(x/x_min) >= 0
    (scaled by its RMS), or None where the power-law limit a -> -∞ is at least as good."""
    s1, s2 = float(np.mean(t)), float(np.mean(t * t))
    grid_s = np.linspace(-25.0, 8.0, 661)  # a = sinh(s): |a| up to 3.6e10 on the power-law side
    values, _ = _lognormal_profile(np.sinh(grid_s), s1, s2)
    i = int(np.argmax(values))
    lo, hi = grid_s[max(i - 1, 0)], grid_s[min(i + 1, grid_s.size - 1)]
    res = optimize.minimize_scalar(lambda s: -float(_lognormal_profile(math.sinh(s), s1, s2)[0]),
                                   bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    s_best, v_best = (float(res.x), -float(res.fun)) if -res.fun >= values[i] else (grid_s[i], values[i])
    # the power law (t exponential) per point: -log S₁ - 1, plus the ½ log 2π ``value`` leaves out
    limit = -math.log(s1) - 1.0 + _HALF_LOG_2PI
    # a gain below 1e-12 per point is rounding: the sup is the power-law limit itself (and a
    # rounding-level R with a rounding-level spread would make Vuong's z meaningless)
    if not v_best - limit > 1e-12 * (1.0 + abs(limit)):
        return None
    a = math.sinh(s_best)
    return a, float(_lognormal_profile(a, s1, s2)[1])


def _alternatives(x, lx, xmin, alpha):
    """The likelihood-ratio tests against the exponential and the lognormal on x >= xmin
    (x and lx the tail values and their logs)."""
    n = x.size
    l_min = math.log(xmin)
    t = lx - l_min
    beta = alpha - 1.0
    log_pl = math.log(beta) - l_min - alpha * t

    # truncated exponential, in units of the largest excess so that nothing overflows
    span = float(x[-1] - xmin)
    y = (x - xmin) / span
    rate_y = 1.0 / float(np.mean(y))
    log_exp = math.log(rate_y) - math.log(span) - rate_y * y
    vs_exp = _vuong(log_pl - log_exp, "exponential", {"rate": rate_y / span})

    # truncated lognormal, in units of t's root mean square
    scale = math.sqrt(float(np.mean(t * t)))
    fit = _fit_lognormal(t / scale)
    if fit is None:
        vs_ln = _vuong(np.zeros(n), "lognormal", {"mu": -math.inf, "sigma": math.inf})
    else:
        a, u = fit
        tn = t / scale
        # -½ (t u - a)² - log Φ(a) regrouped so that the two ~a²/2 terms cancel exactly
        log_ln = (-lx - _HALF_LOG_2PI + math.log(u) - math.log(scale) - 0.5 * (tn * u) ** 2 + a * tn * u
                  - float(_log_phi_plus_half_square(a)))
        sigma = scale / u
        vs_ln = _vuong(log_pl - log_ln, "lognormal", {"mu": l_min + a * sigma, "sigma": sigma})
    return vs_exp, vs_ln


# ----- public ------------------------------------------------------------------------------
def _empty(n_positive, reason, xmin=math.nan, scanned=True):
    nan = math.nan
    return PowerLawFit(alpha=nan, alpha_standard_error=nan, xmin=xmin, n_tail=0, ks_distance=nan,
                       vs_exponential=None, vs_lognormal=None, n_positive=n_positive, xmin_scanned=scanned,
                       reason=reason)


def powerlaw_fit(samples, *, xmin=None):
    """Fit a continuous power law to the upper tail of ``samples`` (Clauset, Shalizi &
    Newman 2009) and test it against the exponential and the lognormal.

    α̂ = 1 + n / Σ log(x_i/x_min) over the n values x_i >= x_min; x_min minimizes the KS
    distance over all distinct positive values unless given (see the module docstring for
    the KS convention, the scan and the tests). Only positive values enter: the power law
    lives on x > 0.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    xmin : float, optional
        The lower end of the power-law tail, > 0. Scanned for when omitted.

    Returns
    -------
    PowerLawFit
        α̂, its standard error, x_min, the tail size, the KS distance and the
        likelihood-ratio tests. Fewer than 50 positive values, fewer than three distinct
        ones (when ``xmin`` is scanned), or no value above a given ``xmin`` give nan fields
        and a reason.

    Raises
    ------
    ValueError
        If ``samples`` is not a finite 1-D array of at least 50 values, or ``xmin`` is
        not a finite number > 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = 1.0 + np.random.default_rng(0).pareto(1.5, size=5000)  # density exponent 2.5
    >>> fit = powerlaw_fit(x)
    >>> round(fit.alpha, 1), fit.vs_exponential.favours
    (2.5, 'power law')
    """
    xs = upper_order_statistics(samples, min_size=MIN_SIZE)
    if xmin is not None:
        xmin = _validation.real("xmin", xmin, low=0.0, low_open=True)
    n_pos = int(np.count_nonzero(xs > 0.0))
    if n_pos < MIN_POSITIVE:
        return _empty(n_pos, f"only {n_pos} positive values; at least {MIN_POSITIVE} needed",
                      xmin=math.nan if xmin is None else xmin, scanned=xmin is None)
    x = np.ascontiguousarray(xs[:n_pos][::-1])  # positive values, ascending
    lx = np.log(x)
    first = np.empty(n_pos, dtype=bool)
    first[0] = True
    np.not_equal(x[1:], x[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    left = starts[np.cumsum(first) - 1]  # index of the first copy of each value

    if xmin is None:
        if starts.size < 3:
            return _empty(n_pos, "all positive values are equal (ties): the tail's shape is not identifiable"
                          if starts.size == 1 else "the positive values take only 2 distinct values (ties): "
                          "the tail's shape is not identifiable")
        cand = starts[:-1]
        suffix = np.cumsum((lx - lx[-1])[::-1])[::-1]
        c, _ = _ks_scan(lx, left, suffix, cand, _scan_order(cand.size))
        if c < 0:
            return _empty(n_pos, "the distinct positive values have equal logarithms in double precision")
        j = int(cand[c])
    else:
        j = int(np.searchsorted(x, xmin, side="left"))
        if j >= n_pos or x[-1] == xmin:
            return _empty(n_pos, "no value exceeds `xmin`", xmin=xmin, scanned=False)
    x_lo = xmin if xmin is not None else float(x[j])
    tail, ltail = x[j:], lx[j:]
    n_tail = int(tail.size)
    t_sum = float(np.sum(ltail - math.log(x_lo)))
    if not t_sum > 0.0:
        return _empty(n_pos, "the values >= `xmin` have equal logarithms in double precision", xmin=x_lo,
                      scanned=xmin is None)
    alpha = 1.0 + n_tail / t_sum
    # a given x_min need not be a data value: the power law starts there, the data at x[j]
    d = _ks_distance(ltail - math.log(x_lo), left[j:] - j, alpha - 1.0)
    vs_exp, vs_ln = _alternatives(tail, ltail, x_lo, alpha)
    return PowerLawFit(alpha=alpha, alpha_standard_error=(alpha - 1.0) / math.sqrt(n_tail), xmin=x_lo,
                       n_tail=n_tail, ks_distance=d, vs_exponential=vs_exp, vs_lognormal=vs_ln,
                       n_positive=n_pos, xmin_scanned=xmin is None)
