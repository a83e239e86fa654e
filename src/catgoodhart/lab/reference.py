"""The reference lab run behind ``catgoodhart reproduce``: the "small" preset, run once per
process into a temporary folder and analysed (its claims become paper_checks, its figures go
into ``figures/``)."""

import functools
import os
import tempfile

from catgoodhart.lab.analysis import analyze
from catgoodhart.lab.config import LabConfig, preset
from catgoodhart.lab.run import run_lab

#: a configuration small enough for previews and tests (``fast``): seconds, not minutes
TINY = LabConfig(prompts=2, responses=2000, widths=(2, 8), data_sizes=(10, 100), seeds=2, train_steps=30,
                 rl_steps=60, n_max=3000.0, n_fit=100.0, n_points=10, kl_points=5, ensemble_size=2,
                 ensemble_width=8, ensemble_data=100, test_pairs=500, bootstrap=20)


@functools.lru_cache(maxsize=2)
def reference_analysis(*, fast=False):
    """``analyze`` of a fresh run of the "small" preset (``TINY`` with ``fast``)."""
    config = TINY if fast else preset("small")
    with tempfile.TemporaryDirectory(prefix="catgoodhart-lab-") as folder:
        out = os.path.join(folder, "run")
        run_lab(config, out, workers=1)  # in this process: the same cells as on Dask, bit for bit
        return analyze(out)


#: where each claim is made (Gao, Schulman & Hilton, arXiv 2210.10760; claim 7 links it to Kwa et al.)
LOCATIONS = {
    1: "abstract; Figure 1 (gold score against KL for best-of-n and RL)",
    2: "abstract and results on proxy size and data size (the coefficients scale smoothly)",
    3: "results comparing RL and best-of-n (RL consumes more KL for the same optimization)",
    4: "Figure 9 and its caption (the KL penalty acts like early stopping)",
    5: "results on reward-model data size (below some size the proxy is near chance)",
    6: "follow-up: Coste et al., ICLR 2024 (ensembles against overoptimization)",
    7: "Kwa et al. (arXiv 2407.14503) Theorems 5-6 applied to Gao et al.'s best-of-n form",
}


def claim_check(number):
    """Claim ``number`` (1-7) of the reference run as a paper_check ``ClaimCheck``; NOT
    CHECKABLE, with the reason, where the run cannot be made (torch missing)."""
    from catgoodhart.reproduce import ClaimCheck

    paper = "Gao et al. and Catastrophic Goodhart" if number == 7 else "Gao et al."
    computed = ("the overoptimization lab's small preset (catgoodhart lab run --preset small): proxies "
                "trained by Bradley-Terry on a random gold network's comparisons, exact best-of-n, tilt and "
                "quantilizer curves on pools of 50,000 responses, RL by policy gradient, bootstrap fits")
    try:
        analysis = reference_analysis()
    except ImportError as e:
        return ClaimCheck(paper=paper, location=LOCATIONS[number], claim=f"lab claim {number}",
                          computed=computed, verdict="NOT CHECKABLE", reason=str(e), details={})
    claim = analysis.claims[number - 1]
    return ClaimCheck(paper=paper, location=LOCATIONS[number], claim=claim.claim, computed=computed,
                      verdict=claim.verdict, reason=claim.reason, details=claim.numbers)
