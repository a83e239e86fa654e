"""Catastrophic Goodhart, §4.1 worked example: the same mixture policy gains reward "only about
α·(2.2377 − 0.3329) = 0.02571" over the base model. The arithmetic as printed gives 0.019048;
0.02571 is α·(2.2377 + 0.3329), the gain if the base model's mean reward were −0.3329."""

from catgoodhart.reproduce import ClaimCheck, print_check

ALPHA = 0.01
BEST_ACG_REWARD = 2.2377
SECOND_TERM = 0.3329
PAPER_GAIN = 0.02571


def check():
    as_printed = ALPHA * (BEST_ACG_REWARD - SECOND_TERM)
    with_negative_base = ALPHA * (BEST_ACG_REWARD + SECOND_TERM)
    ok = abs(as_printed - PAPER_GAIN) < 5e-6
    return ClaimCheck(
        paper="Catastrophic Goodhart", location="§4.1, worked example (reward gain of the mixture policy)",
        claim="The mixture policy's reward gain over the base model is about α·(2.2377 − 0.3329) = 0.02571.",
        computed="the printed arithmetic α·(2.2377 − 0.3329) with α = 0.01",
        verdict="AGREES" if ok else "DISAGREES",
        reason="the arithmetic gives 0.02571" if ok else
        (f"α·(2.2377 − 0.3329) = {as_printed:.6f}, not 0.02571; the stated value equals α·(2.2377 + 0.3329) "
         f"= {with_negative_base:.6f}, so either the base reward is −0.3329 and the expression's sign is "
         "wrong, or the value is. Either way the gain is tiny next to the 13.35-nat KL, which is the "
         "example's point"),
        details={"α·(2.2377 − 0.3329)": as_printed, "α·(2.2377 + 0.3329)": with_negative_base,
                 "paper": PAPER_GAIN})


if __name__ == "__main__":
    print_check(check())
