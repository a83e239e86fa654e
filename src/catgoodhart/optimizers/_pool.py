"""Sums over a pool's distinct proxy values for many strengths at once (numba, parallel over
the strengths): the softmax family π_j ∝ P_j e^{λ b_j} (tilts of the proxy or of a bounded
transform of it) and best-of-n's q_j = F_j^n - F_{j-1}^n, each with the derivative of its KL.
"""

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def softmax_moments(b, p, u, v, lam):
    """For each λ: (KL, E_π[U], E_π[V], E_π[b], dKL/dλ = λ Var_π(b), log E[e^{λb}]) of
    π_j ∝ P_j e^{λ b_j}. The exponent is taken about the mean of b where λ(max b - mean b) < 600
    (then E[e^{λ(b - c)}] = 1 + O(λ²) and KL = λ(E_π b - c) - log E[e^{λ(b - c)}] keeps its
    digits), about max b otherwise (no overflow)."""
    m = lam.size
    out = np.empty((m, 6))
    top = b.max()
    mean = 0.0
    for j in range(b.size):
        mean += p[j] * b[j]
    for k in prange(m):
        lk = lam[k]
        c = mean if lk * (top - mean) < 600.0 else top
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        su = 0.0
        sv = 0.0
        for j in range(b.size):
            d = b[j] - c
            w = p[j] * math.exp(lk * d)
            s0 += w
            s1 += w * d
            s2 += w * d * d
            su += w * u[j]
            sv += w * v[j]
        e1 = s1 / s0
        var = max(s2 / s0 - e1 * e1, 0.0)
        log_z = math.log(s0)
        out[k, 0] = max(lk * e1 - log_z, 0.0)
        out[k, 1] = su / s0
        out[k, 2] = sv / s0
        out[k, 3] = c + e1
        out[k, 4] = lk * var
        out[k, 5] = lk * c + log_z
    return out


@njit(cache=True, parallel=True)
def best_of_n_moments(log_cdf, log_step, log_p, u, v, n):
    """For each n: (KL, E_π[U], E_π[V], dKL/dn, q at the top value / P there) of best-of-n on
    distinct values u_j (ascending) with log F_j, log(F_{j-1}/F_j) and log P_j: q_j = F_j^n
    (1 - (F_{j-1}/F_j)^n). Values where n log F_j < -745 (q_j underflows) are skipped, from the
    bottom up to the first that counts."""
    m = n.size
    size = log_cdf.size
    out = np.empty((m, 5))
    for k in prange(m):
        nk = n[k]
        kl = 0.0
        su = 0.0
        sv = 0.0
        dkl = 0.0
        for j in range(size - 1, -1, -1):
            a = nk * log_cdf[j]
            if a < -745.0:
                break
            fj = math.exp(a)  # F_j^n
            if log_step[j] == -math.inf:
                q = fj
                prev = 0.0
                prev_log = 0.0
            else:
                q = -fj * math.expm1(nk * log_step[j])
                prev = fj * math.exp(nk * log_step[j])  # F_{j-1}^n
                prev_log = log_cdf[j] + log_step[j]
            if q <= 0.0:
                continue
            log_ratio = math.log(q) - log_p[j]
            kl += q * log_ratio
            su += q * u[j]
            sv += q * v[j]
            dkl += (fj * log_cdf[j] - prev * prev_log) * log_ratio  # Σ dq_j/dn · log(q_j/P_j)
        out[k, 0] = max(kl, 0.0)
        out[k, 1] = su
        out[k, 2] = sv
        out[k, 3] = dkl
        out[k, 4] = -math.expm1(nk * log_step[size - 1]) * math.exp(nk * log_cdf[size - 1] - log_p[size - 1])
    return out


def cdf_terms(model):
    """(log F_j, log(F_{j-1}/F_j), log P_j) of a pool, with log F_j = log1p(-(mass above u_j))
    where that mass is small, so that F_j^n keeps its digits for large n."""
    p = model.mass
    above = np.concatenate([model.upper_mass[1:], [0.0]])
    cdf = np.minimum(np.cumsum(p), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cdf = np.where(above < 0.5, np.log1p(-above), np.log(cdf))
        log_step = np.log1p(-p / cdf)  # -inf at j = 1
    return log_cdf, log_step, np.log(p)
