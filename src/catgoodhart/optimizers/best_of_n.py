"""Best-of-n: draw n responses from π0 and keep the one with the highest proxy.

Continuous proxy (Stiennon et al. 2020; Gao et al., arXiv 2210.10760, §2): dπ/dπ0 = n F_U(U)^{n-1},

    KL = log n - (n - 1)/n,  max dπ/dπ0 = n,
    E_π[Z] = E[Z] + ∫ n(n - 1) F_U^{n-2} f_U(u) F̄_U(u) (E[Z | U >= u] - E[Z]) du   (by parts),

integrated on the model's table (f_U = h_U F̄_U); the weight is the second-best's density and the
integrand vanishes where E[Z | U >= u] = E[Z], so no part of it cancels. Real n >= 1 are allowed
(F_U^{-1}(W^{1/n}), W uniform, has this law), so KL can be matched exactly; for 1 < n < 2 the
weight is singular at F_U = 0 and the part where F_U < 1e-13 (at most n·1e-13·|u| there) is left out.

Pool: with distinct values u_1 < ... < u_m, masses P_j and F_j = P_1 + ... + P_j, the best of n
lands on u_j with q_j = F_j^n - F_{j-1}^n (ties: the base's own choice among them), so
KL = Σ q_j log(q_j/P_j) exactly (log n - (n-1)/n is only an upper bound there).
"""

import math

import numpy as np

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._pool import best_of_n_moments, cdf_terms
from catgoodhart.optimizers._table import table_for

_F_CUT = 1e-13
_NEWTON_STEPS = 12
_KL_RTOL = 1e-12
_LOG_N_MAX = math.log(1e300)


def best_of_n(model, *, n=None, kl=None, probabilities=True):
    """The best of n draws by proxy, for each n >= 1 (real n interpolates); or, given ``kl``
    instead, the n whose policy has exactly that KL (in closed form for a continuous proxy, by
    Newton's method on a pool)."""
    model = policy.check_model(model)
    if (n is None) == (kl is None):
        raise ValueError("give exactly one of `n` and `kl`")
    moments = None
    if kl is not None:
        budget, shape = policy.strengths("kl", kl, low=0.0, high=690.0)
        flat = n_for_kl(budget)
        if model.kind == "pool":
            flat, moments = _pool_n_for_kl(model, budget, flat)
    else:
        flat, shape = policy.strengths("n", n, low=1.0, high=1e300)
    parameters = {}
    if model.kind == "pool":
        kl, mean_u, mean_v, odds, probs = _pool(model, flat, probabilities, moments)
        return policy.make("best_of_n", model, "n", flat, shape, exists=True,
                           reason="exact: q_j = F_j^n - F_{j-1}^n on the distinct proxy values",
                           kl=kl, mean_proxy=mean_u, mean_utility=mean_v, max_odds_ratio=odds,
                           parameters=parameters, probabilities=probs)
    mean_u = np.full(flat.size, model.mean_proxy)
    mean_v = np.full(flat.size, model.mean_utility)
    many = flat > 1.0
    if np.any(many):
        mean_v[many], mean_u[many] = _continuous(model, flat[many])
    with np.errstate(divide="ignore"):
        kl = np.log(flat) - 1.0 + 1.0 / flat
    reason = np.where(np.isposinf(mean_u),
                      "exact; E[U] = ∞ (the error's upper tail has no mean), so E_π[U] = ∞",
                      "exact: dπ/dπ0 = n F_U^(n-1)")
    return policy.make("best_of_n", model, "n", flat, shape, exists=True, reason=reason,
                       kl=np.maximum(kl, 0.0),
                       mean_proxy=mean_u, mean_utility=mean_v, max_odds_ratio=flat)


def n_for_kl(kl):
    """n with log n - (n - 1)/n = kl (Newton's method on x = log n, where the left side is
    x - 1 + e^{-x}, increasing and convex)."""
    kl = np.asarray(kl, dtype=float)
    x = np.where(kl > 1.0, kl + 1.0, np.sqrt(2.0 * kl) + 2.0 * kl / 3.0)
    for _ in range(100):
        with np.errstate(all="ignore"):
            f = x - 1.0 + np.exp(-x) - kl
            step = f / -np.expm1(-x)
        x = np.maximum(x - np.where(np.isfinite(step), step, 0.0), 0.5 * x)
        if np.all(np.abs(step) <= 1e-15 * x):
            break
    return np.exp(x)


def _pool_n_for_kl(model, kl, n):
    """n with the pool's exact KL(n) = kl, by Newton's method on log n from ``n`` (the continuous
    proxy's n, close unless n approaches the pool's size), and the kernel's moments there. A kl
    beyond -log P_top (what n -> ∞ spends) is not reached and keeps the last n."""
    terms = (*cdf_terms(model), model.values, model.group_utility)
    x = np.log(n)
    out = np.empty((n.size, 5))
    todo = np.arange(n.size)
    for _ in range(_NEWTON_STEPS):
        out[todo] = best_of_n_moments(*terms, np.exp(x[todo]))
        miss = out[todo, 0] - kl[todo]
        slope = np.exp(x[todo]) * out[todo, 3]  # dKL/d log n
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.clip(miss / slope, -2.0, 2.0)
        live = (np.abs(miss) > _KL_RTOL * kl[todo]) & np.isfinite(step) & (x[todo] < _LOG_N_MAX)
        todo, step = todo[live], step[live]
        if not todo.size:
            break
        x[todo] = np.clip(x[todo] - step, 0.0, _LOG_N_MAX)
    return np.exp(x), out


def _continuous(model, n):
    table = table_for(model)
    table.extend(float(np.log(n).max()) + 40.0)
    log_n = np.log(n) + np.log(n - 1.0)
    ev, eu = model.mean_utility, model.mean_proxy

    def log_weight(u, i, f):
        log_sf = np.minimum(f[..., 0], 0.0)
        with np.errstate(all="ignore"):
            cdf = -np.expm1(log_sf)
            # log F_U = log(1 - F̄_U), kept where F̄_U is below the rounding of 1 - F̄_U
            log_cdf = np.where(log_sf < -math.log(2.0), np.log1p(-np.exp(log_sf)), np.log(cdf))
            log_w = log_n[i] + (n[i] - 2.0) * log_cdf + f[..., 3] + 2.0 * log_sf
        return np.where((n[i] < 2.0) & (cdf < _F_CUT), -np.inf, log_w)

    finite = math.isfinite(eu)  # E[U] = ∞ (an error without a mean): E_π[U] = ∞ for every n

    def extra(u, i, f):
        return f[..., 1] - ev, (f[..., 1] + f[..., 2] - eu) if finite else f[..., 1]

    m = n.size
    log_mass, means = table.integrate(log_weight, np.full(m, -math.inf), np.full(m, math.inf),
                                      extra=extra, n_extra=2, in_z=True)
    mass = np.exp(log_mass)
    return ev + mass * means[2], eu + mass * means[3] if finite else np.full(m, eu)


def _pool(model, n, probabilities, out=None):
    terms = cdf_terms(model)
    log_cdf, log_step, mass = terms[:3]
    if out is None:
        out = best_of_n_moments(*terms, model.values, model.group_utility, n)
    kl = np.where(n == 1.0, 0.0, out[:, 0])
    probs = None
    if probabilities:
        with np.errstate(all="ignore"):
            probs = np.stack([model.probabilities(np.exp(count * log_cdf + np.log(-np.expm1(count * log_step))
                                                         ) / mass) for count in n])
    return kl, out[:, 1], out[:, 2], out[:, 4], probs
