"""Catastrophic Goodhart, appendix A.1, the figure of the Theorem 1 construction (the threshold
animation's stills): base Student-t(ν = 3), P_t with upper mass P_t(X > t) = t^-0.8: as t → ∞
the mean grows without bound while KL(P_t‖Q) → 0."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.threshold import threshold_curve

T = np.geomspace(1.5, 1e4, 60)  # the animation's sweep
T_FAR = np.array([1e6, 1e9, 1e12])
LATE = 10.0  # past the start, where p = t^-0.8 exceeds F̄(t) by a growing factor
KL_SMALL = 1e-6  # how small the KL must be at the far end to read as "→ 0"


def check():
    base = D.StudentT(nu=3)
    c = threshold_curve(base, t=T, p=lambda t: t**-0.8)
    far = threshold_curve(base, t=T_FAR, p=lambda t: t**-0.8)
    late = T >= LATE
    grows = bool(np.all(np.diff(c.mean[late]) > 0)) and bool(np.all(np.diff(far.mean) > 0))
    shrinks = bool(np.all(np.diff(c.kl[late]) < 0)) and bool(np.all(np.diff(far.kl) < 0))
    # E_P[X] ≈ t^-0.8 · E[X | X > t] = ν/(ν − 1) · t^0.2 for Student-t(ν)
    slope = base.nu / (base.nu - 1)
    ratio = far.mean / (slope * T_FAR**0.2)
    ok = grows and shrinks and far.kl[-1] < KL_SMALL
    details = {f"t = {t:g}: E_P[X], KL": f"{m:.5g}, {k:.4g}"
               for t, m, k in zip([*T[[0, 20, 40, 59]], *T_FAR], [*c.mean[[0, 20, 40, 59]], *far.mean],
                                  [*c.kl[[0, 20, 40, 59]], *far.kl], strict=True)}
    details[f"E_P[X] / ({slope:g} t^0.2) at t = {', '.join(f'{t:g}' for t in T_FAR)}"] = ", ".join(
        f"{r:.5f}" for r in ratio)
    short = ([] if grows else [f"the mean does not rise at every step past t = {LATE:g}"]) + (
        [] if shrinks else [f"the KL does not fall at every step past t = {LATE:g}"]) + (
        [] if far.kl[-1] < KL_SMALL else [f"the KL is still {far.kl[-1]:.3g} at t = {T_FAR[-1]:g}"])
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="appendix A.1, figure of the Theorem 1 construction",
        claim="For Q = Student-t(3) and P_t upweighting X > t to mass t^-0.8, E_{P_t}[X] grows without bound "
              "while KL(P_t‖Q) → 0 as t → ∞.",
        computed=f"exact E_{{P_t}}[X] and KL(P_t‖Q) on the figure's sweep t ∈ [{T[0]:g}, {T[-1]:g}] and on "
                 f"to t = {T_FAR[-1]:g}",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"past t = {LATE:g} the mean rises monotonically, like {slope:g}·t^0.2 (ratio "
                f"{ratio[-1]:.5f} at t = {T_FAR[-1]:g}), and the KL falls monotonically, to {far.kl[-1]:.3g} "
                f"at t = {T_FAR[-1]:g} where the mean is {far.mean[-1]:.4g}")
        if ok else "; ".join(short),
        details=details)


if __name__ == "__main__":
    print_check(check())
