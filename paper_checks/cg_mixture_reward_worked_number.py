"""Catastrophic Goodhart, §4.1 worked example: the same mixture policy gains reward "only about
α·(2.2377 − 0.3329) = 0.02571" over the base model. The arithmetic as printed gives 0.019048;
0.02571 is α·(2.2377 + 0.3329), the gain if the base model's mean reward were −0.3329."""

from catgoodhart.probe.mixture import mixture_gain
from catgoodhart.reproduce import ClaimCheck, print_check

ALPHA = 0.01
BEST_ACG_REWARD = 2.2377
SECOND_TERM = 0.3329
PAPER_GAIN = 0.02571
ROUNDING = 5e-6  # the paper's value has five decimals


def check():
    # gain f·(r(x) − E_Q[r]): as printed the base model's mean reward is +0.3329
    as_printed = float(mixture_gain(ALPHA, BEST_ACG_REWARD, SECOND_TERM))
    with_negative_base = float(mixture_gain(ALPHA, BEST_ACG_REWARD, -SECOND_TERM))
    ok = abs(as_printed - PAPER_GAIN) < ROUNDING
    printed = f"α·({BEST_ACG_REWARD} − {SECOND_TERM})"
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§4.1, worked example (reward gain of the mixture policy)",
        claim=f"The mixture policy's reward gain over the base model is about {printed} = {PAPER_GAIN}.",
        computed=f"the printed arithmetic {printed} with α = {ALPHA:g} (mixture_gain)",
        verdict="AGREES" if ok else "DISAGREES",
        reason=f"the arithmetic gives {as_printed:.6f}, which rounds to {PAPER_GAIN}" if ok else
        (f"{printed} = {as_printed:.6f}, not {PAPER_GAIN}; the stated value is within "
         f"{abs(with_negative_base - PAPER_GAIN):.1e} of α·({BEST_ACG_REWARD} + {SECOND_TERM}) = "
         f"{with_negative_base:.6f}, so either the base reward is −{SECOND_TERM} and the expression's sign "
         "is wrong, or the value is. Either way the gain is tiny next to the KL of the same policy "
         "(cg_mixture_kl_worked_number), which is the example's point"),
        details={printed: as_printed, f"α·({BEST_ACG_REWARD} + {SECOND_TERM})": with_negative_base,
                 "paper": PAPER_GAIN})


if __name__ == "__main__":
    print_check(check())
