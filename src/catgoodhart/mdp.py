"""Token-tree MDPs: trajectory distributions, the policy that reproduces one, the chain rule.

Kwa, Thomas & Garriga-Alonso (arXiv 2407.14503), Theorem 3, the MDP theorem (label thm3 in
the LaTeX source). A token tree is a deterministic-
transition MDP with Markovian returns: vocabulary size k >= 2, depth T >= 1, a state is a
prefix, a leaf is a full sequence of T tokens and carries a return.

Layout: nodes in level order, node j at depth d has children k*j + a (a = 0..k-1) at
depth d + 1. A policy is one flat float64 array of edge probabilities over the non-root
nodes: the block of depth d (k^d entries) starts at offset (k^d - k)/(k - 1), and the entry
of node c is π(a = c mod k | parent c // k). Leaf arrays have k^T entries.

    Tr(π)(τ) = Π_i π(a_i | s_i)                                  (trajectory distribution)
    ρ_t = ρ0 (1 - p)/F(t) where return <= t,  ρ0 p/F̄(t) above   (proof of thm3, ρ0 = Tr(π0))
    π(a|s) = ρ(s·a)/ρ(s)  gives  Tr(π) = ρ                      (proof of thm3)
    E_{τ~Tr(π)} Σ_{s∈τ} KL(π(s)‖π0(s)) = KL(Tr(π)‖Tr(π0))        (chain rule)
    W(s) = β log Σ_a π0(a|s) e^{W(s·a)/β},  π*(a|s) = π0(a|s) e^{(W(s·a) - W(s))/β}   (soft DP)

Everything is exact (no sampling): the kernels in ``_tree_kernels`` walk the tree level by
level, and are imported only when a function needs them.
"""

import math
import numbers
import os
from dataclasses import dataclass

import numpy as np

from catgoodhart import _random, _validation
from catgoodhart._results import Result
from catgoodhart.distributions._base import Distribution

_MEMORY_FACTOR = 4  # temporaries per stored float64 (level buffers, copies, masks)
_MAX_LEAVES = 2**31  # the kernels index leaves with machine integers
_ROW_TOL = 1e-12  # a state's k action probabilities must sum to 1 within this
_MASS_TOL = 1e-9  # a leaf distribution must sum to 1 within this


def _available_bytes():
    """Memory available to this process: MemAvailable (Linux), else free pages, else physical
    memory; None when the system does not say."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return os.sysconf(name) * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            continue
    return None


def _shape(k, depth):
    """Validated (k, depth); refuses trees that do not fit in memory or in int indexing."""
    for name, value, low in (("k", k, 2), ("depth", depth, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}")
    k, depth = int(k), int(depth)
    leaves = k**depth
    need = 8 * (_edge_count(k, depth) + leaves) * _MEMORY_FACTOR
    have = _available_bytes()
    if have is not None and need > have:
        raise ValueError(f"`k` = {k} and `depth` = {depth} give {leaves} leaves, which need about "
                         f"{need:.3e} bytes; {have:.3e} bytes are available")
    if leaves > _MAX_LEAVES:
        raise ValueError(f"`k` ** `depth` must be <= 2**31 leaves, got {k}**{depth} = {leaves}")
    return k, depth


def _edge_count(k, depth):
    """Σ_{d=1}^{T} k^d, the number of non-root nodes."""
    return (k ** (depth + 1) - k) // (k - 1)


def _state_name(row, k):
    """'node j at depth d' for the row-th internal state in level order."""
    d, start = 0, 0
    while row >= start + k**d:
        start += k**d
        d += 1
    return f"node {row - start} at depth {d}"


def _policy_array(name, values, k, depth):
    """A validated copy of an edge-probability array, each state's row renormalized to sum 1."""
    arr = _float_array(name, values, _edge_count(k, depth),
                       f"edge probabilities (k = {k}, depth = {depth})", nonnegative=True)
    rows = arr.reshape(-1, k)
    sums = rows.sum(axis=1)
    zero = np.flatnonzero(sums == 0)
    if zero.size:
        raise ValueError(f"`{name}` gives {_state_name(int(zero[0]), k)} only zero action "
                         "probabilities; each state's must sum to 1")
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_TOL)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"`{name}`: each state's {k} action probabilities must sum to 1 (within "
                         f"{_ROW_TOL:g}); {_state_name(i, k)} sums to {float(sums[i])!r}")
    rows /= sums[:, None]
    return arr


def _float_array(name, values, n, what, *, nonnegative=False):
    """A validated float copy of a 1-D array of n finite values (>= 0 if ``nonnegative``)."""
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{name}` must be an array of {n} {what}, got {values!r}") from e
    if arr.shape != (n,):
        raise ValueError(f"`{name}` must be a 1-D array of {n} {what}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"`{name}` must be >= 0, got {float(arr.min())!r}")
    return arr


@dataclass(frozen=True, repr=False, eq=False)
class TokenTree:
    """A token tree: k, depth T, the base policy π0 (flat edge probabilities, rows summing to 1)
    and the k^T leaf returns. The arrays are read-only."""

    k: int
    depth: int
    base_policy: np.ndarray
    returns: np.ndarray

    def __post_init__(self):
        k, depth = _shape(self.k, self.depth)
        policy = _policy_array("base_policy", self.base_policy, k, depth)
        returns = _float_array("returns", self.returns, k**depth, "leaf returns (k**depth)")
        policy.setflags(write=False)
        returns.setflags(write=False)
        for name, value in (("k", k), ("depth", depth), ("base_policy", policy), ("returns", returns)):
            object.__setattr__(self, name, value)

    @property
    def leaves(self):
        """k^T."""
        return self.k**self.depth

    @property
    def edges(self):
        """Σ_{d=1}^{T} k^d, the length of a policy array."""
        return _edge_count(self.k, self.depth)

    def __repr__(self):
        return f"TokenTree(k={self.k}, depth={self.depth}, leaves={self.leaves})"


def token_tree(k, depth, *, returns, base_policy="uniform", concentration=1.0, seed=None):
    """Build a token tree with k^depth leaves.

    Parameters
    ----------
    k, depth : int
        Vocabulary size k >= 2 and sequence length T >= 1.
    returns : Distribution or array
        The leaf returns, or a law to draw k^T of them from (``dist.sample``).
    base_policy : "uniform", "dirichlet" or array
        π0: uniform, each state's row ~ Dirichlet(concentration·1), or an explicit flat array
        of edge probabilities (rows renormalized to sum 1 exactly).
    concentration : float
        Dirichlet concentration, > 0.
    seed : int, numpy.random.Generator or None
        Policy and returns draw from separate child streams; the same int gives the same tree.

    Example
    -------
    >>> from catgoodhart.distributions import StudentT
    >>> token_tree(2, 20, returns=StudentT(nu=1.5), seed=0)
    TokenTree(k=2, depth=20, leaves=1048576)
    """
    k, depth = _shape(k, depth)
    concentration = _validation.real("concentration", concentration, low=0.0, low_open=True)
    policy_seed, returns_seed = _random.seed_sequence(seed).spawn(2)
    n = _edge_count(k, depth)
    if isinstance(base_policy, str):
        if base_policy == "uniform":
            base_policy = np.full(n, 1.0 / k)
        elif base_policy == "dirichlet":
            rng = np.random.default_rng(policy_seed)
            base_policy = rng.dirichlet(np.full(k, concentration), size=n // k).ravel()
        else:
            raise ValueError("`base_policy` must be 'uniform', 'dirichlet' or an array of edge "
                             f"probabilities, got {base_policy!r}")
    if isinstance(returns, Distribution):
        returns = returns.sample(k**depth, seed=returns_seed)
    return TokenTree(k, depth, base_policy, returns)


def _check_tree(tree):
    if not isinstance(tree, TokenTree):
        raise ValueError(f"`tree` must be a TokenTree (see token_tree), got {tree!r}")


def _leaf_distribution(name, values, tree):
    """A validated copy of a distribution over the leaves, normalized to sum 1."""
    arr = _float_array(name, values, tree.leaves, "leaf probabilities (k**depth)", nonnegative=True)
    total = float(arr.sum())
    if abs(total - 1.0) > _MASS_TOL:
        raise ValueError(f"`{name}` must sum to 1 (within {_MASS_TOL:g}), got {total!r}")
    arr /= total
    return arr


def _base_leaves(tree):
    from catgoodhart import _tree_kernels

    return _tree_kernels.leaf_probabilities(tree.k, tree.depth, tree.base_policy)


def trajectory_distribution(tree, policy=None):
    """Tr(π): leaf probabilities, the product of the edge probabilities along each path.

    Parameters
    ----------
    tree : TokenTree
    policy : array, optional
        Flat edge probabilities (rows summing to 1); the base policy π0 when omitted.

    Returns
    -------
    numpy.ndarray
        k^T leaf probabilities.
    """
    from catgoodhart import _tree_kernels

    _check_tree(tree)
    if policy is None:
        return _base_leaves(tree)
    edges = _policy_array("policy", policy, tree.k, tree.depth)
    return _tree_kernels.leaf_probabilities(tree.k, tree.depth, edges)


def _split(tree, rho0, t):
    """(mask of leaves with return <= t, F(t), F̄(t)), both masses summed directly under ρ0."""
    below = tree.returns <= t
    return below, float(rho0[below].sum()), float(rho0[~below].sum())


def reweight_trajectories(tree, t, p):
    """ρ_t: the Theorem 1 factor of each leaf's return applied to ρ0 = Tr(π0).

    ρ_t = ρ0 (1 - p)/F(t) where return <= t and ρ0 p/F̄(t) where return > t, with
    F(t) = ρ0(return <= t) and F̄(t) = ρ0(return > t) (proof of thm3). The mass above t is p,
    the return law under ρ_t is the threshold member P_{t,p} of the leaves' return law, and
    ρ_t is uniform in the return given the return, so KL(ρ_t‖ρ0) =
    (1 - p) log((1 - p)/F) + p log(p/F̄).

    Parameters
    ----------
    tree : TokenTree
    t : float
        Threshold; leaves of positive ρ0 mass must lie on both sides.
    p : float
        Mass placed above t, in (0, 1).
    """
    _check_tree(tree)
    t = _validation.real("t", t)
    p = _validation.real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    rho0 = _base_leaves(tree)
    below, F, Fbar = _split(tree, rho0, t)
    if not (F > 0 and Fbar > 0):
        raise ValueError(f"`t` must leave leaves on both sides (F(t) > 0 and F̄(t) > 0 under ρ0), got "
                         f"t = {t!r} with F(t) = {F!r}, F̄(t) = {Fbar!r}; leaf returns lie in "
                         f"[{float(tree.returns.min())!r}, {float(tree.returns.max())!r}]")
    return np.where(below, rho0 * ((1.0 - p) / F), rho0 * (p / Fbar))


def policy_from_trajectories(tree, rho):
    """The policy π with Tr(π) = ρ: π(a|s) = ρ(s·a)/ρ(s) (proof of thm3).

    Computed through the likelihood ratio, which keeps π close to π0 digit for digit where ρ
    is close to ρ0: w = ρ/ρ0 on the leaves, W(s) = Σ_a π0(a|s) W(s·a) bottom-up (so
    W(s) = ρ(s)/ρ0(s)) and π(a|s) = π0(a|s) W(s·a)/W(s). States with ρ(s) = 0 keep π0's row
    (they are never reached). ρ must be absolutely continuous with respect to ρ0 = Tr(π0):
    a leaf with ρ > 0 = ρ0 has infinite KL and raises ``ValueError`` (a ρ0 that underflows to
    0 on a very deep tree with a very peaked π0 counts as 0).

    Parameters
    ----------
    tree : TokenTree
    rho : array
        k^T leaf probabilities summing to 1.

    Returns
    -------
    numpy.ndarray
        Flat edge probabilities.
    """
    from catgoodhart import _tree_kernels

    _check_tree(tree)
    rho = _leaf_distribution("rho", rho, tree)
    rho0 = _base_leaves(tree)
    support = rho0 > 0
    outside = np.count_nonzero(rho[~support] > 0)
    if outside:
        raise ValueError(f"`rho` must be absolutely continuous with respect to Tr(π0): {outside} "
                         "leaves have rho > 0 where the base policy gives them probability 0 "
                         "(the KL would be infinite)")
    w = np.zeros(rho.size)
    np.divide(rho, rho0, out=w, where=support)
    return _tree_kernels.ratio_policy(tree.k, tree.base_policy, w)


def expected_state_kl(tree, policy):
    """E_{τ~Tr(π)}[Σ_{s∈τ} KL(π(·|s) ‖ π0(·|s))] = Σ_{internal s} P_π(s) KL(π(s)‖π0(s)).

    By the chain rule it equals KL(Tr(π)‖Tr(π0)). Actions with π = 0 add nothing; π > 0 where
    π0 = 0 on a reachable state gives ``inf``.
    """
    from catgoodhart import _tree_kernels

    _check_tree(tree)
    policy = _policy_array("policy", policy, tree.k, tree.depth)
    return float(_tree_kernels.state_kl(tree.k, tree.depth, policy, tree.base_policy))


def trajectory_kl(tree, rho):
    """KL(ρ‖ρ0) = Σ_leaves ρ log(ρ/ρ0) with ρ0 = Tr(π0); ``inf`` where ρ > 0 = ρ0."""
    from catgoodhart import _tree_kernels

    _check_tree(tree)
    rho = _leaf_distribution("rho", rho, tree)
    return float(_tree_kernels.leaf_kl(rho, _base_leaves(tree)))


def mean_return(tree, rho):
    """E_ρ[return] = Σ_leaves ρ · return."""
    _check_tree(tree)
    rho = _leaf_distribution("rho", rho, tree)
    return float(np.dot(rho, tree.returns))


@dataclass(frozen=True, repr=False)
class SoftPolicy(Result):
    """The maximizer π* of E_π[return] - β KL(Tr(π)‖Tr(π0)) on a token tree."""

    beta: float
    policy: np.ndarray  # flat edge probabilities
    value: float  # W(root) = max_π E_π[return] - β KL
    mean_return: float  # E_{Tr(π*)}[return]
    kl: float  # KL(Tr(π*)‖Tr(π0)) = E Σ_s KL(π*(s)‖π0(s))


def soft_optimal_policy(tree, beta):
    """The KL-penalized optimal policy by backward soft dynamic programming.

    W(leaf) = return, W(s) = β log Σ_a π0(a|s) e^{W(s·a)/β} (log-sum-exp, stable for tiny β),
    π*(a|s) = π0(a|s) e^{(W(s·a) - W(s))/β}. Then Tr(π*) = ρ0 e^{(return - W(root))/β}, the
    exponential tilt of the leaves' return law (``catgoodhart.tilting.tilt``), and
    W(root) = max_π E_π[return] - β KL(Tr(π)‖Tr(π0)).

    Parameters
    ----------
    tree : TokenTree
    beta : float
        Penalty β > 0; ``inf`` gives π* = π0.
    """
    from catgoodhart import _tree_kernels

    _check_tree(tree)
    beta = _validation.real("beta", beta, low=0.0, low_open=True, allow_inf=True)
    if math.isinf(beta):
        mean = float(np.dot(_base_leaves(tree), tree.returns))
        return SoftPolicy(beta, np.array(tree.base_policy), mean, mean, 0.0)
    policy, value, mean, kl, _ = _tree_kernels.soft_dp(tree.k, tree.base_policy, tree.returns, beta,
                                                        True, 0.0)
    return SoftPolicy(beta, policy, float(value), float(mean), float(kl))


def _soft_mean_at_kl(tree, kl):
    """(mean return, β) of the soft-optimal policy whose KL is ``kl``: the largest mean of any
    policy with KL <= kl. Where even β -> 0 stays below ``kl`` (KL -> -log ρ0(top return)) it
    is (top return, 0).

    Safeguarded Newton on h(x) = log KL(e^x) - log kl, x = log β, which is nearly linear
    (slope -2 for large β): dKL/dλ = λ Var_{π*}(return) gives h'(x) = -Var/(β² KL).
    """
    from catgoodhart import _tree_kernels

    rho0 = _base_leaves(tree)
    r = tree.returns
    top = float(r[rho0 > 0].max())
    if kl >= -math.log(float(rho0[r == top].sum())):
        return top, 0.0
    center = float(np.dot(rho0, r))
    sigma = math.sqrt(float(np.dot(rho0, (r - center) ** 2)))
    if not sigma > 0:
        return top, 0.0
    x = math.log(sigma / math.sqrt(2.0 * kl))  # KL ≈ σ²/(2β²) for large β
    lo, hi = -math.inf, math.inf  # h(lo) > 0 >= h(hi): KL falls as β grows
    for _ in range(100):
        beta = math.exp(x)
        _, _, mean, kl_x, second = _tree_kernels.soft_dp(tree.k, tree.base_policy, r, beta, False, center)
        h = math.log(kl_x) - math.log(kl) if kl_x > 0 else -math.inf
        if h > 0:
            lo = x
        else:
            hi = x
        if h == 0:
            break
        var = second - (mean - center) ** 2
        step = h * beta * beta * kl_x / var if var > 0 and math.isfinite(h) else math.nan
        if not abs(step) <= 2.0:  # at most a factor e² in β per step; h > 0 wants larger β
            step = 2.0 if h > 0 else -2.0
        tol = 1e-13 * max(1.0, abs(x))  # β to ~1e-13: h itself is known to ~1e-15
        if abs(step) <= tol or hi - lo <= tol:
            break
        nxt = x + step
        if not lo < nxt < hi and math.isfinite(lo) and math.isfinite(hi):
            nxt = 0.5 * (lo + hi)
        x = nxt
    return float(mean), beta
