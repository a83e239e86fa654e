"""Catastrophic Goodhart, Theorem 3 (§3.2): in a deterministic-transition MDP with Markovian
returns whose return under π0 is heavy-tailed with finite mean, some policy has mean return > M at
expected per-state KL < ε. Carried out exactly by ``check_theorem3`` on a binary token tree with
Student-t(1.5) leaf returns (finite mean, heavy tail), with Normal leaves as the light control."""

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import Outcome, check_theorem3

DEPTH = 20  # 2^20 leaves
M, EPS = 10.0, 0.05


def check():
    heavy = check_theorem3(D.StudentT(nu=1.5), M=M, eps=EPS, depth=DEPTH, seed=0)
    light = check_theorem3(D.Normal(), M=M, eps=EPS, depth=DEPTH, seed=0)
    holds = heavy.outcome is Outcome.HOLDS
    control = light.outcome is Outcome.DOES_NOT_APPLY and light.ceiling <= M
    ok = holds and control
    if ok:
        reason = (f"the built policy has mean return {heavy.witness_mean:.8g} > {M:g} at expected per-state "
                  f"KL {heavy.witness_kl:.4g} < {EPS:g}; Tr(π) reproduces ρ_t to {heavy.tr_error:.1e} and "
                  f"the chain rule E Σ_s KL = KL(ρ_t‖ρ0) holds to {heavy.kl_error:.1e}. A finite tree has "
                  f"bounded returns (largest {heavy.max_return:.4g}), so it shows the construction for given "
                  f"M, ε rather than the limit; with Normal leaves no policy reaches M (best mean at "
                  f"KL <= ε: {light.ceiling:.4g})")
    else:
        reason = "; ".join(([] if holds else [f"heavy leaves: {heavy.outcome} ({heavy.explanation})"]) + (
            [] if control else [f"Normal leaves: {light.outcome} ({light.explanation})"]))
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.2, Theorem 3",
        claim="In a deterministic-transition MDP with Markovian returns, a heavy-tailed return with finite "
              "mean under π0 admits, for any M, ε > 0, a policy with mean return > M and expected per-state "
              "KL(π(s)‖π0(s)) < ε.",
        computed=f"the proof's construction on a binary token tree with 2^{DEPTH} Student-t(1.5) leaf "
                 "returns: reweight trajectories by the threshold factor, read off π(a|s) = ρ(s·a)/ρ(s)",
        verdict="AGREES" if ok else "DISAGREES",
        reason=reason,
        details={"leaves": heavy.leaves, "largest leaf return": heavy.max_return,
                 "threshold t": heavy.witness_t, "upper mass p": heavy.witness_p,
                 "mean return of π_t": heavy.witness_mean, "E Σ_s KL(π_t(s)‖π0(s))": heavy.witness_kl,
                 "max relative error of Tr(π_t) vs ρ_t": heavy.tr_error,
                 "chain-rule relative error": heavy.kl_error,
                 "check_theorem3, Student-t(1.5) leaves": str(heavy.outcome),
                 "best mean of any policy at KL <= ε (heavy)": heavy.ceiling,
                 "best mean of any policy at KL <= ε (Normal leaves)": light.ceiling,
                 "check_theorem3, Normal leaves": str(light.outcome)})


if __name__ == "__main__":
    print_check(check())
