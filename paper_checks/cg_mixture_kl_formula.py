"""Catastrophic Goodhart, §4.1 (Results): the KL divergence of P = (1 − α)Q + α·δ_x from Q,

    D(P‖Q) = [(1 − α) q + α] log(((1 − α) q + α)/q) + (1 − α) log(1 − α) (1 − q),   q = Q(x),

and its first-order form D ≈ α log(α/q) when q ≪ α ≪ 1. Both, as implemented by
``catgoodhart.probe.mixture`` (``mixture_kl``, ``mixture_kl_approx``), are checked against the
definition Σ_y P(y) log(P(y)/Q(y)) summed over a discrete Q."""

import math

import numpy as np

from catgoodhart.probe.mixture import mixture_kl, mixture_kl_approx
from catgoodhart.reproduce import ClaimCheck, print_check

EXACT_TOLERANCE = 1e-12  # relative: the sums run over up to 1e5 terms of size ~1e-5


def brute_force(alpha, probs, index):
    """Σ_y P(y) log(P(y)/Q(y)) over the support of a discrete Q, P = (1 − α)Q + α·δ_index."""
    p = (1 - alpha) * probs
    p[index] += alpha
    return float(np.sum(p * np.log(p / probs)))


def check():
    rng = np.random.default_rng(0)
    worst_exact, worst_first_order, details = 0.0, 0.0, {}
    for size, alpha in ((5, 0.3), (1000, 0.01), (100_000, 1e-3)):
        probs = rng.dirichlet(np.ones(size))
        index = int(np.argmin(probs))
        q = float(probs[index])
        exact, formula = brute_force(alpha, probs, index), float(mixture_kl(alpha, math.log(q)))
        first_order = float(mixture_kl_approx(alpha, math.log(q)))
        worst_exact = max(worst_exact, abs(formula - exact) / exact)
        details[f"|Q| = {size}, α = {alpha:g}, q = {q:.3g}: definition, paper's formula, α log(α/q)"] = (
            f"{exact:.10g}, {formula:.10g}, {first_order:.6g}")
    # q far below the smallest double: the formula in log space, no sum over Q possible
    for alpha, log_q in ((1e-2, -50.0), (1e-2, -1339.70), (1e-4, -1339.70)):
        formula, first_order = float(mixture_kl(alpha, log_q)), float(mixture_kl_approx(alpha, log_q))
        # the neglected term is (1 − α) log(1 − α) ≈ −α: small next to α log(α/q) when q ≪ α
        worst_first_order = max(worst_first_order, (first_order - formula) / alpha)
        details[f"α = {alpha:g}, log q = {log_q:g}: formula, α log(α/q)"] = (
            f"{formula:.6g}, {first_order:.6g}")
    ok = worst_exact < EXACT_TOLERANCE and 0 < worst_first_order <= 1.0
    details["max relative error of the formula vs the definition"] = worst_exact
    details["max of (α log(α/q) − formula)/α where q ≪ α ≪ 1"] = worst_first_order
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§4.1 (Results: interpreting the ACG inputs)",
        claim="KL((1 − α)Q + α·δ_x ‖ Q) = [(1 − α)q + α] log(((1 − α)q + α)/q) + (1 − α) log(1 − α)(1 − q), "
              "≈ α log(α/q(x)) when α is small but much larger than q(x).",
        computed="the definition Σ P log(P/Q) summed over random discrete Q (5 to 100,000 outcomes) against "
                 "the closed form, and the first-order form where q ≪ α ≪ 1",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"the closed form matches the definition to {worst_exact:.1e} relative; the first-order form "
                f"exceeds it by at most {worst_first_order:.3f}·α where q ≪ α ≪ 1 (the dropped term "
                "(1 − α) log(1 − α) ≈ −α), a relative error of about 1/log(α/q)")
        if ok else
        (f"the closed form misses the definition by {worst_exact:.1e} relative (tolerance "
         f"{EXACT_TOLERANCE:g})" if worst_exact >= EXACT_TOLERANCE else
         f"the first-order form misses the closed form by {worst_first_order:.3g}·α where q ≪ α ≪ 1, "
         "outside (0, α]"),
        details=details)


if __name__ == "__main__":
    print_check(check())
