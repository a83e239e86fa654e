"""Catastrophic Goodhart, §4.1 worked example: a policy that matches Llama 2-chat 99% of the time
and emits the best ACG input α = 1% of the time has KL α(log(α) − 1339.70) = 13.35 nats. The
printed expression reads log q(x) = −1339.70 with its sign dropped: α(log α − log q) with
log q = −1339.70 is 13.35, while α(log α − 1339.70) as printed is negative."""

import math

from catgoodhart.reproduce import ClaimCheck, print_check

ALPHA = 0.01
LOG_Q = -1339.70  # log-probability of the adversarial input under the reference model (paper)
PAPER_KL = 13.35


def check():
    first_order = ALPHA * (math.log(ALPHA) - LOG_Q)
    as_printed = ALPHA * (math.log(ALPHA) - 1339.70)
    # exact: [(1 − α)q + α] log(((1 − α)q + α)/q) + (1 − α) log(1 − α)(1 − q), with q = e^-1339.7 → 0
    exact = ALPHA * (math.log(ALPHA) - LOG_Q) + (1 - ALPHA) * math.log1p(-ALPHA)
    ok = round(first_order, 2) == PAPER_KL
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§4.1, worked example (KL of the mixture policy)",
        claim="Mixing in the best ACG input with α = 1% costs KL α(log(α) − 1339.70) = 13.35 nats.",
        computed="α(log α − log q) with log q = −1339.70, the expression as printed, and the exact "
                 "mixture KL",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"α(log α − log q) = {first_order:.4f} rounds to 13.35 (exact mixture KL {exact:.4f}); the "
                f"expression as printed, α(log α − 1339.70) = {as_printed:.4f}, has the sign of log q "
                "dropped")
        if ok else f"α(log α − log q) = {first_order:.4f}, not 13.35",
        details={"α": ALPHA, "log q(x)": LOG_Q, "α(log α − log q)": first_order,
                 "exact KL of the mixture": exact, "α(log α − 1339.70) as printed": as_printed,
                 "paper": PAPER_KL})


if __name__ == "__main__":
    print_check(check())
