"""The best proxy mean under a cap on the odds ratio and a KL budget (the blog post's first
remedy, "capping the maximum odds ratio for any action (similar to quantilizers)"):

    max E_π[U]  subject to  dπ/dπ0 <= c  and  KL(π‖π0) <= ε.

Pointwise maximization of the Lagrangian gives the tilt truncated at the cap,

    dπ/dπ0 = r(u) = c·min(1, e^{λ(u - u*)}),   with E_π0[r(U)] = 1 and KL = ε,

which tends to the quantilizer q = 1/c as λ -> ∞ (KL -> log c) and to the plain tilt as the cap
stops binding. With w = u - u*, I_k = ∫_{-∞}^{u*} w^k e^{λw} F̄_U(u) du and F* = F̄_U(u*) (by parts):

    E_π0[r] = cλ I_0,   KL = E_π0[r log r] = c[(1 + log c) λ I_0 + λ² I_1],
    E_π[Z] = E[Z] + cλ ∫_{-∞}^{u*} e^{λw} F̄_U(u) (E[Z | U >= u] - E[Z]) du.

(λ, u*) solve E_π0[r] = 1 and KL = ε by Newton's method in (log λ, u*) with the exact Jacobian
(∂I_0/∂u* = F* - λI_0, ∂I_1/∂u* = -I_0 - λI_1, ∂I_k/∂λ = I_{k+1}), started from a scan. A budget
ε >= log c does not bind: the answer is the quantilizer q = 1/c, whose KL is log c. Because r is
bounded, the policy exists for heavy-tailed errors too. A pool is solved with sums over its values (below).
"""

import math

import numpy as np

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._pool import tilt_sums
from catgoodhart.optimizers._solve import illinois
from catgoodhart.optimizers._table import S_HIGH, level_for_log_mass, table_for
from catgoodhart.optimizers.quantilizer import quantilizer, top_fraction

_RTOL = 1e-12
_SCAN = 32


def capped_odds(model, *, kl, cap, probabilities=True):
    """The truncated tilt with odds ratio at most ``cap`` (> 1) and KL(π‖π0) = ``kl`` (> 0)
    for each budget (the quantilizer q = 1/cap where kl >= log cap)."""
    model = policy.check_model(model)
    flat, shape = policy.strengths("kl", kl, low=0.0, low_open=True)
    cap = policy.strengths("cap", cap, low=1.0, low_open=True)[0]
    if cap.size != 1:
        raise ValueError("`cap` must be one number > 1")
    c = float(cap[0])
    log_c = math.log(c)
    slack = flat >= log_c
    n = flat.size
    out = {k: np.full(n, math.nan) for k in ("kl", "mean_proxy", "mean_utility", "max_odds_ratio")}
    reason = np.full(n, f"the tilt truncated at odds ratio {c:g}, with KL = kl", dtype=object)
    probs = np.empty((n, model.proxy.size)) if model.kind == "pool" and probabilities else None
    if np.any(slack):
        qz = quantilizer(model, q=np.full(int(slack.sum()), 1.0 / c), probabilities=probs is not None)
        for key in out:
            out[key][slack] = getattr(qz, key)
        reason[slack] = (f"the budget does not bind: the cap alone gives the quantilizer q = 1/{c:g} "
                         f"(KL = log {c:g} = {log_c:.6g})")
        if probs is not None:
            probs[slack] = qz.probabilities
    live = ~slack
    if np.any(live):
        solve = _pool if model.kind == "pool" else _continuous
        kl_out, mean_u, mean_v, odds, p = solve(model, flat[live], c, probs is not None)
        for key, values in zip(("kl", "mean_proxy", "mean_utility", "max_odds_ratio"),
                               (kl_out, mean_u, mean_v, odds), strict=True):
            out[key][live] = values
        if probs is not None:
            probs[live] = p
    return policy.make("capped_odds", model, "kl", flat, shape, exists=True, reason=reason,
                       parameters={"cap": c}, probabilities=probs, **out)


def _newton(moments, eps, c, ell, ustar):
    """Newton's method in (log λ, κ = λu*), where log E[r] = log(cλ) - κ + log ∫ e^{λu} F̄_U du is
    linear in κ, on (log E[r], log KL - log ε), halving steps that do not reduce the residual."""
    log_c = math.log(c)
    kappa = np.exp(ell) * ustar

    def residual(ell, kappa):
        lam = np.exp(ell)
        m = moments(lam, kappa / lam)
        m["N"] = norm = c * lam * m["I0"]
        m["K"] = c * ((1 + log_c) * lam * m["I0"] + lam**2 * m["I1"])  # E_π0[r log r]
        with np.errstate(all="ignore"):
            kl = m["K"] / norm - np.log(norm)  # the KL of r/E_π0[r], a policy also off E[r] = 1
            r = np.stack([np.log(norm), np.log(kl) - np.log(eps)])
        return np.where(np.isfinite(r), r, 1e3), m, kl

    r, m, kl = residual(ell, kappa)
    for _ in range(30):
        lam = np.exp(ell)
        ustar = kappa / lam
        i0, i1, i2, fs = m["I0"], m["I1"], m["I2"], m["F"]
        # derivatives in (log λ, u*), then to (log λ, κ): ∂/∂ℓ|κ = λ∂/∂λ - u*∂/∂u*, ∂/∂κ = ∂/∂u* / λ
        n_l, n_u = 1 + lam * i1 / i0, fs / i0 - lam
        big_l = lam * c * ((1 + log_c) * (i0 + lam * i1) + 2 * lam * i1 + lam**2 * i2)
        big_u = c * ((1 + log_c) * lam * (fs - lam * i0) - lam**2 * (i0 + lam * i1))
        ratio = m["K"] / m["N"] + 1.0
        k_l = (big_l / m["N"] - ratio * n_l) / kl
        k_u = (big_u / m["N"] - ratio * n_u) / kl
        j11, j12, j21, j22 = n_l - ustar * n_u, n_u / lam, k_l - ustar * k_u, k_u / lam
        det = j11 * j22 - j12 * j21
        with np.errstate(all="ignore"):
            d_ell = (-r[0] * j22 + r[1] * j12) / det
            d_kappa = (-r[1] * j11 + r[0] * j21) / det
        d_ell = np.clip(np.where(np.isfinite(d_ell), d_ell, 0.0), -2.0, 2.0)
        d_kappa = np.clip(np.where(np.isfinite(d_kappa), d_kappa, 0.0), -8.0, 8.0)
        size = np.abs(r).max(axis=0)
        step = np.ones(ell.shape)
        for _ in range(8):
            r_new, _, _ = residual(ell + step * d_ell, kappa + step * d_kappa)
            better = np.abs(r_new).max(axis=0) < size
            if np.all(better | (size <= _RTOL)):
                break
            step = np.where(better, step, 0.5 * step)
        step = np.where(better, step, 0.0)  # no progress: left to the bracketing method
        move = size > _RTOL
        ell = np.where(move, ell + step * d_ell, ell)
        kappa = np.where(move, kappa + step * d_kappa, kappa)
        r, m, kl = residual(ell, kappa)
        size = np.abs(r).max(axis=0)
        if np.all((size <= _RTOL) | (step == 0)):
            break
    return m, kl, size <= _RTOL


def _lam_for(moments, c, ustar, ell):
    """log λ with E_π0[r] = 1 at fixed u* (log E[r] falls with log λ at slope 1 + λI_1/I_0)."""
    for _ in range(60):
        lam = np.exp(ell)
        m = moments(lam, ustar)
        with np.errstate(all="ignore"):
            res = np.log(c * lam * m["I0"])
            step = np.clip(-res / (1 + lam * m["I1"] / m["I0"]), -3.0, 3.0)
        step = np.where(np.isfinite(step), step, 0.0)
        ell = ell + step
        if np.all(np.abs(step) <= 1e-14 * np.maximum(np.abs(ell), 1.0)):
            break
    return ell


def _nested(moments, eps, c, z_lo, z_hi, table, ell):
    """Regula falsi (Illinois) in z* = z(u*) on log KL (which falls as u* rises), λ solved at each
    u*: for budgets where Newton's method stalls (next to log c, where λ is large and the two
    equations nearly coincide)."""
    log_eps = np.log(eps)
    state = {"ell": ell}

    def g(z):
        ustar = table.u_of(z)
        state["ell"] = _lam_for(moments, c, ustar, state["ell"])
        lam = np.exp(state["ell"])
        m = moments(lam, ustar)
        norm = c * lam * m["I0"]
        with np.errstate(all="ignore"):
            kl = c * ((1 + math.log(c)) * lam * m["I0"] + lam**2 * m["I1"]) / norm - np.log(norm)
            return np.where(kl > 0, np.log(kl), -np.inf) - log_eps, m, kl

    a, b = np.full(eps.shape, z_lo + 1e-9 * (z_hi - z_lo)), np.full(eps.shape, z_hi)
    ga, ma, kla = g(a)
    gb, mb, klb = g(b)
    side = np.zeros(eps.shape)
    m, kl = ma, kla
    for _ in range(100):  # ga > 0 > gb: the KL falls from a to b
        with np.errstate(all="ignore"):
            x = b - gb * (b - a) / (gb - ga)
        x = np.where(np.isfinite(x) & (x > np.minimum(a, b)) & (x < np.maximum(a, b)), x, 0.5 * (a + b))
        gx, m, kl = g(x)
        done = np.abs(gx) <= _RTOL
        if np.all(done):
            break
        high = gx > 0
        a_new, b_new = np.where(high, x, a), np.where(high, b, x)
        ga_new = np.where(high, gx, np.where(side < 0, 0.5 * ga, ga))
        gb_new = np.where(high, np.where(side > 0, 0.5 * gb, gb), gx)
        side = np.where(high, 1.0, -1.0)
        a, b, ga, gb = a_new, b_new, ga_new, gb_new
    return m, kl


def _start(moments, eps, c, table, u_cap, mean):
    """A scan of u* from the quantilizer's level up (evenly in z = asinh((u - centre)/scale)), λ
    solved for E[r] = 1 at each: starting points (log λ, u*) for each budget by interpolation in
    log KL."""
    z0 = float(table.z_of(u_cap))
    # up to the level of F̄_U = e^-60 (the table may reach further, extended for best-of-n)
    z1 = float(table.z_of(level_for_log_mass(table, np.array([-S_HIGH]))[0]))
    ustar = table.u_of(z0 + (z1 - z0) * np.geomspace(1e-7, 1.0, _SCAN))
    ell = np.zeros(_SCAN)
    for _ in range(80):
        m = moments(np.exp(ell), ustar)
        lam = np.exp(ell)
        with np.errstate(all="ignore"):
            res = np.log(c * lam * m["I0"])
            slope = 1 + lam * m["I1"] / m["I0"]
            step = np.clip(-res / slope, -3.0, 3.0)
        step = np.where(np.isfinite(step), step, 0.0)
        ell = ell + step
        if np.all(np.abs(step) < 1e-6):
            break
    m = moments(np.exp(ell), ustar)
    lam = np.exp(ell)
    norm = c * lam * m["I0"]
    kl = c * ((1 + math.log(c)) * lam * m["I0"] + lam**2 * m["I1"]) / norm - np.log(norm)
    order = np.argsort(kl)
    with np.errstate(divide="ignore"):
        log_kl = np.log(np.maximum(kl[order], 1e-300))
    ok = np.isfinite(log_kl)
    t = np.log(eps)
    ell0 = np.interp(t, log_kl[ok], ell[order][ok])
    u0 = np.interp(t, log_kl[ok], ustar[order][ok])
    # below the scan the cap hardly binds: KL ∝ λ² and c e^{-λu*} E[e^{λU}] = 1, u* ≈ log(c)/λ + E[U]
    small = t < log_kl[ok][0]
    ell0 = np.where(small, ell[order][ok][0] + 0.5 * (t - log_kl[ok][0]), ell0)
    u0 = np.where(small, np.maximum(math.log(c) * np.exp(-ell0) + mean, u0), u0)
    return ell0, u0


def _continuous(model, eps, c, _probabilities):
    table = table_for(model)
    ev, eu = model.mean_utility, model.mean_proxy
    a = table.u_lo

    def moments(lam, ustar):
        hi = np.minimum(ustar, table.u_hi)
        log_m, means = table.integrate(
            lambda u, i, f: lam[i] * (u - ustar[i]) + f[..., 0], np.full(lam.size, -math.inf), hi,
            extra=lambda u, i, f: (u - ustar[i], (u - ustar[i]) ** 2, f[..., 1] - ev,
                                   f[..., 1] + f[..., 2] - eu),
            n_extra=4, edges=(hi,))
        mass = np.exp(log_m)
        wa = a - ustar
        with np.errstate(all="ignore"):
            ea = np.exp(lam * wa)  # ∫_{-∞}^a w^k e^{λw} du, where F̄_U = 1
            i0 = mass + ea / lam
            i1 = mass * means[2] + ea * (wa / lam - 1 / lam**2)
            i2 = mass * means[3] + ea * (wa**2 / lam - 2 * wa / lam**2 + 2 / lam**3)
        return {"I0": i0, "I1": i1, "I2": i2, "F": np.exp(table(ustar)[..., 0]),
                "dV": c * lam * mass * means[4], "dU": c * lam * mass * means[5]}

    u_cap = float(level_for_log_mass(table, np.array([-math.log(c)]))[0])
    ell, ustar = _start(moments, eps, c, table, u_cap, eu)
    m, kl, ok = _newton(moments, eps, c, ell, ustar)
    if not np.all(ok):
        bad = ~ok
        z_far = float(table.z_of(level_for_log_mass(table, np.array([-S_HIGH]))[0]))
        m_bad, kl_bad = _nested(moments, eps[bad], c, float(table.z_of(u_cap)), z_far, table,
                                ell[bad])
        kl[bad] = kl_bad
        for key in ("dU", "dV"):
            m[key][bad] = m_bad[key]
    return kl, eu + m["dU"], ev + m["dV"], np.full(eps.size, c), None  # the cap binds up to u = ∞


def _pool(model, eps, c, probabilities):
    """Pool: for each λ the normalization puts u* on one interval [u_J, u_{J+1}) of the values,
    found by bisection on J (Φ(u_J) = c Σ_j P_j min(1, e^{λ(u_j - u_J)}) >= 1 falls with J), and
    there in closed form; KL rises with λ and regula falsi finds log λ for every budget at once.
    Budgets at or beyond the quantilizer q = 1/c on these values give that quantilizer."""
    spread = float(model.values[-1] - model.values[0]) or 1.0
    j, frac, top, *_ = top_fraction(model, np.array([1.0 / c]))
    kl_out, mean_u, mean_v, odds = (np.full(eps.size, math.nan) for _ in range(4))
    probs = np.empty((eps.size, model.proxy.size)) if probabilities else None
    limit = eps >= top[0] * (1 - 1e-12)  # beyond what the cap can spend on these values
    if np.any(limit):
        qz = quantilizer(model, q=np.full(int(limit.sum()), 1.0 / c), probabilities=probabilities)
        kl_out[limit], mean_u[limit], mean_v[limit] = qz.kl, qz.mean_proxy, qz.mean_utility
        odds[limit] = qz.max_odds_ratio
        if probabilities:
            probs[limit] = qz.probabilities
    live = ~limit
    if np.any(live):
        # x = log(λ·range of u), up to where λ separates the closest two values (λ finite)
        gap = float(np.diff(model.values).min()) if model.values.size > 1 else spread
        x = illinois(lambda x: _pool_policy(model, np.exp(x) / spread, c)[0], eps[live], -40.0,
                     min(40.0 + math.log(spread / gap), 700.0 + math.log(spread)))
        values = _pool_policy(model, np.exp(x) / spread, c, probabilities)
        kl_out[live], mean_u[live], mean_v[live], odds[live] = values[:4]
        if probabilities:
            probs[live] = values[4]
    return kl_out, mean_u, mean_v, odds, probs


def _pool_policy(model, lam, c, probabilities=False):
    """(KL, E_π[U], E_π[V], max dπ/dπ0[, probabilities]) of r = c·min(1, e^{λ(u - u*)}) on a pool,
    for each λ. With J the last value below u*, κ = λ(u* - u_J) and S_k = Σ_{j<=J} P_j e^{λ(u_j - u_J)}
    (1, u_j - u_J, u_j, v_j): e^{-κ} S_0 = 1/c - A_{J+1} (A: mass above), and
    KL = log c - κ(1 - cA_{J+1}) + cλe^{-κ} S_1."""
    u, size = model.values, model.values.size
    sums = tilt_sums(model, "proxy", lambda values: values)
    upper = np.append(model.upper_mass, 0.0)
    lo, hi = np.zeros(lam.size, dtype=np.int64), np.full(lam.size, size, dtype=np.int64)
    while np.any(hi - lo > 1):  # Φ(u_lo) >= 1 > Φ(u_hi)
        mid = (lo + hi) // 2
        s = _prefix(sums, lam, mid, mid)
        above = c * (upper[mid] + s[:, 0]) >= 1.0
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    last = lo
    s = _prefix(sums, lam, last, last + 1)
    room = 1.0 / c - upper[last + 1]
    kappa = np.log(s[:, 0]) - np.log(room)
    scale = c * np.exp(-kappa)
    kl = np.log(c) - kappa * (c * room) + lam * scale * s[:, 1]
    tail_u = np.append(model.upper_proxy, 0.0)[last + 1]
    tail_v = np.append(model.upper_utility, 0.0)[last + 1]
    mean_u = c * tail_u + scale * s[:, 2]
    mean_v = c * tail_v + scale * s[:, 3]
    odds = np.where(last + 1 < size, c, scale)
    out = (np.maximum(kl, 0.0), mean_u, mean_v, odds)
    if probabilities:
        ratios = (c * np.exp(np.minimum(lm * (u - u[j]) - k, 0.0))
                  for lm, j, k in zip(lam, last, kappa, strict=True))
        out = (*out, np.stack([model.probabilities(r) for r in ratios]))
    return out


def _prefix(sums, lam, anchor, end):
    """Tilt sums over values j < end about u_anchor, leaving out values whose term is below
    e^-SKIP of the anchor's."""
    return sums(lam, sums.b[anchor], sums.first_counted(lam, anchor), end)
