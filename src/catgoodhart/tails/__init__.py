"""Tail estimators for samples of rewards: is the upper tail heavy, E[e^{sX}] = ∞ for all
s > 0, or light?

    hill, hill_curve, pickands, moment   extreme-value index γ        (evi)
    select_k                             how many order statistics   (selection)
    gpd_fit                              peaks over threshold, ξ      (gpd)
    powerlaw_fit                         Clauset–Shalizi–Newman fit   (powerlaw)
    weibull_tail                         Weibull-tail coefficient θ   (weibull_tail)
    weibull_tail_reduced_bias            θ with its bias term fitted  (weibull_tail)
    tail_report                          all of them and the verdict  (report)
    read_samples, diagnostic_figure      files in, the 2×3 figure out (io, diagnostics)
"""

from catgoodhart.tails.diagnostics import diagnostic_figure, save_diagnostic_figure
from catgoodhart.tails.evi import hill, hill_curve, moment, pickands
from catgoodhart.tails.gpd import gpd_fit
from catgoodhart.tails.io import read_samples
from catgoodhart.tails.powerlaw import powerlaw_fit
from catgoodhart.tails.report import tail_report
from catgoodhart.tails.selection import select_k
from catgoodhart.tails.weibull_tail import weibull_tail, weibull_tail_reduced_bias

__all__ = ["diagnostic_figure", "gpd_fit", "hill", "hill_curve", "moment", "pickands", "powerlaw_fit",
           "read_samples", "save_diagnostic_figure", "select_k", "tail_report", "weibull_tail",
           "weibull_tail_reduced_bias"]
