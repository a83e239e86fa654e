"""Small special functions that stay accurate where the naive formula overflows or cancels."""

import math

import numpy as np
from scipy import special

EULER_GAMMA = float(np.euler_gamma)


def log1p_square(t):
    """log(1 + t^2), also for |t| beyond 1e154 where t^2 overflows."""
    t = np.abs(t)
    big = t > 1e150
    with np.errstate(over="ignore", divide="ignore"):
        return np.where(big, 2.0 * np.log(np.where(big, t, 1.0)), np.log1p(np.where(big, 0.0, t) ** 2))


def log_one_minus_exp_neg_exp(t):
    """log(1 - exp(-e^t)): log F̄ of the Gumbel at z = -t, accurate for t -> -inf."""
    t = np.asarray(t, dtype=float)
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        w = np.exp(t)
        # w < 1e-13: log w - w/2 + O(w²); w < log 2: 1 - e^{-w} by expm1; above, log1p of e^{-w}
        return np.where(t < -30.0, t - 0.5 * w,
                        np.where(w < math.log(2.0), np.log(-np.expm1(-w)), np.log1p(-np.exp(-w))))


def ein(w):
    """Entire exponential integral Ein(w) = ∫_0^w (1 - e^{-u}) / u du, for w >= 0.

    Ein(w) = E1(w) + log w + γ for w >= 1, and its power series Σ (-1)^{k+1} w^k / (k k!)
    below, where that sum would cancel.
    """
    w = np.asarray(w, dtype=float)
    small = w < 1.0
    ws = np.where(small, w, 0.0)
    term = ws.copy()
    total = ws.copy()
    for k in range(2, 30):  # w < 1: the k-th term is below 1/(k k!) < 1e-30 by k = 27
        term = -term * ws / k
        total = total + term / k
    wl = np.where(small, 1.0, w)
    with np.errstate(over="ignore"):
        large = special.exp1(wl) + np.log(wl) + EULER_GAMMA
    return np.where(small, total, large)
