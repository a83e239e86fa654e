"""Tail estimators for samples of rewards: is the upper tail heavy, E[e^{sX}] = ∞ for all
s > 0, or light?

    hill, hill_curve, pickands, moment   extreme-value index γ        (evi)
    select_k                             how many order statistics   (selection)
    gpd_fit                              peaks over threshold, ξ      (gpd)
    powerlaw_fit                         Clauset–Shalizi–Newman fit   (powerlaw)
    weibull_tail                         Weibull-tail coefficient θ   (weibull_tail)
"""

from catgoodhart.tails.evi import hill, hill_curve, moment, pickands
from catgoodhart.tails.gpd import gpd_fit
from catgoodhart.tails.powerlaw import powerlaw_fit
from catgoodhart.tails.selection import select_k
from catgoodhart.tails.weibull_tail import weibull_tail

__all__ = ["gpd_fit", "hill", "hill_curve", "moment", "pickands", "powerlaw_fit", "select_k",
           "weibull_tail"]
