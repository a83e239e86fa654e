"""Numba kernels for token trees: float64 arrays in, arrays or floats out, no validation.

Layout (see ``catgoodhart.mdp``): node j at depth d has children k*j + a at depth d + 1;
the edge probabilities of depth d (k^d entries) start at offset (k^d - k)/(k - 1) of one
flat array, so the k children of a state are k consecutive entries.

KL terms use the generalized form π0 φ(π/π0 - 1) with φ(u) = (1 + u) log1p(u) - u >= 0,
which sums to KL(π‖π0) when both rows sum to one and has no cancellation between terms.

The module compiles nothing when imported: each kernel is compiled (and cached on disk)
the first time it is called.
"""

import math

import numpy as np
from numba import njit

_SERIES = 0.1  # below this |u| (or |d|) the Taylor series is used


# Taylor coefficients, lowest order first: φ(u) = u² Σ_n PHI[n] u^n, γ(d) = d² Σ_n GAMMA[n] d^n;
# at |x| < 0.1 the first omitted term is below 1e-17 of the sum
_PHI = np.array([(-1.0) ** n / (n * (n - 1)) for n in range(2, 19)])
_GAMMA = np.array([(n - 1) / math.factorial(n) for n in range(2, 15)])


@njit(cache=True, error_model="numpy")
def _series(coef, x):
    """x² Σ_n coef[n] x^n by Horner's rule."""
    total = 0.0
    for n in range(coef.size - 1, -1, -1):
        total = total * x + coef[n]
    return total * x * x


@njit(cache=True, error_model="numpy")
def _phi(u):
    """φ(u) = (1 + u) log1p(u) - u = Σ_{n>=2} (-1)^n u^n / (n(n-1)), for u >= -1."""
    if u == -1.0:
        return 1.0
    if abs(u) < _SERIES:
        return _series(_PHI, u)
    return (1.0 + u) * math.log1p(u) - u


@njit(cache=True, error_model="numpy")
def leaf_probabilities(k, depth, edges):
    """Tr(π): the probability of each leaf, the product of the edge probabilities on its path."""
    cur = np.ones(1)
    off = 0
    size = 1
    for _ in range(depth):
        nxt = np.empty(size * k)
        for j in range(size):
            pj = cur[j]
            base = j * k
            for a in range(k):
                nxt[base + a] = pj * edges[off + base + a]
        off += size * k
        size *= k
        cur = nxt
    return cur


@njit(cache=True, error_model="numpy")
def ratio_policy(k, base, w):
    """π(a|s) = π0(a|s) W(s·a) / W(s), W(leaf) = w, W(s) = Σ_a π0(a|s) W(s·a) (bottom-up).

    States with W(s) = 0 keep the base row.
    """
    policy = np.empty(base.size)
    child = w
    size = w.size
    off = base.size - size
    while size > 1:
        parents = size // k
        parent = np.empty(parents)
        for j in range(parents):
            first = j * k
            total = 0.0
            for a in range(k):
                total += base[off + first + a] * child[first + a]
            parent[j] = total
            if total > 0.0:
                for a in range(k):
                    policy[off + first + a] = base[off + first + a] * child[first + a] / total
            else:
                for a in range(k):
                    policy[off + first + a] = base[off + first + a]
        child = parent
        size = parents
        off -= size
    return policy


@njit(cache=True, error_model="numpy")
def state_kl(k, depth, policy, base):
    """Σ_{internal s} P_π(s) KL(π(·|s) ‖ π0(·|s)), accumulated bottom-up as
    K(s) = KL_s + Σ_a π(a|s) K(s·a); unreachable branches (π = 0) add nothing."""
    size = k**depth
    child = np.zeros(size)
    off = policy.size - size
    while size > 1:
        parents = size // k
        parent = np.empty(parents)
        for j in range(parents):
            first = off + j * k
            total = 0.0
            for a in range(k):
                pi = policy[first + a]
                pi0 = base[first + a]
                if pi0 > 0.0:
                    total += pi0 * _phi((pi - pi0) / pi0)
                elif pi > 0.0:
                    total = math.inf
                if pi > 0.0:
                    total += pi * child[j * k + a]
            parent[j] = total
        child = parent
        size = parents
        off -= size
    return child[0]


@njit(cache=True, error_model="numpy")
def leaf_kl(rho, rho0):
    """KL(ρ‖ρ0) = Σ ρ0 φ(ρ/ρ0 - 1) over leaves; ``inf`` where ρ > 0 = ρ0."""
    total = 0.0
    for i in range(rho.size):
        if rho0[i] > 0.0:
            total += rho0[i] * _phi((rho[i] - rho0[i]) / rho0[i])
        elif rho[i] > 0.0:
            return math.inf
    return total


@njit(cache=True, error_model="numpy")
def soft_dp(k, base, returns, beta, want_policy, center):
    """Backward soft Bellman recursion for max E_π[return] - β KL.

    W(leaf) = return, W(s) = β log Σ_a π0(a|s) e^{W(s·a)/β}, summed about the largest child
    W_top: with u_a = expm1((W(s·a) - W_top)/β) and S = Σ_a π0(a|s)(1 + u_a),
    log S = log1p(Σ_a π0 u_a) while S > ½ (large β; this also treats the row as summing to 1
    exactly), log S directly below (small β). π*(a|s) = π0(a|s) e^{d_a} with
    e^{d_a} = (1 + u_a)/S and d_a = (W(s·a) - W_top)/β - log S = (W(s·a) - W(s))/β; the
    state's KL is Σ_a π0 γ(d_a). Mean return, expected KL and E[(return - center)²] are accumulated
    bottom-up. Returns (policy (empty unless ``want_policy``), W(root), mean, KL, second moment).
    """
    policy = np.zeros(base.size if want_policy else 0)
    value = returns.copy()
    mean = returns.copy()
    kl = np.zeros(returns.size)
    second = (returns - center) ** 2
    u = np.empty(k)
    size = returns.size
    off = base.size - size
    while size > 1:
        parents = size // k
        pv = np.empty(parents)
        pm = np.empty(parents)
        pk = np.empty(parents)
        p2 = np.empty(parents)
        for j in range(parents):
            first = j * k
            top = -math.inf
            for a in range(k):
                if base[off + first + a] > 0.0 and value[first + a] > top:
                    top = value[first + a]
            near = 0.0
            for a in range(k):
                pi0 = base[off + first + a]
                if pi0 > 0.0:
                    u[a] = math.expm1((value[first + a] - top) / beta)
                    near += pi0 * u[a]
            if near > -0.5:
                s = 1.0 + near
                log_s = math.log1p(near)
            else:
                s = 0.0
                for a in range(k):
                    pi0 = base[off + first + a]
                    if pi0 > 0.0:
                        s += pi0 * (1.0 + u[a])
                log_s = math.log(s)
            w = top + beta * log_s
            m = 0.0
            m2 = 0.0
            d_kl = 0.0
            for a in range(k):
                pi0 = base[off + first + a]
                if pi0 > 0.0:
                    ed = (1.0 + u[a]) / s
                    pi = pi0 * ed
                    if want_policy:
                        policy[off + first + a] = pi
                    d = (value[first + a] - top) / beta - log_s  # not (W(s·a) - W(s))/β: cancels
                    d_kl += pi0 * (_series(_GAMMA, d) if abs(d) < _SERIES else d * ed - (ed - 1.0))
                    if pi > 0.0:
                        m += pi * mean[first + a]
                        m2 += pi * second[first + a]
                        d_kl += pi * kl[first + a]
            pv[j] = w
            pm[j] = m
            pk[j] = d_kl
            p2[j] = m2
        value = pv
        mean = pm
        kl = pk
        second = p2
        size = parents
        off -= size
    return policy, value[0], mean[0], kl[0], second[0]
