"""The paper's synthetic best-of-n grid (Kwa et al., arXiv 2407.14503, §B, Figure B.3).

U = X + V with X ⊥ V; utilities V ∈ {2·Normal, 2·standardized t(10)}, errors
X ∈ {Normal, LogNormal(0, log 2) − 1, standardized t(3), standardized t(5), Lévy}. For each n
the exact E_bon[V] = ∫ n(n-1) F_U^{n-2} F̄_U² E[V | U >= u] h_U(u) du and E_bon[U]
(``bon.paper_bon_grid``), with seeded Monte Carlo means of the best of n draws (± 1 standard
error). The grid is drawn transposed (errors as rows) to stay readable at README width.
"""

import math

import numpy as np

from catgoodhart import bon
from catgoodhart.viz import _io, style

FILES = ("best_of_n_grid.png",)

SEED = 0
TRIALS = 100  # best-of-n repetitions per point, as in the paper
FAST_TRIALS = 20
N_VALUES = 2 ** np.arange(17)  # 1 .. 65536 = 4^8, the paper's range
FAST_N_VALUES = np.array([1, 4, 16, 64])


def bon_grid(fast=False, progress=None):
    """``bon.BonGrid``: exact and Monte Carlo best-of-n on the paper's grid, seeded."""
    return bon.paper_bon_grid(FAST_N_VALUES if fast else N_VALUES, trials=FAST_TRIALS if fast else TRIALS,
                              seed=SEED, progress=progress)


def render(stage, *, fast=False):
    """Write ``best_of_n_grid.png``."""
    from matplotlib.lines import Line2D

    grid = bon_grid(fast)
    rows, cols = len(grid.errors), len(grid.utilities)
    fig = style.new_figure(10.5, dpi=style.SAVE_DPI)
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False)
    for j, error in enumerate(grid.errors):
        colour = style.LIGHT if error.startswith("Normal") else style.HEAVY
        for i, utility in enumerate(grid.utilities):
            ax = axes[j, i]
            proxy_ax = ax.twinx()
            proxy = grid.mean_proxy[i, j]
            if np.all(np.isfinite(proxy)):
                proxy_ax.plot(grid.n, proxy, color=style.GREY, ls="--", lw=1.2)
            else:
                proxy_ax.text(0.98, 0.92, r"$E_{bon}[U] = \infty$ (E[X] = ∞)", transform=proxy_ax.transAxes,
                              ha="right", va="top", fontsize=7.5, color=style.GREY)
                proxy_ax.set_yticks([])
            proxy_ax.tick_params(axis="y", colors=style.GREY, labelsize=7.5)
            proxy_ax.spines["right"].set_visible(True)
            proxy_ax.spines["right"].set_color(style.GREY)
            proxy_ax.grid(False)
            ax.plot(grid.n, grid.mean_utility[i, j], color=colour, zorder=3)
            ax.errorbar(grid.n, grid.mc_mean_utility[i, j], yerr=grid.mc_standard_error[i, j], fmt="o",
                        ms=3, color=style.BLACK, elinewidth=0.8, capsize=0, zorder=4)
            ax.axhline(0.0, color=style.BLACK, lw=0.6)
            ax.set_xscale("log", base=4)
            ax.tick_params(labelsize=7.5)
            if j == 0:
                ax.set_title(f"V = {utility}", fontsize=9.5)
            if i == 0:
                ax.set_ylabel(f"X = {error}\n" + r"$E_{bon}[V]$", fontsize=8.5)
            if j == rows - 1:
                ax.set_xlabel("n (log scale)")
    handles = [
        Line2D([], [], color=style.LIGHT, label=r"exact $E_{bon}[V]$, light error"),
        Line2D([], [], color=style.HEAVY, label=r"exact $E_{bon}[V]$, heavy error"),
        Line2D([], [], color=style.BLACK, marker="o", ls="none", ms=3,
                                      label=f"Monte Carlo, {grid.mc_trials} trials, ± 1 s.e."),
        Line2D([], [], color=style.GREY, ls="--",
                                      label=r"exact $E_{bon}[U]$ (proxy, right axis)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle(f"Best-of-n, U = X + V: utility vs n (n = 1 … {int(grid.n[-1]):,}, "
                 f"KL = log n − (n−1)/n ≤ {math.log(grid.n[-1]):.1f} nats)", fontsize=11)
    _io.save_png(fig, stage.path(FILES[0]))
