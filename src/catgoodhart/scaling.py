"""Gao, Schulman & Hilton's functional forms for gold reward under overoptimization
(arXiv 2210.10760, §3, eqs. 1–2), with d = sqrt(KL(π‖π_init)):

    best-of-n:  R_bon(d) = d (α - β d),        peak d* = α / (2β),      R(d*) = α² / (4β)
    RL:         R_RL(d)  = d (α - β log d),    peak d* = e^{α/β - 1},   R(d*) = β d*

and, for comparison, a power law R = α d^β (no peak) and a form that returns to the baseline,
R = α d e^{-βd} (peak d* = 1/β, R(d*) = α/(eβ)), as best-of-n does under heavy-tailed error
(Kwa et al., arXiv 2407.14503).

(R is the gold reward gained over the initial policy, R(0) = 0.) The first two are linear in
(α, β) for fixed d, so a least-squares fit to measured (d, R) pairs is exact linear algebra;
the other two are fitted by Levenberg–Marquardt from their log-linear fits. A form with β < 0
(or β = 0 < α) never turns over: its peak is ``inf``, with the reason. ``predict`` fits on
d <= d_fit and measures the error beyond it (Gao et al. chose the forms on best-of-n up to
n = 1000); ``bootstrap_fit`` gives intervals for α, β and d* over resampled seeds or prompts.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import _validation
from catgoodhart._results import Result

FORMS = ("bon", "rl", "power", "return")
_LINEAR = ("bon", "rl")


def _form(form):
    if form not in FORMS:
        raise ValueError(f"`form` must be one of {', '.join(map(repr, FORMS))}, got {form!r}")
    return form


def _distances(d):
    arr = np.asarray(d, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("`d` must be finite and >= 0 (d = sqrt(KL))")
    return arr


def _basis(form, d):
    """The columns (f_α, f_β) with R = α f_α + β f_β: (d, -d²) or (d, -d log d), 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        second = -d * d if form == "bon" else np.where(d > 0, -d * np.log(d), 0.0)
    return d, second


def _value(form, d, alpha, beta):
    if form in _LINEAR:
        f_alpha, f_beta = _basis(form, d)
        return alpha * f_alpha + beta * f_beta
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if form == "power":
            return alpha * np.where(d > 0, d ** beta, 0.0)
        return alpha * d * np.exp(-beta * d)


def gold_reward(d, alpha, beta, form):
    """R(d) for the form "bon" (d(α - βd)), "rl" (d(α - β log d)), "power" (α d^β) or "return"
    (α d e^{-βd}); float or array."""
    form = _form(form)
    d = _distances(d)
    alpha = _validation.real("alpha", alpha)
    beta = _validation.real("beta", beta)
    out = _value(form, d, alpha, beta)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, repr=False)
class Peak(Result):
    """Where R(d) is largest over d >= 0: d*, KL* = d*², R(d*); inf where R is unbounded."""

    form: str
    alpha: float
    beta: float
    d: float
    kl: float
    reward: float
    reason: str


def peak(alpha, beta, form):
    """The maximum of R over d >= 0: d* = α/(2β) (bon), e^{α/β - 1} (RL), 1/β (return); a power
    law with α > 0 has none."""
    form = _form(form)
    alpha = _validation.real("alpha", alpha)
    beta = _validation.real("beta", beta)
    if form == "power":
        if alpha <= 0:
            return Peak(form, alpha, beta, 0.0, 0.0, 0.0, "α <= 0: R(d) <= 0 for every d > 0")
        return Peak(form, alpha, beta, math.inf, math.inf, math.inf,
                    "a power law α d^β with α > 0 has no finite peak")
    if beta < 0 or (beta == 0 and alpha > 0):
        return Peak(form, alpha, beta, math.inf, math.inf, math.inf,
                    f"β = {beta:g}: R(d) grows without bound (no finite peak)")
    if beta == 0:
        return Peak(form, alpha, beta, 0.0, 0.0, 0.0, "β = 0 and α <= 0: R(d) <= 0 for every d > 0")
    if form in ("bon", "return") and alpha <= 0:
        return Peak(form, alpha, beta, 0.0, 0.0, 0.0, "α <= 0: R(d) <= 0 for every d > 0")
    if form == "bon":
        d_star = alpha / (2 * beta)
        return Peak(form, alpha, beta, d_star, d_star * d_star, alpha * alpha / (4 * beta), "")
    if form == "return":
        d_star = 1.0 / beta
        return Peak(form, alpha, beta, d_star, d_star * d_star, alpha / (math.e * beta), "")
    exponent = alpha / beta - 1.0
    if exponent > 709:  # e^{exponent} overflows: report it in log space through the reason
        return Peak(form, alpha, beta, math.inf, math.inf, math.inf,
                    f"d* = e^{exponent:.6g} is beyond the range of doubles")
    d_star = math.exp(exponent)
    return Peak(form, alpha, beta, d_star, d_star * d_star, beta * d_star, "")


@dataclass(frozen=True, repr=False)
class FormFit(Result):
    """Least-squares (α, β) of one form to measured (d, R), with the fit's peak."""

    form: str
    alpha: float
    beta: float
    residual_rms: float
    n: int
    peak: Peak


def fit_form(d, reward, form):
    """Least-squares α, β of the form to the pairs (d, reward): linear algebra for "bon" and
    "rl", Levenberg–Marquardt from the log-linear fit for "power" and "return"."""
    form = _form(form)
    d = _distances(d).reshape(-1)
    reward = np.asarray(reward, dtype=float).reshape(-1)
    if reward.shape != d.shape or not np.all(np.isfinite(reward)):
        raise ValueError("`reward` must be finite and have the shape of `d`")
    if form in _LINEAR:
        f_alpha, f_beta = _basis(form, d)
        design = np.column_stack([f_alpha, f_beta])
        if np.linalg.matrix_rank(design) < 2:
            raise ValueError("`d` must hold at least two distinct values > 0"
                             + (" other than 1 (log 1 = 0)" if form == "rl" else ""))
        (alpha, beta), *_ = np.linalg.lstsq(design, reward, rcond=None)
    else:
        alpha, beta = _nonlinear_fit(form, d, reward)
    rms = float(np.sqrt(np.mean((_value(form, d, alpha, beta) - reward) ** 2)))
    return FormFit(form, float(alpha), float(beta), rms, int(d.size), peak(alpha, beta, form))


def _nonlinear_fit(form, d, reward):
    """(α, β) for α d^β or α d e^{-βd}: started from the least-squares line through
    (log d, log R) or (d, log(R/d)) over the points with d, R > 0, then Levenberg–Marquardt."""
    from scipy import optimize

    use = (d > 0) & (reward > 0)
    if np.unique(d[use]).size < 2:
        raise ValueError(f"the {form!r} form needs at least two distinct d > 0 with reward > 0")
    x = np.log(d[use]) if form == "power" else d[use]
    y = np.log(reward[use]) if form == "power" else np.log(reward[use] / d[use])
    slope, intercept = np.polyfit(x, y, 1)
    start = (math.exp(intercept), slope if form == "power" else -slope)
    res = optimize.least_squares(lambda p: _value(form, d, p[0], p[1]) - reward, start, method="lm",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return float(res.x[0]), float(res.x[1])


@dataclass(frozen=True, repr=False)
class FormPrediction(Result):
    """A form fitted on d <= d_fit, and its root-mean-square error there and beyond."""

    form: str
    d_fit: float
    fit: FormFit
    rms_in: float
    rms_out: float
    n_out: int


def predict(d, reward, form, *, d_fit):
    """Fit ``form`` to the pairs with d <= d_fit; its error on them and on the pairs beyond
    (nan where there are none)."""
    d = _distances(d).reshape(-1)
    reward = np.asarray(reward, dtype=float).reshape(-1)
    d_fit = _validation.real("d_fit", d_fit, low=0.0, low_open=True)
    inside = d <= d_fit
    if reward.shape != d.shape:
        raise ValueError("`reward` must be finite and have the shape of `d`")
    fit = fit_form(d[inside], reward[inside], form)
    out = ~inside
    error = _value(fit.form, d[out], fit.alpha, fit.beta) - reward[out]
    rms_out = float(np.sqrt(np.mean(error**2))) if out.any() else math.nan
    return FormPrediction(fit.form, d_fit, fit, fit.residual_rms, rms_out, int(out.sum()))


def compare_forms(d, reward, *, d_fit, forms=FORMS):
    """``predict`` for each form, and the name of the one that predicts beyond d_fit best. A
    form that cannot be fitted to these points (the power law and the return form need two
    points with R > 0) is left out of the predictions; ``ValueError`` if none can be."""
    predictions, problems = {}, []
    for form in forms:
        try:
            predictions[form] = predict(d, reward, form, d_fit=d_fit)
        except ValueError as e:
            problems.append(str(e))
    if not predictions:
        raise ValueError("; ".join(problems))
    best = min(predictions, key=lambda f: (np.nan_to_num(predictions[f].rms_out, nan=math.inf),
                                           predictions[f].rms_in))
    return predictions, best


def percentile_interval(draws, level):
    """The central ``level`` percentile interval of bootstrap draws (order statistics rather
    than interpolations where a draw is infinite, as d* is for a form that never turns over)."""
    tails = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
    method = "linear" if np.all(np.isfinite(draws)) else "inverted_cdf"
    return tuple(float(x) for x in np.percentile(draws, tails, method=method))


@dataclass(frozen=True, repr=False)
class BootstrapFit(Result):
    """α, β and the peak d* of one form fitted to the mean curve over groups (seeds or prompts),
    with percentile intervals over ``n_boot`` resamplings of the groups."""

    form: str
    fit: FormFit
    alpha_interval: tuple
    beta_interval: tuple
    peak_interval: tuple
    level: float
    n_boot: int
    groups: int


def bootstrap_fit(d, curves, form, *, n_boot=1000, level=0.95, seed=0):
    """Fit ``form`` to the mean of ``curves`` (one row per group, on the shared ``d``), and
    percentile intervals for α, β and d* from fits to the means of groups drawn with
    replacement (``seed``: int, Generator or None)."""
    from catgoodhart._random import seed_sequence

    d = _distances(d).reshape(-1)
    curves = np.asarray(curves, dtype=float)
    if curves.ndim != 2 or curves.shape[1] != d.size or curves.shape[0] < 2:
        raise ValueError(f"`curves` must be a 2-D array with >= 2 rows of {d.size} values (one per d)")
    n_boot = _validation.count("n_boot", n_boot)
    if n_boot < 2:
        raise ValueError(f"`n_boot` must be >= 2, got {n_boot}")
    level = _validation.real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    fit = fit_form(d, curves.mean(axis=0), form)
    rng = np.random.default_rng(seed_sequence(seed))
    rows = rng.integers(0, curves.shape[0], size=(n_boot, curves.shape[0]))
    draws = np.array([[f.alpha, f.beta, f.peak.d] for f in
                      (fit_form(d, curves[r].mean(axis=0), form) for r in rows)])
    lo_hi = [percentile_interval(draws[:, k], level) for k in range(3)]
    return BootstrapFit(fit.form, fit, *lo_hi, level, n_boot, curves.shape[0])
