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


def best_of_n(model, *, n, probabilities=True):
    """The best of n draws by proxy, for each n >= 1 (real n interpolates)."""
    model = policy.check_model(model)
    flat, shape = policy.strengths("n", n, low=1.0, high=1e300)
    parameters = {}
    if model.kind == "pool":
        kl, mean_u, mean_v, odds, probs = _pool(model, flat, probabilities)
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


def _pool(model, n, probabilities):
    log_cdf, log_step, log_p = cdf_terms(model)
    out = best_of_n_moments(log_cdf, log_step, log_p, model.values, model.group_utility, n)
    kl = np.where(n == 1.0, 0.0, out[:, 0])
    probs = None
    if probabilities:
        with np.errstate(all="ignore"):
            probs = np.stack([model.probabilities(np.exp(count * log_cdf + np.log(-np.expm1(count * log_step))
                                                         - log_p)) for count in n])
    return kl, out[:, 1], out[:, 2], out[:, 4], probs
