"""Theorem 1's family on the proxy (Kwa et al., arXiv 2407.14503, proof of Theorem 1): move mass p
to the part of π0 above the level t,

    dπ/dπ0 = (1 - p)/F_U(t) on U <= t and p/F̄_U(t) above,
    E_π[Z] = (1 - p) E[Z | U <= t] + p E[Z | U > t],   E[Z | U <= t] = (E[Z] - F̄ E[Z | U > t])/F,
    KL = (1 - p) log((1 - p)/F_U(t)) + p log(p/F̄_U(t))   (``catgoodhart.threshold.threshold_kl``),
    max dπ/dπ0 = max((1 - p)/F_U(t), p/F̄_U(t)).

For a heavy-tailed error, p = F̄_U(t)·(something slowly growing) buys a high proxy at a KL that
vanishes as t grows, with E_π[V] -> E[V]: the catastrophic member the remedies are measured against.
(The lower conditional mean is a difference where F_U(t) is small: levels in the upper half of U.)
"""

import math

import numpy as np

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._table import tail_at
from catgoodhart.threshold import threshold_kl


def threshold(model, *, t, p, probabilities=True):
    """The member P_{t,p} for levels ``t`` and upper masses ``p`` in (0, 1) (broadcast); the
    strength is p, and t is kept in ``parameters``."""
    model = policy.check_model(model)
    t_flat, t_shape = policy.strengths("t", t)
    p_flat, p_shape = policy.strengths("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    try:
        shape = np.broadcast_shapes(t_shape, p_shape)
    except ValueError as e:
        raise ValueError(f"`t` (shape {t_shape}) and `p` (shape {p_shape}) must broadcast to one "
                         "shape") from e
    t_b = np.broadcast_to(t_flat.reshape(t_shape), shape).reshape(-1)
    p_b = np.broadcast_to(p_flat.reshape(p_shape), shape).reshape(-1).copy()
    if model.kind == "pool":
        j = np.searchsorted(model.values, t_b, side="right")  # first value above t
        inside = (j > 0) & (j < model.values.size)
        jj = np.clip(j, 1, model.values.size - 1)
        log_sf = np.where(inside, np.log(model.upper_mass[jj]), -math.inf)
        below_mass = np.cumsum(model.mass)[jj - 1]
        log_cdf = np.where(inside, np.log(below_mass), -math.inf)
        upper_v = model.upper_utility[jj] / model.upper_mass[jj]
        upper_u = model.upper_proxy[jj] / model.upper_mass[jj]
        lower_v = np.cumsum(model.mass * model.group_utility)[jj - 1] / below_mass
        lower_u = np.cumsum(model.mass * model.values)[jj - 1] / below_mass
    else:
        log_sf, mean_v, mean_x = tail_at(model, t_b)
        means = {"v": mean_v, "x": mean_x}
        with np.errstate(divide="ignore"):
            log_cdf = np.log(-np.expm1(log_sf))
        sf, cdf = np.exp(log_sf), -np.expm1(log_sf)
        upper_v, upper_u = means["v"], means["v"] + means["x"]
        with np.errstate(all="ignore"):
            lower_v = (model.mean_utility - sf * upper_v) / cdf
            lower_u = (model.mean_proxy - sf * upper_u) / cdf
        inside = np.isfinite(log_sf) & np.isfinite(log_cdf)
    with np.errstate(all="ignore"):
        kl = np.asarray(threshold_kl(p_b, log_cdf, log_sf), dtype=float).reshape(-1)
        odds = np.maximum((1 - p_b) / np.exp(log_cdf), p_b / np.exp(log_sf))
    mean_v = (1 - p_b) * lower_v + p_b * upper_v
    mean_u = (1 - p_b) * lower_u + np.where(p_b > 0, p_b * upper_u, 0.0)
    reason = np.where(inside, "Theorem 1's member: mass p above t",
                      "t must leave mass of π0 on both sides: 0 < F_U(t) < 1")
    probs = None
    if model.kind == "pool" and probabilities:
        rows = []
        for k in range(p_b.size):
            if not inside[k]:
                rows.append(np.full(model.proxy.size, np.nan))
                continue
            above = model.values > t_b[k]
            ratio = np.where(above, p_b[k] / np.exp(log_sf[k]), (1 - p_b[k]) / np.exp(log_cdf[k]))
            rows.append(model.probabilities(ratio))
        probs = np.stack(rows)
    t_param = float(t_flat[0]) if t_shape == () else t_flat.reshape(t_shape)
    return policy.make("threshold", model, "p", p_b, shape, exists=inside, reason=reason, kl=kl,
                       mean_proxy=mean_u, mean_utility=mean_v, max_odds_ratio=odds,
                       parameters={"t": t_param}, probabilities=probs)
