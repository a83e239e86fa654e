"""Catastrophic Goodhart, Theorem 4 (§3.3), as stated for every light-tailed X: the paper calls
a law light-tailed when it is not heavy-tailed (E[e^{sX}] < ∞ for some s > 0), which includes
laws whose moment generating function has a finite radius r (exponential, Gumbel, Laplace). For those
E[e^{U/β}] = ∞ once 1/β >= r, so π*(β) does not exist for β <= 1/r and the limit β → 0+ of
E[V(π*(β))] is not defined."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.tilting import IndependentSum, tilt

ERRORS = [D.Exponential(rate=1.0), D.Gumbel(), D.Laplace()]
UTILITY = D.Normal()
BETAS = np.array([10.0, 2.0, 1.2, 1.01, 1.0, 0.5, 0.1])


def _mean_utility(X, beta):
    """E[V] under π*(β) for independent X, V (K_V'(1/β)); None where π*(β) does not exist."""
    r = tilt(IndependentSum(X, UTILITY), beta=beta)
    return r.mean_utility if r.exists else None


def check():
    details, undefined = {}, True
    for X in ERRORS:
        values = [_mean_utility(X, b) for b in BETAS]
        details[f"X ~ {X!r}: E[V] under π*(β) at β = {', '.join(f'{b:g}' for b in BETAS)}"] = ", ".join(
            "no optimum" if v is None else f"{v:.4g}" for v in values)
        undefined &= all(v is None for v, b in zip(values, BETAS, strict=True) if b <= 1.0)
    heavy_by_paper = [X.heavy_tailed for X in ERRORS]
    details["heavy-tailed by the paper's definition"] = ", ".join(map(str, heavy_by_paper))
    stated_false = undefined and not any(heavy_by_paper)
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.3, Theorem 4 (hypothesis 'light-tailed')",
        claim="The limit lim_{β→0+} E[V(π*(β))] = ∞ holds for every light-tailed X (light: not heavy, so "
              "E[e^{sX}] < ∞ for some s > 0), here with V ~ Normal(0, 1).",
        computed="whether the KL-penalized optimum π*(β) ∝ π0·e^{U/β} exists, and E[V] under it, for "
                 "exponential, Gumbel and Laplace errors (light by the paper's definition, moment "
                 "generating function radius 1)",
        verdict="DISAGREES" if stated_false else "AGREES",
        reason=("for these light-tailed errors E[e^{U/β}] = ∞ for every β <= 1, so π*(β) does not exist "
                "there and the limit β → 0+ is undefined; as β falls to 1, E[V] rises only to 1. The "
                "theorem needs E[e^{λU}] < ∞ for every λ > 0 (true for normal and bounded errors, where it "
                "holds: see cg_theorem4_tilting_light)")
        if stated_false else "the optimum exists for small β on these errors",
        details=details)


if __name__ == "__main__":
    print_check(check())
