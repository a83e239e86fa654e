"""Catastrophic Goodhart, Theorem 6 (§3.4): F̄_X(t+1)/F̄_X(t) → 0 and V unbounded with finite
mean, independent: E[V | X + V > t] → ∞."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import Outcome, check_theorem6

T = np.geomspace(1.5, 1.5e6, 13)
CASES = [(D.Normal(), D.Normal()), (D.Normal(), D.StudentT(nu=3)), (D.Normal(sigma=2.0), D.Exponential()),
         (D.Weibull(shape=2.0), D.LogNormal())]


def check():
    details, missed, last = {}, [], []
    for X, V in CASES:
        r = check_theorem6(X, V, T)
        if r.outcome is not Outcome.HOLDS:
            missed.append(f"X ~ {X!r}, V ~ {V!r}: {r.outcome} ({r.explanation})")
        c = r.conditional_utility
        last.append(float(c[-1] - r.mean_utility))
        details[f"X ~ {X!r}, V ~ {V!r}: E[V | U >= t] at t = {T[0]:g}, {T[6]:g}, {T[-1]:g}"] = (
            f"{c[0]:.4g}, {c[6]:.4g}, {c[-1]:.4g}")
        details[f"X ~ {X!r}, V ~ {V!r}: check_theorem6"] = str(r.outcome)
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.4, Theorem 6",
        claim="With F̄_X(t+1)/F̄_X(t) → 0 and V unbounded with finite mean, independent: "
              "lim_{t→∞} E[V | X + V > t] = ∞.",
        computed=f"E[V | X + V >= t] by log-space quadrature out to t = {T[-1]:g} for {len(CASES)} pairs "
                 "(normal and Weibull(2) errors; normal, t(3), exponential and lognormal utilities)",
        verdict="DISAGREES" if missed else "AGREES",
        reason=(f"every pair meets the hypotheses and E[V | U >= t] grows without bound: at t = {T[-1]:g} "
                f"it is {min(last):.4g} or more above E[V], rising over the second half of the grid")
        if not missed else "; ".join(missed),
        details=details)


if __name__ == "__main__":
    print_check(check())
