"""Catastrophic Goodhart, Theorem 2 (§3.1): for a light-tailed Q, a bounded KL bounds the mean, and
μ_P − μ_Q → 0 as d = KL → 0. The exact supremum sup{E_P[X] : KL(P‖Q) <= d} = inf_λ (K(λ) + d)/λ
is computed on light bases by ``check_theorem2``."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import Outcome, check_theorem2

BASES = [D.Normal(), D.Exponential(), D.Gumbel(), D.Uniform()]
D_VALUES = np.geomspace(1e-8, 1.0, 9)
CONTROL = D.StudentT(nu=3)  # a heavy base: the theorem does not apply, the supremum is infinite


def check():
    details, missed, gaps, rates = {}, [], [], []
    for dist in BASES:
        r = check_theorem2(dist, D_VALUES)
        gap = r.sup_mean - r.mean
        if r.outcome is not Outcome.HOLDS:
            missed.append(f"{dist!r}: {r.outcome} ({r.explanation})")
        gaps.append(float(gap[0]))
        rates.append(float(r.gap_over_sqrt_2d[0] / np.sqrt(dist.var)))
        details[f"{dist!r}: sup E_P − E_Q at d = {r.d[-1]:g}, {r.d[4]:g}, {r.d[0]:g}"] = (
            f"{gap[-1]:.4g}, {gap[4]:.4g}, {gap[0]:.4g}")
    heavy = check_theorem2(CONTROL, D_VALUES)
    details[f"heavy control: {CONTROL!r}, sup E_P at d = {D_VALUES[0]:g} … {D_VALUES[-1]:g}"] = ", ".join(
        f"{v:g}" for v in heavy.sup_mean)
    details[f"heavy control: {CONTROL!r}, check_theorem2"] = str(heavy.outcome)
    if heavy.outcome is not Outcome.DOES_NOT_APPLY or np.any(np.isfinite(heavy.sup_mean)):
        missed.append(f"the heavy control {CONTROL!r} gives {heavy.outcome} with a finite supremum")
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.1, Theorem 2",
        claim="If Q is light-tailed and d = KL(P‖Q) is bounded, μ_P is bounded, and μ_P − μ_Q → 0 as d → 0.",
        computed=f"exact sup{{E_P[X] : KL <= d}} = inf_λ (K(λ) + d)/λ for d from {D_VALUES[-1]:g} down to "
                 f"{D_VALUES[0]:g} on {len(BASES)} light bases",
        verdict="DISAGREES" if missed else "AGREES",
        reason=(f"the supremum is finite at every d and its excess over μ_Q falls like σ√(2d) "
                f"((sup − μ_Q)/σ√(2d) between {min(rates):.6f} and {max(rates):.6f} at d = {D_VALUES[0]:g}) "
                f"to at most {max(gaps):.3g}; the heavy control's supremum is infinite at every d")
        if not missed else "; ".join(missed),
        details=details)


if __name__ == "__main__":
    print_check(check())
