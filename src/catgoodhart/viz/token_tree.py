"""Theorem 3 on a token tree (Kwa et al., arXiv 2407.14503, the MDP theorem, label thm3).

Leaves of a binary tree of depth T carry returns drawn from a heavy-tailed law with finite
mean (Student-t(1.5)); π0 is uniform. For each threshold t the proof's construction
reweights trajectories, ρ_t = ρ0 (1 - p)/F(t) below t and ρ0 p/F̄(t) above (p = t^-0.8),
and builds π_t(a|s) = ρ_t(s·a)/ρ_t(s). Plotted: the mean return of Tr(π_t) and its expected
per-state KL E Σ_s KL(π_t(s)‖π0(s)), which equals KL(ρ_t‖ρ0) by the chain rule, beside the
infinite-tree values of the threshold family (``threshold.threshold_curve``). For contrast,
a tree with Normal(0, 1) leaves: the soft-optimal policy (``mdp.soft_optimal_policy``), the
best mean any policy reaches at its KL, which -> 0 as KL -> 0.
"""

from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart import mdp, threshold
from catgoodhart._results import Result
from catgoodhart.viz import _io, style
from catgoodhart.viz.threshold_animation import upper_mass

FILES = ("token_tree_policy.png",)

HEAVY_LEAVES = D.StudentT(nu=1.5)
LIGHT_LEAVES = D.Normal()
K = 2
DEPTH = 18
FAST_DEPTH = 10
SEED = 0
POINTS = 30
FAST_POINTS = 5
T_MIN = 1.5
LIGHT_BETA_RANGE = (0.05, 200.0)


@dataclass(frozen=True, repr=False)
class TokenTreeSweep(Result):
    """Per threshold ``t`` (heavy leaves, p = t^-0.8): the constructed policy's mean return,
    expected per-state KL, the leaf-sum KL(ρ_t‖ρ0), and the infinite-tree threshold family's
    mean and KL; per penalty ``light_beta`` (Normal leaves): the soft-optimal policy's KL
    and mean return."""

    depth: int
    max_return: float
    t: np.ndarray
    p: np.ndarray
    mean_return: np.ndarray
    state_kl: np.ndarray
    trajectory_kl: np.ndarray
    limit_mean: np.ndarray
    limit_kl: np.ndarray
    light_beta: np.ndarray
    light_kl: np.ndarray
    light_mean: np.ndarray


def token_tree_sweep(depth=DEPTH, points=POINTS, seed=SEED):
    """``TokenTreeSweep`` on trees of the given depth, thresholds geomspace(1.5, max/2)."""
    heavy = mdp.token_tree(K, depth, returns=HEAVY_LEAVES, seed=seed)
    top = float(heavy.returns.max())
    t = np.geomspace(T_MIN, top / 2.0, points)
    p = upper_mass(t)
    mean, state_kl, leaf_kl = (np.empty(points) for _ in range(3))
    for i, (ti, pi) in enumerate(zip(t, p, strict=True)):
        rho = mdp.reweight_trajectories(heavy, ti, pi)
        policy = mdp.policy_from_trajectories(heavy, rho)
        mean[i] = mdp.mean_return(heavy, mdp.trajectory_distribution(heavy, policy))
        state_kl[i] = mdp.expected_state_kl(heavy, policy)
        leaf_kl[i] = mdp.trajectory_kl(heavy, rho)
    limit = threshold.threshold_curve(HEAVY_LEAVES, t=t, p=p)
    light = mdp.token_tree(K, depth, returns=LIGHT_LEAVES, seed=seed)
    betas = np.geomspace(*LIGHT_BETA_RANGE, points)
    soft = [mdp.soft_optimal_policy(light, b) for b in betas]
    return TokenTreeSweep(depth, top, t, p, mean, state_kl, leaf_kl, limit.mean, limit.kl, betas,
                          np.array([s.kl for s in soft]), np.array([s.mean_return for s in soft]))


def render(stage, *, fast=False):
    """Write ``token_tree_policy.png``."""
    sweep = token_tree_sweep(FAST_DEPTH if fast else DEPTH, FAST_POINTS if fast else POINTS)
    fig = style.new_figure(6.6, dpi=style.SAVE_DPI)
    axes = fig.subplot_mosaic([["mean", "kl"], ["frontier", "frontier"]])
    leaves = f"${K}^{{{sweep.depth}}}$ = {K ** sweep.depth:,} leaves"

    from matplotlib.ticker import NullFormatter

    ax = axes["mean"]
    ax.plot(sweep.t, sweep.mean_return, "o", color=style.HEAVY, ms=4, label=r"Tr($\pi_t$), this tree")
    ax.plot(sweep.t, sweep.limit_mean, color=style.BLACK, ls="--", lw=1.2, label="infinite tree (exact)")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("threshold t")
    ax.set_ylabel("mean return")
    style.panel_title(ax, "a", "Mean return of the constructed policy")
    ax.legend(loc="upper left")

    ax = axes["kl"]
    ax.plot(sweep.t, sweep.state_kl, "o", color=style.HEAVY, ms=4,
            label=r"E $\Sigma_s$ KL($\pi_t(s)\|\pi_0(s)$)")
    ax.plot(sweep.t, sweep.trajectory_kl, color=style.ORANGE, lw=1.2, label=r"KL($\rho_t\|\rho_0$), leaf sum")
    ax.plot(sweep.t, sweep.limit_kl, color=style.BLACK, ls="--", lw=1.2, label="infinite tree (exact)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("threshold t")
    ax.set_ylabel("KL [nats]")
    style.panel_title(ax, "b", "Per-state KL (chain rule)")
    ax.legend(loc="lower left")

    ax = axes["frontier"]
    ax.plot(sweep.state_kl, sweep.mean_return, "o-", color=style.HEAVY, ms=4, lw=1.0,
            label=rf"Student-t(1.5) leaves: $\pi_t$, t = {sweep.t[0]:g} … {sweep.t[-1]:,.0f}")
    ax.plot(sweep.light_kl, sweep.light_mean, color=style.LIGHT,
            label="Normal(0, 1) leaves: soft-optimal policy (best mean at that KL)")
    ax.set_xscale("log")
    ax.set_xlabel("expected per-state KL [nats]")
    ax.set_ylabel("mean return")
    style.panel_title(ax, "c", "Mean return against KL: heavy leaves reach high returns at small KL")
    ax.legend(loc="center left")
    fig.suptitle(f"Theorem 3 on a token tree ({leaves}, uniform $\\pi_0$, p = $t^{{-0.8}}$)")
    _io.save_png(fig, stage.path(FILES[0]))
