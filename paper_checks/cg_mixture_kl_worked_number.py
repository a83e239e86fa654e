"""Catastrophic Goodhart, §4.1 worked example: a policy that matches Llama 2-chat 99% of the time
and emits the best ACG input α = 1% of the time has KL α(log(α) − 1339.70) = 13.35 nats. The
printed expression reads log q(x) = −1339.70 with its sign dropped: α(log α − log q) with
log q = −1339.70 is 13.35, while α(log α − 1339.70) as printed is negative."""

import math

from catgoodhart.probe.mixture import mixture_kl, mixture_kl_approx
from catgoodhart.reproduce import ClaimCheck, print_check

ALPHA = 0.01
LOG_Q = -1339.70  # log-probability of the adversarial input under the reference model (paper)
PAPER_KL = 13.35
PRINTED_CONSTANT = 1339.70  # the expression as printed: α(log(α) − 1339.70)


def check():
    first_order = float(mixture_kl_approx(ALPHA, LOG_Q))  # α(log α − log q)
    exact = float(mixture_kl(ALPHA, LOG_Q))  # the paper's closed form, q = e^-1339.7 → 0
    as_printed = ALPHA * (math.log(ALPHA) - PRINTED_CONSTANT)
    ok = round(first_order, 2) == PAPER_KL
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§4.1, worked example (KL of the mixture policy)",
        claim=f"Mixing in the best ACG input with α = {ALPHA:.0%} costs KL "
              f"α(log(α) − {PRINTED_CONSTANT:.2f}) = {PAPER_KL:.2f} nats.",
        computed=f"α(log α − log q) with log q = {LOG_Q:.2f} (mixture_kl_approx), the expression as printed, "
                 "and the exact mixture KL (mixture_kl)",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"α(log α − log q) = {first_order:.4f} rounds to {PAPER_KL:.2f} (exact mixture KL "
                f"{exact:.4f}); the expression as printed, α(log α − {PRINTED_CONSTANT:.2f}) = "
                f"{as_printed:.4f}, has the sign of log q dropped")
        if ok else (f"α(log α − log q) = {first_order:.4f} (exact mixture KL {exact:.4f}), not "
                    f"{PAPER_KL:.2f}; as printed, α(log α − {PRINTED_CONSTANT:.2f}) = {as_printed:.4f}"),
        details={"α": ALPHA, "log q(x)": LOG_Q, "α(log α − log q)": first_order,
                 "exact KL of the mixture": exact,
                 f"α(log α − {PRINTED_CONSTANT:.2f}) as printed": as_printed, "paper": PAPER_KL})


if __name__ == "__main__":
    print_check(check())
