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


def log1pmx(x):
    """log(1 + x) - x for x > -1, accurate also where the two terms cancel (|x| small).

    With u = x / (2 + x), log(1 + x) = 2 atanh(u) = 2 (u + u³/3 + u⁵/5 + ...) and x - 2u = x u,
    so log(1 + x) - x = -x u + 2 Σ_{j>=1} u^{2j+1} / (2j + 1): no cancellation for |x| < 1/2
    (|u| <= 1/3: twenty terms reach 1e-19 of the first).
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    u = xs / (2.0 + xs)
    u2 = u * u
    term = u * u2
    total = np.zeros_like(u)
    for j in range(1, 21):
        total = total + term / (2 * j + 1)
        term = term * u2
    with np.errstate(divide="ignore", invalid="ignore"):
        large = np.log1p(np.where(small, 0.0, x)) - np.where(small, 0.0, x)
    return np.where(small, 2.0 * total - xs * u, large)


def exp_e1(w):
    """e^w E1(w) for w > 0 (E1 the exponential integral), finite where e^w overflows.

    scipy's exp1 times exp below w = 50; above, the asymptotic series Σ (-1)^n n! / w^{n+1},
    whose 25th term is below 1e-17 of the first there.
    """
    w = np.asarray(w, dtype=float)
    big = w > 50.0
    wb = np.where(big, w, 50.0)
    term = 1.0 / wb
    total = term.copy()
    for n in range(1, 25):
        term = -term * n / wb
        total = total + term
    ws = np.where(big, 1.0, w)
    return np.where(big, total, np.exp(ws) * special.exp1(ws))


def expm1mx(x):
    """ψ(x) = e^x - 1 - x >= 0, by its series Σ_{k>=2} x^k/k! where |x| < 1/2 (the difference
    cancels there; 20 terms reach 1e-20 of the first)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    term = 0.5 * xs * xs
    total = term.copy()
    for k in range(3, 23):
        term = term * xs / k
        total = total + term
    with np.errstate(over="ignore"):
        return np.where(small, total, np.expm1(np.where(small, 0.0, x)) - np.where(small, 0.0, x))


def xexpm1mexpm1(x):
    """χ(x) = x e^x - e^x + 1 = (x - 1)(e^x - 1) + x >= 0, by its series Σ_{k>=2} (k - 1) x^k/k!
    where |x| < 1/2."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    power = xs * xs / 2.0  # x^k / k!
    total = power.copy()
    for k in range(3, 24):
        power = power * xs / k
        total = total + (k - 1) * power
    xl = np.where(small, 0.0, x)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(small, total, (xl - 1.0) * np.expm1(xl) + xl)


def log_expm1mx(y):
    """log ψ(y) = log(e^y - 1 - y) (-inf at 0), finite where e^y overflows."""
    y = np.asarray(y, dtype=float)
    # ψ(y) = (y²/2) Σ_{k>=0} 2 y^k/(k + 2)! for |y| < 1/2, in logs so that tiny y does not underflow
    ys = np.where(np.abs(y) < 0.5, y, 0.0)
    term, total = np.ones(y.shape), np.ones(y.shape)
    for k in range(1, 21):
        term = term * ys / (k + 2)
        total = total + term
    with np.errstate(all="ignore"):
        return np.where(y >= 0.5, y + np.log1p(-(1.0 + y) * np.exp(-y)),
                        np.where(y > -0.5, 2.0 * np.log(np.abs(y)) - math.log(2.0) + np.log(total),
                                 np.log(np.expm1(y) - y)))


def log_x_expm1(y):
    """log(y (e^y - 1)) (-inf at 0), finite where e^y overflows."""
    y = np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        return np.log(np.abs(y)) + np.where(y > 0, y + np.log(-np.expm1(-y)), np.log(-np.expm1(y)))
