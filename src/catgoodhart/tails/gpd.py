"""Peaks over threshold: the generalized Pareto fit to the excesses over a high threshold.

Pickands (1975) and Balkema & de Haan (1974): for a threshold u high in the tail, the
excesses Y = X - u given X > u are approximately generalized Pareto, GPD(ξ, σ),

    P(Y > y) = (1 + ξ y / σ)^(-1/ξ)   (ξ ≠ 0),        exp(-y / σ)   (ξ = 0),

on y > 0 with 1 + ξ y / σ > 0. The shape ξ is the extreme-value index γ: ξ > 0 is a
power-law tail (moments of order >= 1/ξ are infinite), ξ = 0 the exponential-type tails
(all moments finite, including lognormal and Weibull ones), ξ < 0 a finite end point
u + σ / |ξ|.

Likelihood of the m excesses y_1, ..., y_m (Davison & Smith 1990, §2)::

    ℓ(ξ, σ) = -m log σ - (1 + 1/ξ) Σ log(1 + ξ y_i / σ),

with the exponential limit -m log σ - Σ y_i / σ at ξ = 0. It is evaluated through
(1/ξ) log(1 + ξ y/σ) = (y/σ) log1p(v)/v, v = ξ y/σ, so it is smooth through ξ = 0.

Fitting. For fixed ξ > -1 the score in σ is m = (1 + ξ) Σ y_i / (σ + ξ y_i), whose
right side decreases strictly in σ, so σ̂(ξ) is a single 1-D root (bracketed in
closed form, below). The profile ℓ_p(ξ) = ℓ(ξ, σ̂(ξ)) is maximized over ξ (a grid, then
Brent's method), and the maximum is polished by Newton steps on the full score with the
analytic observed information. Grimshaw (1993) reduces the problem to one dimension in
θ = ξ/σ; profiling over ξ is the same reduction in the coordinate the interval needs.

The restriction ξ > -1. For ξ < -1 the likelihood is unbounded (σ ↓ |ξ| max y sends it to
+∞), at ξ = -1 it is -m log σ with σ >= max y (the uniform law), so the fit is made over
ξ >= -1, and a maximum on ξ = -1 is reported as a boundary fit (``converged=False``).
Smith (1985): the maximum-likelihood estimator is regular (asymptotically normal with
the inverse information as covariance) for ξ > -1/2 only; for -1 < ξ <= -1/2 the
standard error is not meaningful, the profile interval is still reported.

Profile-likelihood interval (Venzon & Moolgavkar 1988): {ξ : 2(ℓ_max - ℓ_p(ξ)) <= χ²_1(0.95)},
its ends found by Brent's root finder on ℓ_p(ξ) - ℓ_max + χ²_1(0.95)/2.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.tails._sample import MIN_SIZE, tie_reason, upper_order_statistics

#: χ²_1 quantile at 0.95: 1.959963984540054², the 97.5% standard normal quantile squared
CHI2_95 = 3.841458820694124

#: the fewest excesses a fit is attempted with
MIN_EXCEEDANCES = 10

#: ξ̂ is searched on (-1, XI_MAX]; a profile still rising at XI_MAX is reported as such
XI_MAX = 1000.0

# σ̂ / max y can be as small as min y / max y; below this ratio it would reach the subnormals
_MIN_RATIO = 1e-290

# below |v| = _SERIES_CUT the derivative terms use their Taylor series (see score_hessian):
# there 20 terms leave < 1e-19, and above it the direct forms lose < 1e-13 to cancellation
_SERIES_CUT = 0.1
_N_SERIES = 20
# D(v) = (log1p(v) - v/(1+v)) / v² = Σ_j (-1)^j (j+1)/(j+2) v^j
_D_COEF = np.array([(-1.0) ** j * (j + 1) / (j + 2) for j in range(_N_SERIES)])
# C(v) = (-2 log1p(v) + 2v/(1+v) + v²/(1+v)²) / v³ = Σ_j (-1)^(j+1) (j+1)(j+2)/(j+3) v^j
_C_COEF = np.array([(-1.0) ** (j + 1) * (j + 1) * (j + 2) / (j + 3) for j in range(_N_SERIES)])

# the coarse grid for ξ̂: dense where shapes of rewards usually fall, extended upwards on demand
_XI_GRID = np.concatenate([[-0.999, -0.99, -0.975], np.arange(-0.95, 1.0001, 0.05), [1.25, 1.5, 2.0, 3.0]])


@dataclass(frozen=True, repr=False)
class GPDFit(Result):
    """Maximum-likelihood generalized Pareto fit to the excesses over ``threshold``.

    ``xi`` is the shape ξ (the extreme-value index), ``scale`` σ, ``log_likelihood`` the
    maximized ℓ in the units of the sample. ``xi_ci_low``/``xi_ci_high`` bound the 95%
    profile-likelihood interval for ξ (-1 where it reaches the boundary of ξ >= -1,
    ``inf`` where the profile stays above the cut up to ξ = 1000).
    ``xi_standard_error`` is sqrt of the (ξ, ξ) entry of the inverse observed
    information (nan where that is not positive definite or ξ̂ sits on ξ = -1).
    ``converged`` is False, with ``reason`` saying why, when no interior maximum was found.
    ``z_exponential`` is the signed root of the likelihood-ratio statistic of ξ = 0
    (exponential excesses) against the GPD, sign(ξ̂) √(2 (ℓ(ξ̂, σ̂) - max_σ ℓ(0, σ))): under
    exponential excesses it is approximately standard normal, so it measures how many
    standard errors ξ̂ lies from 0 (it equals ξ̂ / SE where the profile is quadratic) and is
    invariant under x -> a x + b, a > 0, like ξ̂ itself.
    """

    xi: float
    scale: float
    threshold: float
    n_exceedances: int
    log_likelihood: float
    xi_ci_low: float
    xi_ci_high: float
    xi_standard_error: float
    converged: bool
    z_exponential: float = math.nan
    reason: str = ""


def _default_k(n):
    """Number of upper order statistics used when neither ``threshold`` nor ``k`` is given:
    k = max(⌈n/10⌉, 50), at most n - 1 (the largest tenth of the sample, but no fewer than
    50 excesses where the sample has them)."""
    return int(min(n - 1, max(math.ceil(n / 10), 50)))


def _l_term(v):
    """log1p(v)/v, 1 at v = 0 (log1p keeps full relative accuracy for tiny v)."""
    out = np.ones_like(v)
    nz = v != 0
    out[nz] = np.log1p(v[nz]) / v[nz]
    return out


class _Excesses:
    """Excesses y > 0 scaled to z = y / max y in (0, 1], with the pieces the likelihood reuses.

    Everything below works in the scaled units (σ_z = σ / max y); the log-likelihood in
    the original units is ℓ_z - m log(max y).
    """

    def __init__(self, y):
        self.top = float(np.max(y))
        z = y / self.top
        self.z = z
        self.gap = 1.0 - z  # 1 - z, kept apart so that σ + ξ z = d + |ξ| (1 - z) has no cancellation
        self.m = z.size
        self.mean = float(np.mean(z))
        self.min = float(np.min(z))

    # ----- σ̂(ξ) ------------------------------------------------------------------------
    def sigma_hat(self, xi):
        """(σ̂(ξ), d) with d = σ̂ + ξ (> 0 for ξ < 0; nan otherwise), for ξ > -1.

        ξ >= 0: the root in log σ of (1 + ξ) mean(z / (σ + ξ z)) = 1 lies in [min z, mean z]
        (at σ = min z every term is >= 1/(1+ξ); at σ = mean z Jensen's inequality for the
        concave t -> t/(σ + ξ t) makes the mean <= 1/(1+ξ)).
        ξ < 0: with d = σ + ξ (the distance to the support constraint σ > |ξ| max z) the
        root in log d lies in [(1 + ξ)/m, 1 + ξ] (the largest excess alone pushes the left
        side above 1 below the first; σ̂ <= max z = 1 gives the second).
        """
        z = self.z
        if xi == 0.0:
            return self.mean, math.nan
        if xi > 0.0:
            def g(log_s):
                s = math.exp(log_s)
                return (1.0 + xi) * float(np.mean(z / (s + xi * z))) - 1.0

            lo, hi = math.log(self.min), math.log(self.mean)
            log_s = _root_in(g, lo, hi)
            return math.exp(log_s), math.nan
        a = -xi
        gap = self.gap

        def g(log_d):
            d = math.exp(log_d)
            return (1.0 - a) * float(np.mean(z / (d + a * gap))) - 1.0

        lo, hi = math.log((1.0 - a) / self.m), math.log(1.0 - a)
        d = math.exp(_root_in(g, lo, hi))
        return d + a, d

    # ----- pieces of ℓ and its derivatives at (ξ, σ) -------------------------------------
    def _pieces(self, xi, sigma, d=math.nan):
        """a = z/σ, v = ξ a, w = 1 + v (accurately) and log w."""
        a = self.z / sigma
        v = xi * a
        if xi < 0.0:
            if not math.isfinite(d):
                d = sigma + xi  # callers off the profile pass σ only; exact enough away from the edge
            w = (d + (-xi) * self.gap) / sigma
        else:
            w = 1.0 + v
        log_w = np.where(w < 0.5, np.log(np.maximum(w, 1e-300)), np.log1p(np.maximum(v, -0.5)))
        return a, v, w, log_w

    def loglik(self, xi, sigma, d=math.nan):
        """ℓ_z(ξ, σ) for ξ >= -1, σ > 0 (-inf outside the support)."""
        if not sigma > 0.0:
            return -math.inf
        if xi == -1.0:
            return -self.m * math.log(sigma) if sigma >= 1.0 else -math.inf
        with np.errstate(over="ignore", invalid="ignore"):
            a, v, w, log_w = self._pieces(xi, sigma, d)
            if np.any(w <= 0.0):
                return -math.inf
            # (1 + 1/ξ) log w = log w + (log w)/ξ, and (log w)/ξ = a log1p(v)/v where |v| <= 1/2,
            # which is smooth through ξ = 0; elsewhere |ξ| >= 1/(2a) and the division is harmless
            mid = np.abs(v) <= 0.5
            by_xi = np.empty_like(v)
            by_xi[mid] = a[mid] * _l_term(v[mid])
            by_xi[~mid] = log_w[~mid] / xi
            total = float(np.sum(log_w)) + float(np.sum(by_xi))
        value = -self.m * math.log(sigma) - total
        return value if not math.isnan(value) else -math.inf

    def profile(self, xi):
        """ℓ_p(ξ) = max_σ ℓ_z(ξ, σ); at ξ = -1 its limit -m log(max z) = 0."""
        if xi <= -1.0:
            return 0.0
        sigma, d = self.sigma_hat(xi)
        return self.loglik(xi, sigma, d)

    def score_hessian(self, xi, sigma, d=math.nan):
        """Gradient and Hessian of ℓ_z in (ξ, ρ = log σ), with a = z/σ, v = ξ a, w = 1 + v::

            ∂ξ ℓ   = Σ a² D(v) - Σ a/w,        ∂ρ ℓ = -m + (1+ξ) Σ a/w,
            ∂ξξ ℓ  = Σ (a³ C(v) + a²/w²),      ∂ξρ ℓ = Σ (a/w - (1+ξ) a²/w²),
            ∂ρρ ℓ  = -(1+ξ) Σ a/w²

        (from Davison & Smith's derivatives in σ; in ρ they are free of the scale).

        D(v) = (log w - v/w)/v² and C(v) = (-2 log w + 2v/w + v²/w²)/v³ (by their Taylor
        series near v = 0, so that the derivatives are exact through ξ = 0; away from it
        a² D = (log w - v/w)/ξ² and a³ C = (...)/ξ³, which cannot overflow through a).
        Entries overflow to ±inf only where the information itself is beyond double range.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            a, v, w, log_w = self._pieces(xi, sigma, d)
            m = self.m
            aw = a / w
            aw2 = aw / w
            small = np.abs(v) < _SERIES_CUT
            big = ~small
            a_s = a[small]
            rw = v[big] / w[big]
            d_sum = float(np.sum(a_s * a_s * np.polynomial.polynomial.polyval(v[small], _D_COEF)))
            c_sum = float(np.sum(a_s**3 * np.polynomial.polynomial.polyval(v[small], _C_COEF)))
            if np.any(big):
                lw = log_w[big]
                d_sum += float(np.sum(lw - rw)) / xi**2
                c_sum += float(np.sum(-2.0 * lw + 2.0 * rw + rw * rw)) / xi**3
            g_xi = d_sum - float(np.sum(aw))
            g_s = -m + (1.0 + xi) * float(np.sum(aw))
            h_ss = -(1.0 + xi) * float(np.sum(aw2))
            h_xs = float(np.sum(aw - (1.0 + xi) * a * aw2))
            h_xx = c_sum + float(np.sum(aw * aw))
        return np.array([g_xi, g_s]), np.array([[h_xx, h_xs], [h_xs, h_ss]])


def _root_in(g, lo, hi):
    """Root of a monotone ``g`` on [lo, hi]; the end with the smaller |g| if rounding has
    left both ends with the same sign."""
    g_lo, g_hi = g(lo), g(hi)
    if g_lo == 0.0:
        return lo
    if g_hi == 0.0:
        return hi
    if (g_lo > 0) == (g_hi > 0):
        return lo if abs(g_lo) < abs(g_hi) else hi
    return optimize.brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)


def _maximize_profile(ex):
    """(ξ̂, ℓ_p(ξ̂)) over [-1, XI_MAX], and a note if the maximum is not interior."""
    grid = list(_XI_GRID)
    values = [ex.profile(x) for x in grid]
    while int(np.argmax(values)) == len(grid) - 1 and grid[-1] < XI_MAX:
        grid.append(min(2.0 * grid[-1], XI_MAX))
        values.append(ex.profile(grid[-1]))
    grid = [-1.0, *grid]
    values = [0.0, *values]
    i = int(np.argmax(values))
    if i == len(grid) - 1:
        return grid[i], values[i], "profile likelihood still increasing at ξ = 1000"
    if i == 0:
        # the profile is largest at the boundary: check just above it before giving up
        res = optimize.minimize_scalar(lambda x: -ex.profile(x), bounds=(-1.0, grid[1]), method="bounded",
                                       options={"xatol": 1e-12})
        if -res.fun > 0.0:
            return float(res.x), -float(res.fun), ""
        return -1.0, 0.0, "the likelihood is largest on the boundary ξ = -1 (near-uniform excesses)"
    res = optimize.minimize_scalar(lambda x: -ex.profile(x), bounds=(grid[i - 1], grid[i + 1]),
                                   method="bounded", options={"xatol": 1e-12 * (1.0 + abs(grid[i]))})
    if -res.fun >= values[i]:
        return float(res.x), -float(res.fun), ""
    return grid[i], values[i], ""


def _polish(ex, xi, sigma, ell):
    """Newton steps in (ξ, log σ) on the full score, from the profile maximum (which is only
    as sharp as Brent's method on a flat function, ~1e-8 in ξ) to the root of the score
    (sharp to rounding). A step may lower ℓ by rounding only (16 ulps of the sum)."""
    noise = 16 * np.finfo(float).eps * (ex.m + abs(ell))
    for _ in range(5):
        grad, hess = ex.score_hessian(xi, sigma)
        if not np.all(np.isfinite(hess)) or np.linalg.det(hess) <= 0 or hess[0, 0] >= 0:
            break
        step = np.linalg.solve(hess, grad)
        if not abs(step[1]) < 1.0:
            break
        new_xi, new_sigma = xi - step[0], sigma * math.exp(-step[1])
        if not new_xi > -1.0:
            break
        new_ell = ex.loglik(new_xi, new_sigma)
        if not new_ell >= ell - noise:
            break
        xi, sigma, ell = new_xi, new_sigma, new_ell
        if abs(step[0]) <= 1e-14 * (1.0 + abs(xi)) and abs(step[1]) <= 1e-14:
            break
    return xi, sigma, ell


def _interval(ex, xi_hat, ell_max):
    """Ends of {ξ : ℓ_p(ξ) >= ℓ_max - χ²_1(0.95)/2} around ξ̂ (-1 or inf where unbounded)."""
    target = ell_max - CHI2_95 / 2.0

    def f(x):
        return ex.profile(x) - target

    if f(-1.0) >= 0.0:
        low = -1.0
    else:
        low = optimize.brentq(f, -1.0, xi_hat, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=300)
    inner, step = xi_hat, 0.5
    high = math.inf
    while True:
        outer = min(xi_hat + step, XI_MAX)
        if f(outer) < 0.0:
            high = optimize.brentq(f, inner, outer, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=300)
            break
        if outer >= XI_MAX:
            break
        inner, step = outer, 2.0 * step
    return low, high


def _empty(threshold, m, reason):
    nan = math.nan
    return GPDFit(xi=nan, scale=nan, threshold=threshold, n_exceedances=m, log_likelihood=nan,
                  xi_ci_low=nan, xi_ci_high=nan, xi_standard_error=nan, converged=False, reason=reason)


def _fit_excesses(y, threshold):
    """The fit to positive excesses ``y`` (any order) over ``threshold``."""
    m = int(y.size)
    if m < MIN_EXCEEDANCES:
        return _empty(threshold, m,
                      f"only {m} values exceed the threshold; at least {MIN_EXCEEDANCES} needed")
    if not np.all(np.isfinite(y)):
        return _empty(threshold, m, "the excesses over the threshold overflow double precision")
    ex = _Excesses(y)
    if ex.min < _MIN_RATIO:
        return _empty(threshold, m, "the excesses span more than 290 orders of magnitude, beyond what "
                                    "the likelihood can resolve in double precision")
    shift = m * math.log(ex.top)  # ℓ = ℓ_z - m log(max y)
    if ex.min == 1.0:
        return _empty(threshold, m,
                      f"all {m} excesses are equal (ties): the tail's shape is not identifiable")
    xi, ell, note = _maximize_profile(ex)
    if xi <= -1.0:
        low, high = _interval(ex, -1.0, 0.0)
        return GPDFit(xi=-1.0, scale=ex.top, threshold=threshold, n_exceedances=m, log_likelihood=-shift,
                      xi_ci_low=low, xi_ci_high=high, xi_standard_error=math.nan, converged=False,
                      z_exponential=_signed_root(ex, -1.0, 0.0), reason=note)
    sigma, _ = ex.sigma_hat(xi)
    if not note:
        xi, sigma, ell = _polish(ex, xi, sigma, ell)
    low, high = _interval(ex, xi, ell)
    _, hess = ex.score_hessian(xi, sigma)
    se = math.nan
    if np.all(np.isfinite(hess)) and hess[0, 0] < 0 and np.linalg.det(hess) > 0:
        se = math.sqrt(-hess[1, 1] / np.linalg.det(hess))  # [(-H)^{-1}]_{ξξ}
    return GPDFit(xi=float(xi), scale=float(sigma * ex.top), threshold=threshold, n_exceedances=m,
                  log_likelihood=float(ell - shift), xi_ci_low=float(low), xi_ci_high=float(high),
                  xi_standard_error=se, converged=not note, z_exponential=_signed_root(ex, xi, ell),
                  reason=note)


def _signed_root(ex, xi, ell):
    """sign(ξ̂) √(2 (ℓ_max - ℓ_p(0))) in the scaled units of ``ex`` (free of the sample's
    location and scale); a maximum found a rounding error below ℓ_p(0) counts as 0."""
    lr = 2.0 * (ell - ex.profile(0.0))
    return math.copysign(math.sqrt(max(lr, 0.0)), xi)


def gpd_fit(samples, threshold=None, *, k=None):
    """Fit a generalized Pareto law to the excesses of ``samples`` over a threshold.

    Maximizes ℓ(ξ, σ) = -m log σ - (1 + 1/ξ) Σ log(1 + ξ y_i/σ) over ξ >= -1, σ > 0 for the
    excesses y_i = x_i - u of the m values x_i > u (see the module docstring for the
    method, the ξ > -1 restriction and the profile-likelihood interval).

    Parameters
    ----------
    samples : array_like
        One-dimensional array of at least 50 finite real numbers.
    threshold : float, optional
        The threshold u. Values equal to it are not excesses.
    k : int, optional
        Use the (k+1)-th largest value as the threshold, so that (without ties) the k
        largest values are the excesses; 1 <= k <= n - 1. Give ``threshold`` or ``k``, not
        both. With neither, k = max(⌈n/10⌉, 50), at most n - 1.

    Returns
    -------
    GPDFit
        ξ, σ, u, m, the maximized log-likelihood, the 95% profile interval for ξ, the
        standard error of ξ̂ from the observed information, whether the fit converged
        (with the reason if not), and the likelihood-ratio test of exponential excesses.
        Fewer than 10 excesses, all excesses equal, or (with ``k``) the k largest values all
        equal give nan fields and a reason.

    Raises
    ------
    ValueError
        If ``samples`` is not a finite 1-D array of at least 50 values, ``threshold`` is not
        finite, ``k`` is not an integer in [1, n - 1], or both are given.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).exponential(size=2000)
    >>> fit = gpd_fit(x, k=400)
    >>> bool(fit.xi_ci_low < 0.0 < fit.xi_ci_high)
    True
    """
    xs = upper_order_statistics(samples, min_size=MIN_SIZE)
    n = xs.size
    if threshold is not None and k is not None:
        raise ValueError("give `threshold` or `k`, not both")
    if threshold is not None:
        u = _validation.real("threshold", threshold)
    else:
        if k is None:
            k = _default_k(n)
        elif isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= n - 1:
            raise ValueError(f"`k` must be an integer in [1, {n - 1}], got {k!r}")
        k = int(k)
        tied = tie_reason(xs, k)
        if tied:
            return _empty(float(xs[k]), int(np.count_nonzero(xs > xs[k])), tied)
        u = float(xs[k])
    m = int(np.count_nonzero(xs > u))  # xs is descending: the excesses are xs[:m]
    with np.errstate(over="ignore", invalid="ignore"):
        y = xs[:m] - u
    return _fit_excesses(y, u)


def _profile_log_likelihood(samples, threshold, xi):
    """ℓ_p(ξ) = max_σ ℓ(ξ, σ) for the excesses of ``samples`` over ``threshold`` (for tests)."""
    x = np.asarray(samples, dtype=float)
    ex = _Excesses(x[x > threshold] - threshold)
    return ex.profile(float(xi)) - ex.m * math.log(ex.top)
