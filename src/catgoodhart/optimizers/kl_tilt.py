"""The KL-penalized optimum (Kwa et al., arXiv 2407.14503, §3.3 and Theorem 4's π*):

    π_β = argmax E_π[U] - β KL(π‖π0) = π0 e^{λU - K(λ)},  λ = 1/β,  K(λ) = log E_π0[e^{λU}],
    KL = λ K'(λ) - K(λ),  E_π[U] = K'(λ),  max dπ/dπ0 = e^{λ sup U - K(λ)}.

Independent laws and pools use ``catgoodhart.tilting`` (K = K_X + K_V in closed form; the
softmax of a pool). For an error that depends on the utility, by parts with T_Z(u) = E[Z; U >= u],
E[Z e^{λU}] = ∫ λ e^{λu} T_Z(u) du, integrated on the model's table. The optimum exists only
for λ below the radius of U's moment generating function (never for a heavy-tailed U).
"""

import math

import numpy as np

from catgoodhart import tilting
from catgoodhart.optimizers import policy
from catgoodhart.optimizers._pool import softmax_moments, tilt_sums
from catgoodhart.optimizers._table import table_for


def kl_tilt(model, *, beta, probabilities=True):
    """π_β ∝ π0·e^{U/β} for each penalty β > 0 (β = ∞ is π0)."""
    model = policy.check_model(model)
    flat, shape = policy.strengths("beta", beta, low=0.0, low_open=True, allow_inf=True)
    with np.errstate(over="ignore"):  # β below the normal doubles: λ = inf, the top value's limit
        lam = np.where(np.isinf(flat), 0.0, 1.0 / flat)
    if model.kind == "pool":
        kl, mean_u, mean_v, odds, probs = pool_tilt(model, "proxy", lambda u: u, lam, probabilities)
        return policy.make("kl_tilt", model, "beta", flat, shape, exists=True,
                           reason=np.where(lam > 0, "the optimum π ∝ π0·exp(U/β) exists", "β = ∞: π = π0"),
                           kl=kl, mean_proxy=mean_u, mean_utility=mean_v, max_odds_ratio=odds,
                           probabilities=probs)
    n = flat.size
    out = {k: np.full(n, math.nan) for k in ("kl", "mean_proxy", "mean_utility", "max_odds_ratio")}
    exists = np.ones(n, dtype=bool)
    reason = np.full(n, "the optimum π ∝ π0·exp(U/β) exists", dtype=object)
    base = tilting._as_base(model, None) if model.kind != "dependent" else None
    live = []
    for i, lm in enumerate(lam):
        if lm == 0.0:
            out["kl"][i], out["mean_proxy"][i] = 0.0, model.mean_proxy
            out["mean_utility"][i] = model.mean_utility
            out["max_odds_ratio"][i] = 1.0
            reason[i] = "β = ∞: π = π0"
            continue
        if model.kind == "dependent":
            live.append(i)
            continue
        r = tilting._result(base, lm)
        exists[i], reason[i] = r.exists, r.reason
        if not r.exists:
            continue
        out["kl"][i], out["mean_proxy"][i], out["mean_utility"][i] = r.kl, r.mean_reward, r.mean_utility
        top = model.upper_end
        with np.errstate(over="ignore"):
            out["max_odds_ratio"][i] = (math.inf if math.isinf(top)
                                        else math.exp(min(lm * top - r.log_partition, 710.0)))
    if live:
        _dependent(model, lam, np.array(live), out, exists, reason)
    return policy.make("kl_tilt", model, "beta", flat, shape, exists=exists, reason=reason, **out)


def pool_tilt(model, key, score, lam, probabilities):
    """(KL, E_π[U], E_π[V], max dπ/dπ0, probabilities) of π_j ∝ P_j e^{λ b_j} on a pool's
    distinct values u_j, b_j = score(u_j), for each λ >= 0 (the bounded tilt scores by the
    transformed proxy); ``key`` names the score for the pool's cached sums."""
    sums = tilt_sums(model, key, score)
    out = softmax_moments(sums, lam)
    lam, ref, log_z = np.minimum(lam, 1e300), out[:, 3], out[:, 4]
    with np.errstate(invalid="ignore"):  # 0·inf where λ is 0
        odds = np.exp(np.minimum(lam * (sums.top - ref) - log_z, 709.0))
    odds = np.where(lam > 0, odds, 1.0)
    probs = None
    if probabilities:
        b = sums.b
        probs = np.stack([model.probabilities(np.exp(np.where(lm > 0, lm * (b - c), 0.0) - lz))
                          for lm, c, lz in zip(lam, ref, log_z, strict=True)])
    return out[:, 0], out[:, 1], out[:, 2], odds, probs


def _dependent(model, lam, live, out, exists, reason):
    radius = model.mgf_radius
    bad = lam[live] >= radius
    for i in live[bad]:
        exists[i] = False
        reason[i] = (f"{model!r}: U is heavy-tailed, E[e^{{λU}}] = ∞ for every λ > 0" if radius == 0 else
                     f"{model!r}: E[e^{{U/β}}] = ∞ for β <= {1 / radius:.10g} (here β = {1 / lam[i]:.10g})")
    live = live[~bad]
    if live.size == 0:
        return
    table = table_for(model)
    lm = lam[live]
    a = table.u_lo

    def log_weight(u, i, f):
        return np.log(lm[i]) + lm[i] * (u - a) + f[..., 0]

    table.cover(log_weight, lm.size)  # e^{λu} F̄_U(u) must have fallen off at the table's top
    log_w, means = table.integrate(log_weight, np.full(lm.size, -math.inf), np.full(lm.size, math.inf))
    # E[e^{λ(U - a)} Z] = E[Z] (the part below a, where F̄_U = 1) + ∫_a λ e^{λ(u - a)} T_Z(u) du
    mass = np.exp(log_w)
    total = 1.0 + mass
    mean_v = (model.mean_utility + mass * means[0]) / total
    mean_u = (model.mean_proxy + mass * means[1]) / total
    log_k = lm * a + np.log(total)
    out["mean_utility"][live], out["mean_proxy"][live] = mean_v, mean_u
    out["kl"][live] = np.maximum(lm * mean_u - log_k, 0.0)
    top = model.upper_end
    out["max_odds_ratio"][live] = math.inf if math.isinf(top) else np.exp(lm * top - log_k)
