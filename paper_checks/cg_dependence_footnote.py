"""Catastrophic Goodhart, §5.2 footnote on independence: V ~ N(0, 1), X | V ~ N(0, 4) when
V ∈ [−1, 1] and X = 0 otherwise; the footnote says lim_{t→∞} E[V | X + V >= t] = 0.

For large t the event U >= t comes almost only from |V| <= 1 with X >= t − V, whose weight
φ(v) F̄_{N(0,4)}(t − v) is largest at v = 1; so E[V | U >= t] → 1, with 1 − E ≈ 4/t."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.conditioning import conditional_utility
from catgoodhart.reproduce import ClaimCheck, print_check

T = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])
MC_DRAWS = 2_000_000
CLAIMED_LIMIT = 0.0
LIMIT_TOLERANCE = 1e-2  # how close the extrapolated limit must come to a value to read as it
BAND = 1.0  # X is wide where |V| <= BAND


def error_given_utility(v):
    """The law of X given V = v: N(0, 4) on [−1, 1], the point 0 elsewhere."""
    return D.Normal(sigma=2.0) if -BAND <= v <= BAND else 0.0


def check():
    exact = conditional_utility(error_given_utility, D.Normal(), T, breakpoints=(-BAND, BAND))
    v = D.Normal().sample(MC_DRAWS, seed=1)
    x = np.where(np.abs(v) <= BAND, D.Normal(sigma=2.0).sample(MC_DRAWS, seed=2), 0.0)
    above = v[x + v >= 4.0]
    mc, mc_se = above.mean(), above.std(ddof=1) / np.sqrt(above.size)
    exact4 = float(conditional_utility(error_given_utility, D.Normal(), 4.0, breakpoints=(-BAND, BAND)))
    # E[V | U >= t] = L − c/t − c₂/t² + O(1/t³): the last three levels give L, c and c₂
    last = T[-3:]
    limit, rate, _ = np.linalg.solve(np.stack([np.ones(3), -1 / last, -1 / last**2], axis=1), exact[-3:])
    t2, e2 = T[-1], exact[-1]
    mc_agrees = abs(mc - exact4) < 4 * mc_se
    details = {f"E[V | U >= {t:g}]": float(c) for t, c in zip(T, exact, strict=True)}
    details |= {f"t·(1 − E[V | U >= {t:g}])": float(t * (1 - c))
                for t, c in zip(T[1:], exact[1:], strict=True)}
    details[f"limit L extrapolated from t = {', '.join(f'{t:g}' for t in last)} (E = L − c/t − c₂/t²)"] = (
        float(limit))
    details["c"] = float(rate)
    details["E[V | U >= 4], exact"] = exact4
    details[f"E[V | U >= 4], Monte Carlo ({MC_DRAWS:,} draws, {above.size} above)"] = (
        f"{mc:.4f} ± {mc_se:.4f}")
    cross = (f"the quadrature agrees with Monte Carlo at t = 4 ({exact4:.4f} vs {mc:.4f} ± {mc_se:.4f})"
             if mc_agrees else
             f"the quadrature misses Monte Carlo at t = 4 ({exact4:.4f} vs {mc:.4f} ± {mc_se:.4f})")
    if not mc_agrees:
        verdict, reason = "NOT CHECKABLE", f"{cross}, so the computed limit cannot be trusted"
    elif abs(limit - CLAIMED_LIMIT) < LIMIT_TOLERANCE:
        verdict = "AGREES"
        reason = (f"the computed limit is {limit:.5f} (E[V | U >= {t2:g}] = {e2:.5f}), within "
                  f"{LIMIT_TOLERANCE:g} of {CLAIMED_LIMIT:g}; {cross}")
    else:
        verdict = "DISAGREES"
        reason = (f"the limit is {limit:.5f}, not {CLAIMED_LIMIT:g}: E[V | U >= {t2:g}] = {e2:.5f} with "
                  f"L − E ≈ {rate:.3g}/t, because the weight of U >= t concentrates at the largest V that "
                  f"still carries the wide error (V = {BAND:g}); {cross}. The footnote's point, a finite "
                  "limit although X is light-tailed given V, stands")
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§5.2 (Independence assumptions), footnote",
        claim="If V ~ N(0, 1) and X | V ~ N(0, 4) when V ∈ [−1, 1], otherwise X = 0, then "
              "lim_{t→∞} E[V | X + V >= t] = 0.",
        computed="E[V | X + V >= t] exactly (log-space quadrature of the dependent model) to t = 1e4, "
                 "its limit extrapolated from the last three levels, and a Monte Carlo cross-check at t = 4",
        verdict=verdict, reason=reason, details=details)


if __name__ == "__main__":
    print_check(check())
