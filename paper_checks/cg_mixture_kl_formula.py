"""Catastrophic Goodhart, §4.1 (Results): the KL divergence of P = (1 − α)Q + α·δ_x from Q,

    D(P‖Q) = [(1 − α) q + α] log(((1 − α) q + α)/q) + (1 − α) log(1 − α) (1 − q),   q = Q(x),

and its first-order form D ≈ α log(α/q) when q ≪ α ≪ 1. Both are checked against the
definition Σ_y P(y) log(P(y)/Q(y)) summed over a discrete Q."""

import math

import numpy as np

from catgoodhart.reproduce import ClaimCheck, print_check


def paper_formula(alpha, q):
    """The paper's closed form, in log space (q may be far below the smallest double)."""
    top = (1 - alpha) * q + alpha
    return top * (math.log(top) - math.log(q)) + (1 - alpha) * math.log1p(-alpha) * (1 - q)


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
        exact, formula = brute_force(alpha, probs, index), paper_formula(alpha, q)
        first_order = alpha * math.log(alpha / q)
        worst_exact = max(worst_exact, abs(formula - exact) / exact)
        details[f"|Q| = {size}, α = {alpha:g}, q = {q:.3g}: definition, paper's formula, α log(α/q)"] = (
            f"{exact:.10g}, {formula:.10g}, {first_order:.6g}")
    for alpha, log_q in ((1e-2, -50.0), (1e-2, -1339.70), (1e-4, -1339.70)):
        q = math.exp(log_q) if log_q > -700 else 5e-324  # only the ratio's size matters below
        exact = paper_formula(alpha, q) if log_q > -700 else (
            alpha * (math.log(alpha) - log_q) + (1 - alpha) * math.log1p(-alpha))
        first_order = alpha * (math.log(alpha) - log_q)
        # the neglected term is (1 − α) log(1 − α) ≈ −α: small next to α log(α/q) when q ≪ α
        worst_first_order = max(worst_first_order, (first_order - exact) / alpha)
        details[f"α = {alpha:g}, log q = {log_q:g}: formula, α log(α/q)"] = f"{exact:.6g}, {first_order:.6g}"
    ok = worst_exact < 1e-12 and 0 < worst_first_order <= 1.0
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
                "exceeds it by at most α where q ≪ α ≪ 1 (the dropped term (1 − α) log(1 − α) ≈ −α), a "
                "relative "
                "error of about 1/log(α/q)")
        if ok else "the closed form or its first-order form misses the definition (see the table)",
        details=details)


if __name__ == "__main__":
    print_check(check())
