"""The quantilizer (Taylor 2016): π0 restricted to the top q fraction by proxy.

    dπ/dπ0 = 1/q on U >= u_q (F̄_U(u_q) = q) and 0 below,
    KL(π‖π0) = log(1/q),  max dπ/dπ0 = 1/q,
    E_π[V] = E[V | U >= u_q],  E_π[U] = E[V | U >= u_q] + E[X | U >= u_q].

For a pool the top q is taken with ties split evenly: if the values above the boundary value
u_j hold mass A < q and u_j holds P_j, each response at u_j keeps the fraction f = (q - A)/P_j,
so dπ/dπ0 is 1/q above and f/q at u_j, and KL = (A/q) log(1/q) + (f P_j/q) log(f/q) <= log(1/q).
"""

import math

import numpy as np

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._table import level_for_log_mass, table_for, tail_at


def quantilizer(model, *, q, probabilities=True):
    """The q-quantilizer of the proxy for q in (0, 1] (an array gives one policy per q)."""
    model = policy.check_model(model)
    flat, shape = policy.strengths("q", q, low=0.0, high=1.0, low_open=True)
    if model.kind == "pool":
        return _pool(model, flat, shape, probabilities)
    return _continuous(model, flat, shape, "quantilizer", "q")


def _continuous(model, q, shape, method, name, strength=None):
    """Top-q policies of a continuous model, also for ``conditioning`` (strength = the levels)."""
    one = q >= 1.0
    u = np.full(q.shape, -math.inf)
    if np.any(~one):
        u[~one] = level_for_log_mass(table_for(model), np.log(q[~one]))
    return at_levels(model, u, np.log(q), shape, method, name, q if strength is None else strength)


def at_levels(model, u, log_q, shape, method, name, strength):
    """The policy π0(· | U >= u) at levels u with log F̄_U(u) = log_q."""
    mean_v = np.full(u.shape, model.mean_utility)
    mean_x = np.full(u.shape, model.mean_error)
    low = np.isneginf(u) | (log_q >= 0)  # the whole mass: π0 itself
    if np.any(~low):
        _, mean_v[~low], mean_x[~low] = tail_at(model, u[~low])
    exists = np.isfinite(log_q)
    reason = np.where(exists, "π0 conditioned on the top fraction of the proxy",
                      "P(U >= t) = 0: nothing to condition on")
    with np.errstate(over="ignore"):
        return policy.make(method, model, name, strength, shape, exists=exists, reason=reason,
                           kl=-log_q, mean_proxy=mean_v + mean_x, mean_utility=mean_v,
                           max_odds_ratio=np.exp(-log_q))


def top_fraction(model, q):
    """For a pool and each q: the ratio dπ/dπ0 on each distinct value, KL, E_π[U], E_π[V]."""
    m = model.mass
    upper = model.upper_mass
    # boundary group j: mass at and above u_j is >= q, above u_j it is < q
    j = np.clip(np.searchsorted(-upper, -q, side="right") - 1, 0, m.size - 1)
    above = np.where(j + 1 < m.size, upper[np.minimum(j + 1, m.size - 1)], 0.0)
    frac = np.clip((q - above) / m[j], 0.0, 1.0)
    up_v = np.where(j + 1 < m.size, model.upper_utility[np.minimum(j + 1, m.size - 1)], 0.0)
    up_u = np.where(j + 1 < m.size, model.upper_proxy[np.minimum(j + 1, m.size - 1)], 0.0)
    mean_v = (up_v + frac * m[j] * model.group_utility[j]) / q
    mean_u = (up_u + frac * m[j] * model.values[j]) / q
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = (above / q) * -np.log(q) + np.where(frac > 0, (frac * m[j] / q) * np.log(frac / q), 0.0)
    odds = np.where(j + 1 < m.size, 1.0 / q, frac / q)  # the top value alone: its share f/q
    return j, frac, np.maximum(kl, 0.0), mean_u, mean_v, odds


def _pool(model, q, shape, probabilities, method="quantilizer", name="q", strength=None):
    j, frac, kl, mean_u, mean_v, odds = top_fraction(model, q)
    probs = None
    if probabilities:
        rows = []
        for jj, ff, qq in zip(j, frac, q, strict=True):
            ratio = np.zeros(model.values.size)
            ratio[jj + 1:] = 1.0 / qq
            ratio[jj] = ff / qq
            rows.append(model.probabilities(ratio))
        probs = np.stack(rows)
    return policy.make(method, model, name, q if strength is None else strength, shape, exists=True,
                       reason="π0 restricted to the top q of the proxy (ties at the boundary split evenly)",
                       kl=kl, mean_proxy=mean_u, mean_utility=mean_v,
                       max_odds_ratio=odds, probabilities=probs)
