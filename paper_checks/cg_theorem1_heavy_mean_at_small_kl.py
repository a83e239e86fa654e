"""Catastrophic Goodhart, Theorem 1 (§3.1): for a heavy-tailed Q and any M, ε > 0 there is a
P with mean > M and KL(P‖Q) < ε. Checked with the threshold family P_{t,p} (exact mean and KL)
on four heavy-tailed bases, including two (lognormal, Weibull(0.5)) whose γ is 0."""

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import Outcome, check_theorem1

BASES = [D.StudentT(nu=3), D.LogNormal(), D.Pareto(alpha=1.5), D.Weibull(shape=0.5)]
TARGETS = [(10.0, 1e-2), (1e3, 1e-4), (1e6, 1e-6)]
CONTROL = (D.Normal(), 10.0, 1e-2)  # a light base: the theorem does not apply, the ceiling is finite


def check():
    details, missed = {}, []
    for dist in BASES:
        for M, eps in TARGETS:
            r = check_theorem1(dist, M, eps)
            found = r.outcome is Outcome.HOLDS
            if not found:
                missed.append(f"{dist!r} at M = {M:g}, ε = {eps:g}: {r.outcome} ({r.explanation})")
            details[f"{dist!r}, M={M:g}, ε={eps:g}"] = (
                f"t = {r.witness_t:.4g}, E_P[X] = {r.witness_mean:.7g}, KL = {r.witness_kl:.3g}" if found
                else f"{r.outcome}: no witness")
    base, M, eps = CONTROL
    light = check_theorem1(base, M, eps)
    details[f"light control: {base!r}, sup E_P at KL <= {eps:g}"] = light.sup_mean
    details[f"light control: {base!r}, check_theorem1"] = str(light.outcome)
    control_ok = light.outcome is Outcome.DOES_NOT_APPLY and light.sup_mean <= M
    if not control_ok:
        missed.append(f"the light control {base!r} gives {light.outcome} with ceiling {light.sup_mean:.4g}")
    big_M, small_eps = TARGETS[-1]
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.1, Theorem 1",
        claim="If Q is heavy-tailed, for every M, ε > 0 some P has E_P[X] > M and KL(P‖Q) < ε.",
        computed=f"threshold distributions P_t on {len(BASES)} heavy bases × {len(TARGETS)} (M, ε) targets, "
                 "exact mean and KL in log space",
        verdict="DISAGREES" if missed else "AGREES",
        reason=(f"every (base, M, ε) has a threshold P_t with mean > M and KL < ε, up to M = {big_M:g} at "
                f"ε = {small_eps:g}; the light control ({base!r}) cannot exceed its Donsker–Varadhan "
                f"ceiling {light.sup_mean:.4g} at KL <= {eps:g}")
        if not missed else "; ".join(missed),
        details=details)


if __name__ == "__main__":
    print_check(check())
