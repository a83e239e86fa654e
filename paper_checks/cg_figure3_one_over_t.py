"""Catastrophic Goodhart, appendix A.1, caption of the Theorem 1 figure: with upper mass 1/t
instead of t^-0.8, E[X] "converges to ~1 while KL divergence goes to zero faster". For
Student-t(ν) the conditional mean E[X | X > t] ~ t·ν/(ν − 1), so E_{P_t}[X] → ν/(ν − 1) = 1.5
at ν = 3 (the proof's lower bound c = 1 holds; the limit is 1.5)."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.threshold import threshold_curve

T = np.array([1e2, 1e4, 1e6, 1e9, 1e12])
LIMIT_TOLERANCE = 0.1  # how close to 1 a limit must be to read as "~1"


def check():
    base = D.StudentT(nu=3)
    inverse = threshold_curve(base, t=T, p=lambda t: 1.0 / t)
    figure = threshold_curve(base, t=T, p=lambda t: t**-0.8)
    limit = float(inverse.mean[-1])
    faster = bool(np.all(np.diff(inverse.kl / figure.kl) < 0)) and inverse.kl[-1] < figure.kl[-1]
    near_one = abs(limit - 1.0) < LIMIT_TOLERANCE
    details = {f"t = {t:g}: E_P[X] with p = 1/t": float(m) for t, m in zip(T, inverse.mean, strict=True)}
    details |= {f"t = {t:g}: KL with p = 1/t vs p = t^-0.8": f"{a:.4g} vs {b:.4g}"
                for t, a, b in zip(T, inverse.kl, figure.kl, strict=True)}
    details["limit ν/(ν − 1)"] = 1.5
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="appendix A.1, caption of the Theorem 1 figure",
        claim="With upper mass 1/t instead of t^-0.8, E[X] converges to about 1 while the KL goes to zero "
              "faster.",
        computed="exact E_{P_t}[X] and KL(P_t‖Q) for Q = Student-t(3) with p = 1/t and p = t^-0.8, t to 1e12",
        verdict="AGREES" if near_one and faster else "DISAGREES",
        reason=(f"the KL does fall faster (ratio to the t^-0.8 KL → 0), but E[X] converges to {limit:.6f} = "
                "ν/(ν − 1) = 1.5, not ~1: E[X | X > t] ≈ 1.5·t for ν = 3; 1 is only the proof's lower "
                "bound c")
        if faster and not near_one else
        ("the limit is near 1 and the KL falls faster" if near_one and faster else
         "the KL with p = 1/t does not fall faster than with p = t^-0.8"),
        details=details)


if __name__ == "__main__":
    print_check(check())
