"""Symbolic cross-checks of the package's closed forms, derived with sympy.

Each function derives a formula from first principles (a density and an integral, or a
stationarity condition) and returns a plain sympy expression; the tests compare it with
the known closed form and with the numeric code in ``distributions``, ``tilting`` and
``threshold``. Sources: Kwa, Thomas & Garriga-Alonso (arXiv 2407.14503), Theorem 1 and
§3.3 (Donsker–Varadhan); standard facts on the Student-t and normal laws.

This module is not imported by ``import catgoodhart``; use
``from catgoodhart import symbolic``.
"""

from functools import cache

import sympy as sp

t = sp.Symbol("t", real=True)
x = sp.Symbol("x", real=True)
s = sp.Symbol("s", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
lam = sp.Symbol("lambda", positive=True)
d = sp.Symbol("d", positive=True)
p = sp.Symbol("p", positive=True)
F = sp.Symbol("F", positive=True)


def _nu(nu):
    """nu as a positive sympy Rational (integers and fractions only: the result is exact)."""
    value = sp.nsimplify(nu, rational=True)
    if not (value.is_Rational and value > 0):
        raise ValueError(f"`nu` must be a positive integer or rational, got {nu!r}")
    return value


def student_t_density(nu, var=t):
    """f(x) = Γ((ν+1)/2) / (Γ(ν/2) √(νπ)) (1 + x²/ν)^{-(ν+1)/2}, the Student-t(ν) density."""
    nu = _nu(nu)
    const = sp.gamma((nu + 1) / 2) / (sp.gamma(nu / 2) * sp.sqrt(nu * sp.pi))
    return const * (1 + var**2 / nu) ** (-(nu + 1) / 2)


def student_t_partial_mean(nu):
    """E[X; X > t] = ∫_t^∞ x f(x) dx for X ~ t(ν), ν > 1, derived by sympy; in symbol ``t``.

    With u = 1 + x²/ν (x dx = ν/2 du) sympy integrates f(0) u^{-(ν+1)/2} ν/2 to an
    antiderivative G(x), checks G'(x) = x f(x) on the whole real line, and returns
    lim_{x→∞} G(x) − G(t) (the direct ``integrate`` is much slower for ν ≥ 10).
    """
    nu = _nu(nu)
    if not nu > 1:
        raise ValueError(f"the partial mean is infinite for nu <= 1, got nu = {nu}")
    u = sp.Symbol("u", positive=True)
    density = student_t_density(nu, x)
    in_u = sp.integrate(density.subs(x, 0) * u ** (-(nu + 1) / 2) * nu / 2, u)
    antiderivative = in_u.subs(u, 1 + x**2 / nu)
    if sp.simplify(sp.diff(antiderivative, x) - x * density) != 0:
        raise ArithmeticError("the antiderivative does not differentiate back to x f(x)")
    return sp.simplify(sp.limit(antiderivative, x, sp.oo) - antiderivative.subs(x, t))


def student_t_partial_mean_closed_form(nu):
    """E[X; X > t] = (ν + t²)/(ν − 1) · f(t), the textbook closed form, in symbol ``t``."""
    nu = _nu(nu)
    return (nu + t**2) / (nu - 1) * student_t_density(nu, t)


@cache
def normal_cgf():
    """K(s) = log E[e^{sX}] for X ~ N(μ, σ²), by sympy integration; equals μs + σ²s²/2.

    Symbols ``s``, ``mu``, ``sigma`` of this module.
    """
    density = sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi))
    mgf = sp.integrate(sp.exp(s * x) * density, (x, -sp.oo, sp.oo), conds="none")
    return sp.expand(sp.simplify(sp.expand_log(sp.log(sp.simplify(mgf)), force=True)))


def dv_bound_normal():
    """sup{E_P[X] : KL(P‖Q) ≤ d} for Q = N(0, σ²) = inf_{λ>0} (K(λ) + d)/λ (Donsker–Varadhan).

    K is ``normal_cgf`` at μ = 0; the stationary point of (K(λ) + d)/λ is solved for its
    positive root. Returns the value σ√(2d) in symbols ``sigma``, ``d``.
    """
    k = normal_cgf().subs({mu: 0, s: lam})
    objective = (k + d) / lam
    roots = [r for r in sp.solve(sp.diff(objective, lam), lam) if r.is_positive]
    if len(roots) != 1:
        raise ArithmeticError(f"expected one positive stationary point, got {roots}")
    return sp.simplify(objective.subs(lam, roots[0]))


def dv_bound_normal_lambda():
    """The minimizing λ* = √(2d)/σ of (K(λ) + d)/λ for Q = N(0, σ²)."""
    k = normal_cgf().subs({mu: 0, s: lam})
    roots = [r for r in sp.solve(sp.diff((k + d) / lam, lam), lam) if r.is_positive]
    return sp.simplify(roots[0])


def threshold_kl():
    """KL(P_{t,p}‖Q) = (1−p) log((1−p)/F) + p log(p/(1−F)), F = F(t) (Theorem 1's family).

    Symbols ``p``, ``F`` of this module.
    """
    return (1 - p) * sp.log((1 - p) / F) + p * sp.log(p / (1 - F))


def threshold_kl_at_base():
    """``threshold_kl`` at p = F̄(t) = 1 − F, simplified: 0 (P = Q)."""
    return sp.simplify(threshold_kl().subs(p, 1 - F))


__all__ = [
    "F", "d", "dv_bound_normal", "dv_bound_normal_lambda", "lam", "mu", "normal_cgf", "p", "s",
    "sigma", "student_t_density", "student_t_partial_mean", "student_t_partial_mean_closed_form",
    "t", "threshold_kl", "threshold_kl_at_base", "x",
]
