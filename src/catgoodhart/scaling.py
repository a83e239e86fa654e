"""Gao, Schulman & Hilton's functional forms for gold reward under overoptimization
(arXiv 2210.10760, §3, eqs. 1–2), with d = sqrt(KL(π‖π_init)):

    best-of-n:  R_bon(d) = d (α - β d),        peak d* = α / (2β),      R(d*) = α² / (4β)
    RL:         R_RL(d)  = d (α - β log d),    peak d* = e^{α/β - 1},   R(d*) = β d*

(R is the gold reward gained over the initial policy, R(0) = 0.) Both are linear in (α, β)
for fixed d, so a least-squares fit to measured (d, R) pairs is exact linear algebra.
A form with β < 0 (or β = 0 < α) never turns over: its peak is ``inf``, with the reason.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import _validation
from catgoodhart._results import Result

FORMS = ("bon", "rl")


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


def gold_reward(d, alpha, beta, form):
    """R(d) for the form "bon" (d(α - βd)) or "rl" (d(α - β log d)); float or array."""
    form = _form(form)
    d = _distances(d)
    alpha = _validation.real("alpha", alpha)
    beta = _validation.real("beta", beta)
    f_alpha, f_beta = _basis(form, d)
    out = alpha * f_alpha + beta * f_beta
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
    """The maximum of R over d >= 0: d* = α/(2β) (bon) or e^{α/β - 1} (RL)."""
    form = _form(form)
    alpha = _validation.real("alpha", alpha)
    beta = _validation.real("beta", beta)
    if beta < 0 or (beta == 0 and alpha > 0):
        return Peak(form, alpha, beta, math.inf, math.inf, math.inf,
                    f"β = {beta:g}: R(d) grows without bound (no finite peak)")
    if beta == 0:
        return Peak(form, alpha, beta, 0.0, 0.0, 0.0, "β = 0 and α <= 0: R(d) <= 0 for every d > 0")
    if form == "bon":
        if alpha <= 0:
            return Peak(form, alpha, beta, 0.0, 0.0, 0.0, "α <= 0: R(d) <= 0 for every d > 0")
        d_star = alpha / (2 * beta)
        return Peak(form, alpha, beta, d_star, d_star * d_star, alpha * alpha / (4 * beta), "")
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
    """Least-squares α, β of R(d) = α f_α(d) + β f_β(d) to the pairs (d, reward)."""
    form = _form(form)
    d = _distances(d).reshape(-1)
    reward = np.asarray(reward, dtype=float).reshape(-1)
    if reward.shape != d.shape or not np.all(np.isfinite(reward)):
        raise ValueError("`reward` must be finite and have the shape of `d`")
    f_alpha, f_beta = _basis(form, d)
    design = np.column_stack([f_alpha, f_beta])
    if np.linalg.matrix_rank(design) < 2:
        raise ValueError("`d` must hold at least two distinct values > 0"
                         + (" other than 1 (log 1 = 0)" if form == "rl" else ""))
    (alpha, beta), *_ = np.linalg.lstsq(design, reward, rcond=None)
    rms = float(np.sqrt(np.mean((design @ [alpha, beta] - reward) ** 2)))
    return FormFit(form, float(alpha), float(beta), rms, int(d.size), peak(alpha, beta, form))
