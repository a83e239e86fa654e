"""Catastrophic Goodhart, the blog post announcing the paper, Limitations ("Goodhart is not
inevitable"): if we maximize σ(E[U]) − β·KL with σ bounded (e.g. the sigmoid), all near-optimal
policies have V ≈ 0: only so much can be gained from σ(E[U]), so it pays to send the KL, and with
it V, to zero. (The post prints "σ(E[U]) + D_KL"; the KL is a penalty.)

U = X + V with X ~ Student-t(3) scaled to variance 1 (heavy) and V ~ N(0, 1), independent, one
action per episode. The objective is below sup σ = 1 for every policy. Theorem 1's family on U,
P_{t,p} with mass p = t^-0.8 above t (``catgoodhart.optimizers.threshold``), has KL → 0 and
E_π[U] → ∞, so its objective tends to 1: the supremum is 1. A policy whose objective is at least
1 − δ has β·KL < δ, so KL < δ/β; V's law under π is at KL at most that from V's, and by Theorem 2
(Donsker–Varadhan, ``tilting.sup_mean_under_kl``) |E_π[V] − E[V]| is at most the ceiling
sup{E_P[V] − E[V] : KL(P‖N(0, 1)) <= δ/β} = √(2δ/β) (V is symmetric), which → 0 as δ → 0.

Both ways: the ceiling from ``sup_mean_under_kl`` against the closed form √(2δ/β); the threshold
members' E_π[V], E_π[U] and objective against conditional Monte Carlo over sampled V with X's exact
tail (P(U > t | V) = F̄_X(t − V)), in 8 seeded batches."""

import math

import numpy as np
from scipy import special

from catgoodhart import distributions as D
from catgoodhart.optimizers import ProxyModel, threshold
from catgoodhart.reproduce import ClaimCheck, batch_mean, print_check
from catgoodhart.reproduce import exact_against_monte_carlo as _pm
from catgoodhart.reproduce import numbers as _row
from catgoodhart.threshold import threshold_kl
from catgoodhart.tilting import sup_mean_under_kl

X = D.StudentT(nu=3, scale=math.sqrt(1 / 3))  # variance 1
V = D.Normal()
PENALTY = np.array([0.1, 1.0])  # β in σ(E[U]) − β·KL
T = np.array([10.0, 1e2, 1e3, 1e4, 1e6, 1e9, 1e12])
P = T**-0.8
DELTA = np.array([1e-2, 1e-4, 1e-6, 1e-8])  # objective >= 1 − δ
BATCHES = 8
N = 20_000  # V draws per batch
Z = 5.0  # Monte Carlo agrees when within Z standard errors
RTOL = 1e-9  # ... or within this relative distance (values whose standard error is below rounding)


def gap(mean_proxy, kl, beta):
    """1 − (σ(E_π[U]) − β·KL) = σ(−E_π[U]) + β·KL, without cancellation."""
    return special.expit(-mean_proxy) + beta * kl


def members(v):
    """E_π[V], E_π[U], KL of P_{t,p} by conditional Monte Carlo: F̄_U(t) = E[F̄_X(t − V)],
    E[V − E V; U > t] = E[(V − E V)(F̄_X(t − V) − F̄_X(t))], E[U − E U; U > t] likewise with
    E[X; X > t − V] = X.partial_mean_upper(t − V); dπ/dπ0 = p/F̄_U(t) above t, (1 − p)/F_U(t) below."""
    d = T[:, None] - v[None, :]
    s = X.sf(d)
    sf = s.mean(axis=1)
    gain_v = np.mean((v - V.mean)[None, :] * (s - X.sf(T)[:, None]), axis=1)
    gain_u = np.mean((v - V.mean)[None, :] * s + X.partial_mean_upper(d) - X.mean * s, axis=1)
    k = P / sf - (1 - P) / (1 - sf)
    kl = np.array([float(threshold_kl(p, math.log1p(-q), math.log(q))) for p, q in zip(P, sf, strict=True)])
    return V.mean + k * gain_v, V.mean + X.mean + k * gain_u, kl


def monte_carlo():
    runs = np.array([np.stack(members(V.sample(N, seed=8100 + b))) for b in range(BATCHES)])
    gaps = np.array([[gap(r[1], r[2], beta) for beta in PENALTY] for r in runs])
    return batch_mean(runs), batch_mean(gaps)


def check():
    model = ProxyModel(X, V)
    thr = threshold(model, t=T, p=P)
    exact = np.stack([thr.mean_utility, thr.mean_proxy, thr.kl])
    gaps = np.array([gap(thr.mean_proxy, thr.kl, beta) for beta in PENALTY])
    ceiling = np.array([[sup_mean_under_kl(V, kl=d / beta).gain for d in DELTA] for beta in PENALTY])
    closed = np.sqrt(2 * DELTA[None, :] / PENALTY[:, None])
    # each member's own δ: its utility must lie under the ceiling at KL = δ/β
    own = np.array([[sup_mean_under_kl(V, kl=g / beta).gain for g in row] for beta, row in zip(PENALTY, gaps,
                                                                                                 strict=True)])
    (mc, se), (mc_gap, se_gap) = monte_carlo()

    failures, misses = [], []
    if not (np.all(thr.exists) and np.all(np.diff(thr.mean_proxy) > 0) and np.all(np.diff(thr.kl) < 0)):
        failures.append(f"threshold family: E_π[U] = {_row(thr.mean_proxy)}, KL = {_row(thr.kl)}")
    if not (np.all(np.diff(gaps, axis=1) < 0) and np.all(gaps[:, -1] < 1e-6)):
        failures.append(f"the objective's distance to 1 does not fall to 0: {_row(gaps.ravel())}")
    if not (np.all(np.diff(ceiling, axis=1) < 0) and np.all(ceiling[:, -1] < 1e-3)):
        failures.append(f"the utility ceiling does not fall to 0 with δ: {_row(ceiling.ravel())}")
    if not np.all(np.abs(thr.mean_utility - V.mean) <= own):
        failures.append("a threshold member's utility exceeds the ceiling at its own δ")
    if not np.allclose(ceiling, closed, rtol=1e-9, atol=0):
        misses.append(f"sup_mean_under_kl {_row(ceiling.ravel())} vs √(2δ/β) {_row(closed.ravel())}")
    for name, e, m, s in (("E_π[V], E_π[U], KL", exact, mc, se), ("1 − objective", gaps, mc_gap, se_gap)):
        ok = np.abs(m - e) <= np.maximum(Z * s, RTOL * np.abs(e))
        if not np.all(ok):
            misses.append(f"{name}: exact {_row(e[~ok])} vs Monte Carlo {_row(m[~ok])} ± "
                          f"{_row(s[~ok], '.2g')}")

    details = {
        f"P_t,p with p = t^-0.8, t = {_row(T, 'g')}: E_π[U] exact | Monte Carlo ± s.e.": _pm(
            exact[1], mc[1], se[1]),
        "P_t,p: KL exact | Monte Carlo ± s.e.": _pm(exact[2], mc[2], se[2]),
        "P_t,p: E_π[V] exact | Monte Carlo ± s.e.": _pm(exact[0], mc[0], se[0]),
    }
    for i, beta in enumerate(PENALTY):
        details[f"P_t,p, β = {beta:g}: 1 − (σ(E_π[U]) − β·KL) exact | Monte Carlo ± s.e."] = _pm(
            gaps[i], mc_gap[i], se_gap[i])
        details[f"β = {beta:g}: ceiling on |E_π[V] − E[V]| at objective >= 1 − δ, δ = {_row(DELTA, 'g')}"] = (
            _row(ceiling[i]))
        details[f"β = {beta:g}: √(2δ/β)"] = _row(closed[i])
    details["Monte Carlo"] = (f"{BATCHES} seeded batches of {N:,} draws of V, X integrated exactly given V; "
                              f"agreement within {Z:g} s.e. (or {RTOL:g} relative)")
    if not failures and not misses:
        verdict = "AGREES"
        j = DELTA.size - 1
        reason = (f"the objective is below 1 for every policy, and Theorem 1's family approaches 1: from "
                  f"t = {T[0]:g} to {T[-1]:g}, E_π[U] rises from {thr.mean_proxy[0]:.3g} to "
                  f"{thr.mean_proxy[-1]:.4g} and KL falls from {thr.kl[0]:.3g} to {thr.kl[-1]:.2g}, so "
                  f"1 − objective falls to {gaps[0, -1]:.2g} (β = {PENALTY[0]:g}) and {gaps[1, -1]:.2g} "
                  f"(β = {PENALTY[1]:g}), with E_π[V] = {thr.mean_utility[-1]:.2g}. Every policy within δ of "
                  f"the supremum has KL < δ/β and so |E_π[V] − E[V]| <= √(2δ/β): "
                  f"{_row(ceiling[1], '.2g')} at β = {PENALTY[1]:g} for δ = {_row(DELTA, 'g')} "
                  f"({ceiling[0, j]:.2g} at β = {PENALTY[0]:g}, δ = {DELTA[j]:g}), → 0 with δ; Monte Carlo "
                  "and the closed form agree")
    else:
        verdict = "DISAGREES"
        reason = "; ".join(failures + [f"the cross-check disagrees: {m}" for m in misses])
    return ClaimCheck(
        paper="Catastrophic Goodhart",
        location="blog post announcing the paper, Limitations: 'Goodhart is not inevitable'",
        claim="If we maximize σ(E[U]) − β·KL(π‖π0) with σ bounded (e.g. sigmoid), heavy-tailed error and "
              "light-tailed utility, all near-optimal policies have V ≈ 0: it pays to make the KL, and "
              "thus V, go to zero.",
        computed=f"U = X + V, X ~ Student-t(3) of variance 1, V ~ N(0, 1), one action: the objective of "
                 f"Theorem 1's family P_t,p (p = t^-0.8, t to {T[-1]:g}) for σ = sigmoid, β = "
                 f"{_row(PENALTY, 'g')}, and the Donsker–Varadhan ceiling on E_π[V] for objective >= 1 − δ, "
                 f"δ = {_row(DELTA, 'g')}; against conditional Monte Carlo and the closed form √(2δ/β)",
        verdict=verdict, reason=reason, details=details)


if __name__ == "__main__":
    print_check(check())
