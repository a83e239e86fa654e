"""Optimization as conditioning (Kwa et al., arXiv 2407.14503, Theorems 5 and 6):

    E[V | X + V >= t] = ∫ v f_V(v) P(X >= t - v | V = v) dv / ∫ f_V(v) P(X >= t - v | V = v) dv.

Independent X, V: heavy-tailed (subexponential) error sends it back to E[V] (Theorem 5);
error with F̄_X(t + 1)/F̄_X(t) -> 0, e.g. normal, sends it to ∞ (Theorem 6); exponential
error lies between (a finite limit). Dependent example (the paper's footnote on
independence): V ~ N(0, 1), X | V ~ N(0, 4) if |V| <= 1 and X = 0 otherwise. The exact
value tends to 1, the largest v at which X keeps its N(0, 4) tail (the footnote states 0).
All values from ``conditioning.conditional_utility``.
"""

from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart._results import Result
from catgoodhart.conditioning import conditional_utility
from catgoodhart.viz import _io, style

FILES = ("conditioning.png",)

UTILITY = D.Normal()
ERRORS = {
    "Student-t(3) error (heavy, Theorem 5)": D.StudentT(nu=3.0),
    "Exponential(1) error (between)": D.Exponential(rate=1.0),
    "Normal error (light, Theorem 6)": D.Normal(),
}
DEPENDENT_BREAKPOINTS = (-1.0, 1.0)
T_RANGE = (0.5, 1e3)
DEPENDENT_T_MAX = 200.0


def dependent_error(v):
    """The law of X given V = v in the footnote's example: N(0, 4) if |v| <= 1, else X = 0."""
    return D.Normal(sigma=2.0) if abs(v) <= 1.0 else 0.0


@dataclass(frozen=True, repr=False)
class ConditioningCurves(Result):
    """E[V | X + V >= t]: ``independent[name]`` over ``t`` (V ~ Normal(0, 1)) and the dependent
    example ``dependent`` over ``t_dependent``."""

    t: np.ndarray
    independent: dict
    t_dependent: np.ndarray
    dependent: np.ndarray


def conditioning_curves(t, t_dependent):
    """``ConditioningCurves`` at the levels ``t`` and ``t_dependent``."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    t_dependent = np.atleast_1d(np.asarray(t_dependent, dtype=float))
    independent = {name: np.asarray(conditional_utility(X, UTILITY, t)) for name, X in ERRORS.items()}
    dependent = np.asarray(conditional_utility(dependent_error, UTILITY, t_dependent,
                                               breakpoints=DEPENDENT_BREAKPOINTS))
    return ConditioningCurves(t, independent, t_dependent, dependent)


def render(stage, *, fast=False):
    """Write ``conditioning.png``."""
    n = 10 if fast else 120
    curves = conditioning_curves(np.geomspace(*T_RANGE, n), np.linspace(0.0, DEPENDENT_T_MAX, n))
    fig = style.new_figure(4.6, dpi=style.SAVE_DPI)
    ind_ax, dep_ax = fig.subplots(1, 2)
    colours = (style.HEAVY, style.ORANGE, style.LIGHT)
    for (name, values), colour in zip(curves.independent.items(), colours, strict=True):
        ind_ax.plot(curves.t, values, color=colour, label=name)
    ind_ax.set_ylim(1e-3, 2e3)
    ind_ax.set_xscale("log")
    ind_ax.set_yscale("log")
    ind_ax.set_xlabel("threshold t on the proxy U = X + V")
    ind_ax.set_ylabel(r"$E[V \mid X + V \geq t]$")
    style.panel_title(ind_ax, "a", "Independent X, V ~ Normal(0, 1)")
    ind_ax.legend(loc="upper left", fontsize=7.5)

    dep_ax.plot(curves.t_dependent, curves.dependent, color=style.GREEN,
                label=r"$X \mid V \sim N(0, 4)$ if $|V| \leq 1$, else $X = 0$")
    dep_ax.axhline(1.0, color=style.BLACK, ls="--", lw=1.0, label="limit 1 (largest v with N(0, 4) error)")
    dep_ax.axhline(UTILITY.mean, color=style.GREY, ls=":", lw=1.2, label="E[V] = 0")
    dep_ax.set_ylim(-0.05, 1.1)
    dep_ax.set_xlabel("threshold t on the proxy U = X + V")
    dep_ax.set_ylabel(r"$E[V \mid X + V \geq t]$")
    style.panel_title(dep_ax, "b", "Dependent, unbiased light-tailed error")
    dep_ax.legend(loc="center right", fontsize=7.5)
    fig.suptitle("Theorems 5–6: conditioning on a high proxy")
    _io.save_png(fig, stage.path(FILES[0]))
