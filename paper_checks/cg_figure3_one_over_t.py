"""Catastrophic Goodhart, appendix A.1, caption of the Theorem 1 figure: with upper mass 1/t
instead of t^-0.8, E[X] "converges to ~1 while KL divergence goes to zero faster". For
Student-t(ν) the conditional mean E[X | X > t] ~ t·ν/(ν − 1), so E_{P_t}[X] → ν/(ν − 1) = 1.5
at ν = 3 (the proof's lower bound c = 1 holds; the limit is 1.5)."""

import numpy as np

from catgoodhart import distributions as D
from catgoodhart.reproduce import ClaimCheck, print_check
from catgoodhart.threshold import conditional_means, threshold_curve

T = np.array([1e2, 1e4, 1e6, 1e9, 1e12])
CLAIMED_LIMIT = 1.0
LIMIT_TOLERANCE = 0.1  # how close to 1 a limit must be to read as "~1"


def check():
    base = D.StudentT(nu=3)
    inverse = threshold_curve(base, t=T, p=lambda t: 1.0 / t)
    figure = threshold_curve(base, t=T, p=lambda t: t**-0.8)
    limit = float(inverse.mean[-1])
    settled = abs(inverse.mean[-1] - inverse.mean[-2]) < 1e-3 * abs(limit)  # converged on the grid
    kl_ratio = inverse.kl / figure.kl
    faster = bool(np.all(np.diff(kl_ratio) < 0)) and inverse.kl[-1] < figure.kl[-1]
    near_one = abs(limit - CLAIMED_LIMIT) < LIMIT_TOLERANCE
    _, upper = conditional_means(base, T[-1:])
    tail_slope = float(upper[0] / T[-1])  # E[X | X > t]/t: the limit of E_P[X] with p = 1/t
    nu_limit = base.nu / (base.nu - 1)
    details = {f"t = {t:g}: E_P[X] with p = 1/t": float(m) for t, m in zip(T, inverse.mean, strict=True)}
    details |= {f"t = {t:g}: KL with p = 1/t vs p = t^-0.8": f"{a:.4g} vs {b:.4g}"
                for t, a, b in zip(T, inverse.kl, figure.kl, strict=True)}
    details[f"E[X | X > t]/t at t = {T[-1]:g}"] = tail_slope
    details["ν/(ν − 1)"] = nu_limit
    kl_text = (f"the KL does fall faster (its ratio to the t^-0.8 KL falls to {kl_ratio[-1]:.3g} at "
               f"t = {T[-1]:g})" if faster else
               f"the KL with p = 1/t does not fall faster than with p = t^-0.8 (ratio {kl_ratio[-1]:.3g} at "
               f"t = {T[-1]:g})")
    if not settled:
        verdict, reason = "DISAGREES", (f"E[X] has not settled by t = {T[-1]:g} ({inverse.mean[-2]:.6f} → "
                                        f"{limit:.6f}); {kl_text}")
    elif near_one and faster:
        verdict = "AGREES"
        reason = f"E[X] converges to {limit:.6f}, within {LIMIT_TOLERANCE:g} of {CLAIMED_LIMIT:g}; {kl_text}"
    else:
        verdict = "DISAGREES"
        reason = (f"{kl_text}, but E[X] converges to {limit:.6f}" +
                  (f", not ~{CLAIMED_LIMIT:g}" if not near_one else "") +
                  f": E[X | X > t] = {tail_slope:.6f}·t at t = {T[-1]:g} (ν/(ν − 1) = {nu_limit:g} for "
                  f"ν = {base.nu:g}); {CLAIMED_LIMIT:g} is only the proof's lower bound c")
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="appendix A.1, caption of the Theorem 1 figure",
        claim="With upper mass 1/t instead of t^-0.8, E[X] converges to about 1 while the KL goes to zero "
              "faster.",
        computed=f"exact E_{{P_t}}[X] and KL(P_t‖Q) for Q = Student-t(3) with p = 1/t and p = t^-0.8, t to "
                 f"{T[-1]:g}",
        verdict=verdict, reason=reason, details=details)


if __name__ == "__main__":
    print_check(check())
