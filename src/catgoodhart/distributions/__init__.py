"""Distributions with exact tail facts and fast, reproducible numba samplers.

Light (E[e^{sX}] < ∞ for some s > 0): Normal, Exponential, Gumbel, Laplace, Uniform,
Weibull (shape >= 1). Heavy (E[e^{sX}] = ∞ for all s > 0): StudentT, Pareto, LogNormal,
Levy, Frechet, BurrXII, GPD, Cauchy, Weibull (shape < 1). ``from_scipy`` adapts any frozen
scipy.stats continuous distribution; ``parse_spec`` reads ``name:param=value,...``.

>>> from catgoodhart import distributions as D
>>> t3 = D.StudentT(nu=3)
>>> t3.heavy_tailed, t3.gamma
(True, 0.3333333333333333)
>>> x = t3.sample(1000, seed=0)
"""

from catgoodhart.distributions._base import Distribution
from catgoodhart.distributions.heavy import (
    GPD,
    BurrXII,
    Cauchy,
    Frechet,
    Levy,
    LogNormal,
    Pareto,
    StudentT,
)
from catgoodhart.distributions.light import Exponential, Gumbel, Laplace, Normal, Uniform, Weibull
from catgoodhart.distributions.scipy_adapter import ScipyDistribution, from_scipy
from catgoodhart.distributions.spec import FAMILIES, parse_spec, spec_name

__all__ = [
    "Distribution", "Normal", "Exponential", "Gumbel", "Laplace", "Uniform", "Weibull",
    "StudentT", "Pareto", "LogNormal", "Levy", "Frechet", "BurrXII", "GPD", "Cauchy",
    "ScipyDistribution", "from_scipy", "parse_spec", "spec_name", "FAMILIES",
]
