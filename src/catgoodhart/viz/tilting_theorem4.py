"""Theorem 4 (Kwa et al., arXiv 2407.14503): KL-penalized optimization with independent,
light-tailed error X and unbounded utility V sends E[V] to ∞ as β -> 0+.

The optimum of E_π[U] - β KL(π‖Q), U = X + V, is the exponential tilt π* = Q e^{λU - K(λ)},
λ = 1/β (DESIGN.md, Tilting); with X ⊥ V, E_{π*}[V] = K_V'(1/β) and
KL(π*‖Q) = KL_X + KL_V. Where E_Q[e^{U/β}] = ∞ there is no optimum: for X ~ Exponential(r)
this is every β <= 1/r, and ``tilting.tilt`` reports it; nothing is drawn there.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart import tilting
from catgoodhart._results import Result
from catgoodhart.optimizers import ProxyModel
from catgoodhart.viz import _io, style

FILES = ("tilting_theorem4.png",)

RATE = 2.0  # the exponential error's rate r: no optimum for β <= 1/r
_SQRT3 = math.sqrt(3.0)
PAIRS = {
    "X ~ Normal, V ~ Normal": (D.Normal(), D.Normal()),
    f"X ~ Exponential(r={RATE:g}), V ~ Normal": (D.Exponential(rate=RATE), D.Normal()),
    "X ~ Normal, V ~ Weibull(shape 1.5)": (D.Normal(), D.Weibull(shape=1.5)),
    "X ~ Normal, V ~ Uniform(−√3, √3) (bounded)": (D.Normal(), D.Uniform(low=-_SQRT3, high=_SQRT3)),
}
BETA_RANGE = (0.02, 50.0)


@dataclass(frozen=True, repr=False)
class TiltCurves(Result):
    """Per pair (name -> array over ``beta``): ``utility_gain`` = E_{π*}[V] - E_Q[V],
    ``kl`` = KL(π*‖Q), ``exists``; ``nan`` where no optimum exists, with ``reasons``."""

    beta: np.ndarray
    utility_gain: dict
    kl: dict
    exists: dict
    reasons: dict


def tilting_curves(beta):
    """``TiltCurves`` at the penalties ``beta`` (> 0) for every pair in ``PAIRS``."""
    beta = np.atleast_1d(np.asarray(beta, dtype=float))
    gain, kl, exists, reasons = {}, {}, {}, {}
    for name, (X, V) in PAIRS.items():
        results = [tilting.tilt(ProxyModel(X, V), beta=b) for b in beta]
        exists[name] = np.array([r.exists for r in results])
        gain[name] = np.array([r.mean_utility - V.mean if r.exists else math.nan for r in results])
        kl[name] = np.array([r.kl if r.exists else math.nan for r in results])
        reasons[name] = next((r.reason for r in results if not r.exists), "")
    return TiltCurves(beta, gain, kl, exists, reasons)


def penalty_grid(fast=False):
    """β on a log grid, refined just above 1/r where the exponential case's KL blows up."""
    grid = np.geomspace(*BETA_RANGE, 12 if fast else 120)
    edge = (1.0 / RATE) * (1.0 + np.geomspace(1e-4, 1.0, 4 if fast else 30))
    return np.unique(np.concatenate([grid, [1.0 / RATE], edge]))


def render(stage, *, fast=False):
    """Write ``tilting_theorem4.png``."""
    curves = tilting_curves(penalty_grid(fast))
    fig = style.new_figure(4.6, dpi=style.SAVE_DPI)
    gain_ax, kl_ax = fig.subplots(1, 2)
    styles = dict(zip(PAIRS, ({"color": style.BLUE}, {"color": style.VERMILLION, "ls": "--", "lw": 2.4},
                              {"color": style.GREEN}, {"color": style.PURPLE}), strict=True))
    for name in PAIRS:
        gain_ax.plot(curves.beta, curves.utility_gain[name], label=name, **styles[name])
        kl_ax.plot(curves.beta, curves.kl[name], **styles[name])
    edge = 1.0 / RATE
    for ax in (gain_ax, kl_ax):
        ax.axvspan(BETA_RANGE[0], edge, color=style.VERMILLION, alpha=0.08, lw=0)
        ax.axvline(edge, color=style.VERMILLION, ls=":", lw=1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*BETA_RANGE)
        ax.set_xlabel(r"KL penalty $\beta$ (λ = 1/β)")
    exponential = list(PAIRS)[1]
    gain_ax.text(0.03, 0.04, f"β ≤ 1/r = {edge:g}:\nno optimum for the\nexponential error\n"
                 r"($E_Q[e^{X/\beta}] = \infty$)", transform=gain_ax.transAxes, fontsize=8,
                 color=style.VERMILLION, va="bottom")
    gain_ax.set_ylabel(r"utility gain $E_{\pi^*}[V] - E_Q[V]$")
    gain_ax.set_title("Utility under the optimum")
    kl_ax.set_ylabel(r"KL$(\pi^*\|Q)$ [nats]")
    kl_ax.set_title("KL of the optimum")
    if curves.reasons[exponential]:
        kl_ax.annotate("KL → ∞ as β ↓ 1/r", (edge * 1.02, np.nanmax(curves.kl[exponential])),
                       xytext=(12, -4), textcoords="offset points", fontsize=8, color=style.VERMILLION)
    fig.suptitle(r"Theorem 4: optimal KL-penalized policy $\pi^*(\beta) \propto Q\,e^{U/\beta}$, "
                 "U = X + V independent")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    _io.save_png(fig, stage.path(FILES[0]))
