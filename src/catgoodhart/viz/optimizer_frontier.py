"""The optimizers of ``catgoodhart.optimizers`` compared on U = X + V, V ~ Normal(0, 1): the true
utility E_π[V] each reaches at matched KL(π‖π0) and at matched maximum odds ratio sup dπ/dπ0,
for a heavy error (Student-t(3) scaled to variance 1) and a light one (Normal(0, 1)).

Every value is exact (``optimizers.frontier``, which solves each method's strength for the
matched value). Where a method cannot reach a value it is not drawn: the KL-penalized tilt
π ∝ π0·e^{U/β} does not exist for a heavy-tailed proxy (E[e^{U/β}] = ∞ for every β), and its odds
ratio e^{U/β - K} is unbounded on an unbounded proxy; the truncated tilt with cap c spends at most
KL = log c; the threshold member at a fixed level t at most -log F̄_U(t). At matched odds the
capped-odds policy takes the odds as its cap with no KL budget, which is the quantilizer q = 1/c.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart._results import Result
from catgoodhart.optimizers import ProxyModel, frontier
from catgoodhart.viz import _io, style

FILES = ("optimizer_frontier.png",)

UTILITY = D.Normal()
ERRORS = {
    "Student-t(3) error": D.StudentT(nu=3.0, scale=math.sqrt(1.0 / 3.0)),  # heavy; variance 1
    "Normal error": D.Normal(),  # light
}
CAP = 1e3
BOUND_C = 3.0
THRESHOLD_MASS = 1e-6
METHODS = ("kl_tilt", "best_of_n", "quantilizer", "capped_odds", "bounded_tilt", "threshold")
OPTIONS = {"capped_odds": {"cap": CAP}, "bounded_tilt": {"bound": "tanh", "c": BOUND_C},
           "threshold": {"mass": THRESHOLD_MASS}}
LABELS = {
    "kl_tilt": r"KL-penalized tilt $\pi \propto \pi_0 e^{U/\beta}$",
    "best_of_n": "best-of-n",
    "quantilizer": "quantilizer (top q of U)",
    "capped_odds": f"capped odds (cap {CAP:g}; at matched odds: cap = odds)",
    "bounded_tilt": f"bounded tilt, reward {BOUND_C:g}·tanh(U/{BOUND_C:g})",
    "threshold": "Theorem 1's threshold member (level t with "
                 f"$\\bar F_U(t) = 10^{{{math.log10(THRESHOLD_MASS):.0f}}}$)",
}
COLOURS = {"kl_tilt": style.BLUE, "best_of_n": style.ORANGE, "quantilizer": style.GREEN,
           "capped_odds": style.PURPLE, "bounded_tilt": style.SKY_BLUE, "threshold": style.VERMILLION}
KL_RANGE = (1e-3, 10.0)
ODDS_RANGE = (1.1, 1e4)


@dataclass(frozen=True, repr=False)
class OptimizerFrontiers(Result):
    """``by_kl[name]`` and ``by_odds[name]``: the ``optimizers.Frontier`` of every method for the
    error ``name`` in ``ERRORS``, at the KL values ``kl`` and the maximum odds ratios ``odds``."""

    kl: np.ndarray
    odds: np.ndarray
    by_kl: dict
    by_odds: dict


def optimizer_frontiers(kl, odds):
    """``OptimizerFrontiers`` at the matched KL values ``kl`` (> 0) and odds ratios ``odds`` (> 1)."""
    kl = np.atleast_1d(np.asarray(kl, dtype=float))
    odds = np.atleast_1d(np.asarray(odds, dtype=float))
    by_kl, by_odds = {}, {}
    for name, X in ERRORS.items():
        model = ProxyModel(X, UTILITY)
        by_kl[name] = frontier(model, METHODS, kl=kl, options=OPTIONS)
        by_odds[name] = frontier(model, METHODS, odds=odds, options=OPTIONS)
    return OptimizerFrontiers(kl, odds, by_kl, by_odds)


def _missing_note(front, name):
    """Why ``name`` draws nothing in this panel ("" if it draws something)."""
    if np.any(np.isfinite(front.mean_utility[name])):
        return ""
    if name == "kl_tilt":
        if front.matched == "kl" and "heavy-tailed" in str(front.reason[name][0]):
            return "KL-penalized tilt: no optimum for any β\n(heavy tail: E[exp(U/β)] = ∞)"
        if front.matched == "max_odds_ratio":
            return "KL-penalized tilt: max dπ/dπ0 = ∞\nfor every β (unbounded proxy)"
    return f"{name}: not reachable"


def _panel(ax, front, target):
    notes = []
    for name in front.methods:
        values = front.mean_utility[name]
        note = _missing_note(front, name)
        if note:
            notes.append(note)
            continue
        dashed = name == "capped_odds" and front.matched == "max_odds_ratio"  # equal to the quantilizer
        ax.plot(target, values, color=COLOURS[name], lw=1.6, ls="--" if dashed else "-", label=LABELS[name])
    ax.axhline(UTILITY.mean, color=style.GREY, ls=":", lw=1.0)
    if front.matched == "kl":
        ax.axvline(math.log(CAP), color=style.PURPLE, ls=":", lw=0.9)
        ax.text(math.log(CAP) * 0.93, 0.02, f"KL = log {CAP:g}", transform=ax.get_xaxis_transform(),
                rotation=90, ha="right", va="bottom", fontsize=7, color=style.PURPLE)
    if notes:
        ax.text(0.03, 0.97, "\n".join(notes), transform=ax.transAxes, ha="left", va="top", fontsize=7.5,
                color=style.BLUE, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})
    ax.set_xscale("log")
    ax.set_xlim(target[0], target[-1])
    ax.set_ylim(bottom=min(-0.05, float(np.nanmin([np.nanmin(v) for v in front.mean_utility.values()
                                                   if np.any(np.isfinite(v))]))))


def render(stage, *, fast=False):
    """Write ``optimizer_frontier.png``."""
    n = 8 if fast else 60
    curves = optimizer_frontiers(np.geomspace(*KL_RANGE, n), np.geomspace(*ODDS_RANGE, n))
    fig = style.new_figure(8.2, dpi=style.SAVE_DPI)
    axes = fig.subplots(2, 2)
    letters = iter("abcd")
    for row, (fronts, target, xlabel, what) in enumerate((
            (curves.by_kl, curves.kl, r"KL($\pi\,\|\,\pi_0$) [nats]", "matched KL"),
            (curves.by_odds, curves.odds, r"maximum odds ratio $\sup\, d\pi/d\pi_0$", "matched odds ratio"))):
        for col, (name, front) in enumerate(fronts.items()):
            ax = axes[row, col]
            _panel(ax, front, target)
            ax.set_xlabel(xlabel)
            if col == 0:
                ax.set_ylabel(r"utility $E_\pi[V]$")
            style.panel_title(ax, next(letters), f"{name}, {what}")
    handles, labels = [], []
    for ax in axes.ravel():
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    order = sorted(range(len(labels)), key=lambda i: [LABELS[m] for m in METHODS].index(labels[i]))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower center", ncols=2,
               fontsize=8)
    fig.suptitle(r"Utility $E_\pi[V]$ of each optimizer, U = X + V with V ~ Normal(0, 1), X of variance 1")
    _io.save_png(fig, stage.path(FILES[0]))
