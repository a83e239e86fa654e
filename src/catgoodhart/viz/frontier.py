"""The KL frontier: the best mean gain sup{E_P[X] : KL(P‖Q) <= ε} - E_Q[X] against ε.

Light tails (DESIGN.md, KL-constrained; Kwa et al. arXiv 2407.14503, Theorem 2): the gain is
inf_{λ>0} (K(λ) + ε)/λ - μ, finite and -> 0 as ε -> 0; for N(μ, σ²) it is σ√(2ε).
Heavy tails (Theorem 1): the supremum is ∞ for every ε > 0. It is drawn as what it is: the
threshold members P_{t,p} with KL(P_{t,p}‖Q) = ε reach ever larger means as t grows
(one curve per t), and ``tilting.sup_mean_under_kl`` reports ∞.

All bases have variance 1, so the curves compare tails, not scales.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart import threshold, tilting
from catgoodhart._results import Result
from catgoodhart.viz import _io, style
from catgoodhart.viz.threshold_animation import threshold_mass_for_kl

FILES = ("kl_frontier.png",)

_SQRT3 = math.sqrt(3.0)
LIGHT_BASES = {
    "Normal(0, 1)": D.Normal(),
    "Exponential(1)": D.Exponential(rate=1.0),
    "Gumbel (variance 1)": D.Gumbel(beta=math.sqrt(6.0) / math.pi),
    "Uniform(−√3, √3)": D.Uniform(low=-_SQRT3, high=_SQRT3),
}
HEAVY_NAME = "Student-t(3) (variance 1)"
HEAVY_BASE = D.StudentT(nu=3.0, scale=1.0 / _SQRT3)
HEAVY_T = (10.0, 1e2, 1e3, 1e4, 1e6)
EPS_RANGE = (1e-3, 10.0)


@dataclass(frozen=True, repr=False)
class FrontierCurves(Result):
    """Gains over E_Q[X] at each KL budget ε.

    ``light_gain[name]``: sup over KL <= ε (tilting.sup_mean_under_kl) minus the mean;
    ``normal_closed_form``: σ√(2ε); ``heavy_sup``: the heavy base's supremum (∞, from
    tilting) and its reason; ``heavy_member_gain[t]``: the gain of P_{t,p} with KL = ε
    (``nan`` where ε >= -log F̄(t), beyond what that threshold can spend)."""

    eps: np.ndarray
    light_gain: dict
    normal_closed_form: np.ndarray
    heavy_sup: np.ndarray
    heavy_reason: str
    heavy_member_gain: dict


def frontier_curves(eps):
    """Compute ``FrontierCurves`` at the budgets ``eps`` (> 0)."""
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    light = {}
    for name, base in LIGHT_BASES.items():
        light[name] = np.array([tilting.sup_mean_under_kl(base, kl=e).value for e in eps]) - base.mean
    sups = [tilting.sup_mean_under_kl(HEAVY_BASE, kl=e) for e in eps]
    members = {}
    for t in HEAVY_T:
        p = threshold_mass_for_kl(HEAVY_BASE, np.full(eps.shape, t), eps)
        gain = np.full(eps.shape, math.nan)
        ok = np.isfinite(p)
        if np.any(ok):
            gain[ok] = threshold.threshold_curve(HEAVY_BASE, t=t, p=p[ok]).mean - HEAVY_BASE.mean
        members[t] = gain
    return FrontierCurves(eps, light, np.sqrt(2.0 * eps), np.array([s.value for s in sups]),
                          sups[0].reason, members)


def render(stage, *, fast=False):
    """Write ``kl_frontier.png``."""
    curves = frontier_curves(np.geomspace(*EPS_RANGE, 8 if fast else 60))
    fig = style.new_figure(6.0, dpi=style.SAVE_DPI)
    ax = fig.subplots()
    colours = dict(zip(LIGHT_BASES, (style.BLUE, style.GREEN, style.PURPLE, style.SKY_BLUE), strict=True))
    for name, gain in curves.light_gain.items():
        ax.plot(curves.eps, gain, color=colours[name], label=f"{name}: exact sup (tilt)")
    ax.plot(curves.eps, curves.normal_closed_form, color=style.BLACK, ls=":", lw=1.4,
            label=r"$\sqrt{2\varepsilon}$ (Donsker–Varadhan, normal)")
    shades = np.linspace(0.35, 1.0, len(HEAVY_T))
    for (t, gain), alpha in zip(curves.heavy_member_gain.items(), shades, strict=True):
        ax.plot(curves.eps, gain, color=style.HEAVY, alpha=float(alpha), lw=1.4,
                label=f"{HEAVY_NAME}: $P_{{t,p}}$ with KL = ε, one line per t" if t == HEAVY_T[-1] else None)
        last = np.flatnonzero(np.isfinite(gain))
        if last.size:
            j = last[-1]
            ax.annotate(f"t = $10^{{{math.log10(t):.0f}}}$", (curves.eps[j], gain[j]), xytext=(3, 0),
                        textcoords="offset points", fontsize=7.5, color=style.HEAVY, va="center")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(EPS_RANGE[0], EPS_RANGE[1] * 4)
    top = 10 ** math.ceil(math.log10(np.nanmax(list(curves.heavy_member_gain.values())[-1]) * 3))
    ax.set_ylim(1e-2, top)
    if np.all(np.isposinf(curves.heavy_sup)):
        for x in np.geomspace(EPS_RANGE[0] * 2, EPS_RANGE[1] / 2, 4):
            ax.annotate("", xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(x, 0.86),
                        textcoords=("data", "axes fraction"),
                        arrowprops={"arrowstyle": "-|>", "color": style.HEAVY, "lw": 1.6})
        ax.text(0.5, 0.84, "Student-t(3): sup = ∞ for every ε > 0 (Theorem 1)", transform=ax.transAxes,
                ha="center", va="top", color=style.HEAVY, fontweight="bold")
    ax.set_xlabel(r"KL budget $\varepsilon$ [nats]")
    ax.set_ylabel(r"best gain $E_P[X] - E_Q[X]$ at KL $\leq \varepsilon$")
    ax.set_title("Best mean at bounded KL: finite for light tails, unbounded for heavy")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    _io.save_png(fig, stage.path(FILES[0]))
