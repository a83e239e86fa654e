"""Gao, Schulman & Hilton, abstract and results on reward-model size: the coefficients α, β of
both forms scale smoothly with the number of reward-model parameters. Checking this needs the
paper's measured gold scores (or its fitted α, β per proxy size), which the references shipped with
this project do not contain; the toolkit can fit the forms (``catgoodhart.scaling.fit_form``) once
such data are supplied."""

from catgoodhart.reproduce import ClaimCheck, print_check


def check():
    return ClaimCheck(
        paper="Gao et al.", location="abstract; results on proxy reward-model size",
        claim="The coefficients α_bon, β_bon, α_RL, β_RL move smoothly with the reward model's parameter "
              "count (and with the amount of reward-model data).",
        computed="nothing: the measured gold scores or fitted coefficients per proxy size are not in the "
                 "references (../shared/seeds holds summaries without the numbers)",
        verdict="NOT CHECKABLE",
        reason="needs the paper's per-size (d, gold score) measurements; with them, fit_form gives α, β per "
               "size and the smoothness can be tested",
        details={})


if __name__ == "__main__":
    print_check(check())
