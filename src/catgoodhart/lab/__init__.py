"""The overoptimization lab: Gao, Schulman & Hilton's synthetic setup (arXiv 2210.10760),
scaled to run on a laptop's CPU.

A gold reward (a random network), proxies trained on its comparisons (several widths, data
sizes and seeds, and ensembles), proxies with injected heavy- or light-tailed error; for each,
gold and proxy reward against KL under best-of-n, the KL-penalized optimum, the quantilizer
and an RL-like policy-gradient optimizer; Gao et al.'s functional forms fitted with bootstrap
intervals; and their claims measured.

    config = preset("small")
    run_lab(config, "lab-run")
    analysis = analyze("lab-run")
"""

from catgoodhart.lab.analysis import analyze
from catgoodhart.lab.config import PRESETS, LabConfig, load_config, preset
from catgoodhart.lab.run import run_lab

__all__ = ["PRESETS", "LabConfig", "analyze", "load_config", "preset", "run_lab"]
