"""Catastrophic Goodhart, Theorem 4 (§3.3), as stated for every light-tailed X: the paper calls
a law light-tailed when it is not heavy-tailed (E[e^{sX}] < ∞ for some s > 0), which includes
laws whose moment generating function has a finite radius r (exponential, Gumbel, Laplace). For those
E[e^{U/β}] = ∞ once 1/β >= r, so π*(β) does not exist for β <= 1/r and the limit β → 0+ of
E[V(π*(β))] is not defined. ``check_theorem4`` evaluates the statement on each error; the
bound on E[V] as β falls to 1/r is K_V'(r), the mean of V tilted at λ = r."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import Outcome, check_theorem4
from catgoodhart.tilting import tilt

ERRORS = [D.Exponential(rate=1.0), D.Gumbel(), D.Laplace()]
UTILITY = D.Normal()
BETAS = np.array([10.0, 2.0, 1.2, 1.01, 1.0, 0.5, 0.1])


def check():
    details = {}
    results = [check_theorem4(X, UTILITY, BETAS) for X in ERRORS]
    for X, r in zip(ERRORS, results, strict=True):
        details[f"X ~ {X!r}: E[V] under π*(β) at β = {', '.join(f'{b:g}' for b in r.beta)}"] = ", ".join(
            f"{v:.4g}" if ok else "no optimum" for v, ok in zip(r.mean_utility, r.exists, strict=True))
        details[f"X ~ {X!r}: light-tailed by the paper's definition, moment generating function radius"] = (
            f"{'yes' if X.heavy_tailed is False else 'no'}, {r.mgf_radius:g}")
        details[f"X ~ {X!r}: check_theorem4"] = str(r.outcome)
    # the statement fails where the optimum is computed not to exist at some β of the grid
    failing = [(X, r) for X, r in zip(ERRORS, results, strict=True)
               if r.outcome is Outcome.FAILS and not r.exists.all()]
    outside = [X for X, r in zip(ERRORS, results, strict=True) if r.outcome is Outcome.DOES_NOT_APPLY]
    computed = ("whether the KL-penalized optimum π*(β) ∝ π0·e^{U/β} exists, and E[V] under it, for "
                f"{', '.join(repr(X) for X in ERRORS)} errors and V ~ {UTILITY!r}")
    if outside:
        verdict = "NOT CHECKABLE"
        reason = (f"{', '.join(repr(X) for X in outside)} are not light-tailed by the paper's definition, so "
                  "they do not test the statement")
    elif failing:
        verdict = "DISAGREES"
        radius = min(r.mgf_radius for _, r in failing)
        edge = tilt(UTILITY, beta=1 / radius)  # V alone tilted at λ = r: E[V] there is K_V'(r)
        no_optimum = [f"{X!r} (no optimum for β <= {1 / r.mgf_radius:.4g})" for X, r in failing]
        seen = max(float(np.nanmax(r.mean_utility)) for _, r in failing)
        reason = (f"for the light-tailed errors {', '.join(no_optimum)} E[e^{{U/β}}] = ∞, so π*(β) does not "
                  "exist there and the limit β → 0+ is undefined; as β falls to the edge E[V] stays below "
                  f"K_V'(r) = {edge.mean_reward:.4g} (largest value on the grid {seen:.4g}). The theorem "
                  "needs E[e^{λU}] < ∞ for every λ > 0 (true for normal and bounded errors, where it holds: "
                  "see cg_theorem4_tilting_light)")
    elif all(r.outcome is Outcome.HOLDS for r in results):
        verdict = "AGREES"
        reason = (f"for every error π*(β) exists down to β = {BETAS.min():g} and E[V] rises to "
                  f"{min(float(r.mean_utility[-1]) for r in results):.4g} or more")
    else:
        verdict = "NOT CHECKABLE"
        reason = ("the optimum exists at every β of the grid but the growth is not shown: "
                  + "; ".join(r.explanation for r in results if r.outcome is not Outcome.HOLDS))
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.3, Theorem 4 (hypothesis 'light-tailed')",
        claim="The limit lim_{β→0+} E[V(π*(β))] = ∞ holds for every light-tailed X (light: not heavy, so "
              "E[e^{sX}] < ∞ for some s > 0), here with V ~ Normal(0, 1).",
        computed=computed, verdict=verdict, reason=reason, details=details)


if __name__ == "__main__":
    print_check(check())
