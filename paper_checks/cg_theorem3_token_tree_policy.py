"""Catastrophic Goodhart, Theorem 3 (§3.2; this package's `check_theorem2`): in a
deterministic-transition MDP with Markovian returns whose return under π0 is heavy-tailed with
finite mean, some policy has mean return > M at expected per-state KL < ε. Carried out exactly
on a binary token tree with Student-t(1.5) leaf returns (finite mean, heavy tail)."""

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.theorems import check_theorem2

DEPTH = 20  # 2^20 leaves


def check():
    heavy = check_theorem2(D.StudentT(nu=1.5), M=10.0, eps=0.05, depth=DEPTH, seed=0)
    light = check_theorem2(D.Normal(), M=10.0, eps=0.05, depth=DEPTH, seed=0)
    ok = heavy.passed and heavy.witness_mean > heavy.M and heavy.witness_kl < heavy.eps
    ok &= heavy.tr_error < 1e-12 and heavy.kl_error < 1e-12 and light.ceiling < light.M
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§3.2, Theorem 3",
        claim="In a deterministic-transition MDP with Markovian returns, a heavy-tailed return with finite "
              "mean under π0 admits, for any M, ε > 0, a policy with mean return > M and expected per-state "
              "KL(π(s)‖π0(s)) < ε.",
        computed=f"the proof's construction on a binary token tree with 2^{DEPTH} Student-t(1.5) leaf "
                 "returns: "
                 "reweight trajectories by the threshold factor, read off π(a|s) = ρ(s·a)/ρ(s)",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"the built policy has mean return {heavy.witness_mean:.8g} > {heavy.M:g} at expected "
                "per-state "
                f"KL {heavy.witness_kl:.4g} < {heavy.eps:g}; Tr(π) reproduces ρ_t and the chain rule "
                "E Σ_s KL = KL(ρ_t‖ρ0) holds to round-off. A finite tree has bounded returns, so it "
                "shows the construction for given M, ε rather than the limit; with Normal leaves no "
                f"policy reaches M (best mean at KL <= ε: {light.ceiling:.4g})")
        if ok else "the construction misses M or ε, or its identities fail (see the table)",
        details={"leaves": heavy.leaves, "largest leaf return": heavy.max_return,
                 "threshold t": heavy.witness_t, "upper mass p": heavy.witness_p,
                 "mean return of π_t": heavy.witness_mean, "E Σ_s KL(π_t(s)‖π0(s))": heavy.witness_kl,
                 "max relative error of Tr(π_t) vs ρ_t": heavy.tr_error,
                 "chain-rule relative error": heavy.kl_error,
                 "best mean of any policy at KL <= ε (heavy)": heavy.ceiling,
                 "best mean of any policy at KL <= ε (Normal leaves)": light.ceiling})


if __name__ == "__main__":
    print_check(check())
