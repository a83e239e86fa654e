"""The KL-penalized optimum for a bounded reward (the blog post's second remedy, "make reward a
bounded function"): π_β ∝ π0·e^{b(U)/β}, with the proxy passed through

    "clip":      b(u) = min(u, c),
    "tanh":      b(u) = c·tanh(u/c),
    "logistic":  b(u) = c/(1 + e^{-u/c}),

each below c. With λ = 1/β, ω(u) = λ b'(u) e^{λ(b(u) - c)} F̄_U(u) and a the table's lower end
(by parts; below a, F̄_U = 1):

    Ẑ = E[e^{λ(b(U) - c)}] = e^{λ(b(a) - c)} + ∫_a ω   (b - c computed as it is, not as a difference),
    E_π[Z] = E[Z] + ∫_a ω(u) (E[Z | U >= u] - E[Z]) du / Ẑ      (Z = V, U),
    KL = λ(E_π[b(U)] - c) - log Ẑ,   max dπ/dπ0 = 1/Ẑ.

Because b is bounded the optimum exists for every β > 0, heavy-tailed error included; the
utility reported is that of the untransformed model, E_π[V]. A pool uses the same sums exactly.
"""

import math

import numpy as np
from scipy import special

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._table import table_for
from catgoodhart.optimizers.kl_tilt import pool_tilt

BOUNDS = ("clip", "tanh", "logistic")


def transform(bound, c, u):
    """(b(u) - c, b'(u)) for the bound's name and level c: the gap below the bound in the form
    that does not cancel where b(u) rounds to c (c·tanh(u/c) - c = -2c/(e^{2u/c} + 1),
    c/(1 + e^{-u/c}) - c = -c/(1 + e^{u/c}))."""
    u = np.asarray(u, dtype=float)
    if bound == "clip":
        return np.minimum(u - c, 0.0), (u < c).astype(float)
    if bound == "tanh":
        return -2.0 * c * special.expit(-2.0 * u / c), 1.0 / np.cosh(np.minimum(np.abs(u / c), 355.0)) ** 2
    s = special.expit(u / c)
    return -c * special.expit(-u / c), s * special.expit(-u / c)


def check_bound(bound, c):
    if bound not in BOUNDS:
        raise ValueError(f"`bound` must be one of {', '.join(BOUNDS)}, got {bound!r}")
    if isinstance(c, bool):
        raise ValueError(f"`c` must be a real number, got {c!r}")
    c = float(c)
    if not math.isfinite(c) or (bound != "clip" and c <= 0):
        raise ValueError(f"`c` must be finite{' and > 0' if bound != 'clip' else ''}, got {c!r}")
    return c


def bounded_tilt(model, *, beta, bound="tanh", c=1.0, probabilities=True):
    """π_β ∝ π0·exp(b(U)/β) for each β > 0 (β = ∞ is π0), b the bounded transform ``bound``
    at level ``c``; the reported means are of the untransformed U and V."""
    model = policy.check_model(model)
    c = check_bound(bound, c)
    flat, shape = policy.strengths("beta", beta, low=0.0, low_open=True, allow_inf=True)
    lam = np.where(np.isinf(flat), 0.0, 1.0 / flat)
    kl, mean_u, mean_v, odds, probs = (_pool if model.kind == "pool" else _continuous)(
        model, lam, bound, c, probabilities)
    return policy.make("bounded_tilt", model, "beta", flat, shape, exists=True,
                       reason=f"the optimum for the bounded reward {_name(bound, c)} exists for every β > 0",
                       kl=kl, mean_proxy=mean_u, mean_utility=mean_v, max_odds_ratio=odds,
                       parameters={"bound": bound, "c": c}, probabilities=probs)


def _name(bound, c):
    return {"clip": f"min(U, {c:g})", "tanh": f"{c:g}·tanh(U/{c:g})",
            "logistic": f"{c:g}/(1 + e^(-U/{c:g}))"}[bound]


def _continuous(model, lam, bound, c, _probabilities):
    n = lam.size
    table = table_for(model)
    ev, eu = model.mean_utility, model.mean_proxy
    kl, mean_u, mean_v, odds = np.zeros(n), np.full(n, eu), np.full(n, ev), np.ones(n)
    live = lam > 0
    if not np.any(live):
        return kl, mean_u, mean_v, odds, None
    lm = lam[live]
    a = table.u_lo
    if bound == "clip" and c > table.u_hi:
        table.extend(-float(model.tail_terms(np.array([c]), moments=())[0][0]) + 2.0)

    def log_weight(u, i, f):
        gap, db = transform(bound, c, u)
        with np.errstate(divide="ignore"):
            return np.log(lm[i]) + np.log(db) + lm[i] * gap + f[..., 0]

    def extra(u, i, f):
        return transform(bound, c, u)[0], f[..., 1] - ev, f[..., 1] + f[..., 2] - eu

    table.cover(log_weight, lm.size)
    hi = np.full(lm.size, c if bound == "clip" else math.inf)
    # clip: the weight λe^{λ(u - c)} F̄_U(u) below c is 1/λ wide; its start and width are given
    edges = (np.full(lm.size, c), c - 1.0 / lm) if bound == "clip" else ()
    log_m, means = table.integrate(log_weight, np.full(lm.size, -math.inf), hi, extra=extra, n_extra=3,
                                   edges=edges)
    mass = np.exp(log_m)
    gap_a = float(transform(bound, c, a)[0])
    low = np.exp(lm * gap_a)
    z = low + mass
    mean_gap = (gap_a * low + mass * (means[2] + 1.0 / lm)) / z  # E_π[b(U)] - c
    mean_v[live] = ev + mass * means[3] / z
    mean_u[live] = eu + mass * means[4] / z
    kl[live] = np.maximum(lm * mean_gap - np.log(z), 0.0)
    odds[live] = 1.0 / z
    return kl, mean_u, mean_v, odds, None


def _pool(model, lam, bound, c, probabilities):
    return pool_tilt(model, ("bounded", bound, c), lambda u: transform(bound, c, u)[0], lam, probabilities)
