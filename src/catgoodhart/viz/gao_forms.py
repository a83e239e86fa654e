"""Gao, Schulman & Hilton (arXiv 2210.10760, §3, eqs. 1–2): gold reward against
d = sqrt(KL(π‖π_init)),

    best-of-n:  R_bon(d) = d (α - β d),        peak d* = α/(2β),     R(d*) = α²/(4β),
    RL:         R_RL(d)  = d (α - β log d),    peak d* = e^{α/β - 1}, R(d*) = β d*,

drawn for a few representative (α, β) with their peaks from ``scaling.peak``.
"""

from dataclasses import dataclass

import numpy as np

from catgoodhart import scaling
from catgoodhart._results import Result
from catgoodhart.viz import _io, style

FILES = ("gao_forms.png",)

#: representative coefficients per form: (α, β)
COEFFICIENTS = {
    "bon": ((1.0, 0.15), (1.0, 0.25), (1.0, 0.4)),
    "rl": ((1.0, 0.3), (1.0, 0.4), (1.0, 0.6)),
}
D_MAX = {"bon": 8.0, "rl": 32.0}
TITLES = {"bon": r"Best-of-n: $R(d) = d(\alpha - \beta d)$",
          "rl": r"RL: $R(d) = d(\alpha - \beta \log d)$"}


@dataclass(frozen=True, repr=False)
class GaoCurves(Result):
    """R(d) over ``d[form]`` for each (α, β) of ``COEFFICIENTS[form]``, and the peaks."""

    d: dict
    reward: dict  # form -> array [coefficient pair, d]
    peaks: dict  # form -> list of scaling.Peak


def gao_curves(points=400):
    """``GaoCurves`` on d ∈ [0, D_MAX[form]]."""
    d, reward, peaks = {}, {}, {}
    for form, pairs in COEFFICIENTS.items():
        d[form] = np.linspace(0.0, D_MAX[form], points)
        reward[form] = np.array([scaling.gold_reward(d[form], a, b, form) for a, b in pairs])
        peaks[form] = [scaling.peak(a, b, form) for a, b in pairs]
    return GaoCurves(d, reward, peaks)


def render(stage, *, fast=False):
    """Write ``gao_forms.png``."""
    curves = gao_curves(60 if fast else 400)
    fig = style.new_figure(4.4, dpi=style.SAVE_DPI)
    for letter, (ax, form) in zip("ab", zip(fig.subplots(1, 2), COEFFICIENTS, strict=True), strict=True):
        for (alpha, beta), values, top, colour in zip(COEFFICIENTS[form], curves.reward[form],
                                                      curves.peaks[form], style.CYCLE, strict=False):
            ax.plot(curves.d[form], values, color=colour, label=f"α = {alpha:g}, β = {beta:g}")
            ax.plot([top.d], [top.reward], "o", color=colour, ms=6)
            ax.annotate(f"d* = {top.d:.3g}\nKL* = {top.kl:.3g}", (top.d, top.reward), xytext=(0, 6),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7.5, color=colour,
                        bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 0.8})
        ax.axhline(0.0, color=style.BLACK, lw=0.8)
        ax.set_xlim(0.0, D_MAX[form])
        ax.set_ylim(-1.0, 1.3 * max(p.reward for p in curves.peaks[form]))
        ax.set_xlabel(r"$d = \sqrt{\mathrm{KL}(\pi\|\pi_{init})}$ [$\sqrt{\mathrm{nats}}$]")
        ax.set_ylabel("gold reward gain R(d)")
        style.panel_title(ax, letter, TITLES[form])
        ax.legend(loc="lower left")
    fig.suptitle("Gao et al. functional forms: gold reward rises, peaks at d* (dots), then falls")
    _io.save_png(fig, stage.path(FILES[0]))
