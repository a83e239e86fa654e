"""Kernel kinds: the standard variate Z that a distribution turns into loc + scale * Z.

Kept apart from ``_kernels`` so that importing the distributions does not import numba.
"""

UNIFORM, NORMAL, EXPONENTIAL, GUMBEL, LAPLACE, WEIBULL, STUDENT_T, PARETO = range(8)
LOGNORMAL, LEVY, FRECHET, BURR_XII, GPD, CAUCHY = range(8, 14)
