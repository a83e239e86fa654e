"""The sympy derivations in catgoodhart.symbolic against closed forms and the numeric code."""

import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from catgoodhart import distributions as D
from catgoodhart import symbolic as S
from catgoodhart.threshold import threshold_distribution
from catgoodhart.tilting import sup_mean_under_kl

NUS = [3, 5, 10, "5/2"]
T_VALUES = [-20.0, -3.0, -0.5, 0.0, 0.25, 1.5, 4.0, 37.0, 1e3, 1e6]


def _rel(a, b):
    return abs(a - b) / abs(b)


def test_import_catgoodhart_does_not_import_symbolic():
    code = "import sys, catgoodhart; sys.exit('catgoodhart.symbolic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- Student-t partial mean ----------------------------------------------------------------------

@pytest.mark.parametrize("nu", NUS)
def test_student_t_partial_mean_matches_closed_form(nu):
    derived = S.student_t_partial_mean(nu)
    assert derived.free_symbols == {S.t}
    assert sp.simplify(derived - S.student_t_partial_mean_closed_form(nu)) == 0


@pytest.mark.parametrize("nu", NUS)
def test_student_t_partial_mean_is_minus_derivative_of_integrand(nu):
    # d/dt ∫_t^∞ x f(x) dx = -t f(t), and the partial mean at t = 0 is half of E|X|
    derived = S.student_t_partial_mean(nu)
    assert sp.simplify(sp.diff(derived, S.t) + S.t * S.student_t_density(nu)) == 0
    nu_r = sp.Rational(nu)
    e_abs = sp.sqrt(nu_r) * sp.gamma((nu_r - 1) / 2) / (sp.sqrt(sp.pi) * sp.gamma(nu_r / 2))
    assert sp.simplify(derived.subs(S.t, 0) - e_abs / 2) == 0


@pytest.mark.parametrize("nu", NUS)
def test_student_t_partial_mean_numeric(nu):
    reference = sp.lambdify(S.t, S.student_t_partial_mean(nu), modules="mpmath")
    dist = D.StudentT(nu=float(sp.Rational(nu)))
    with mpmath.workdps(30):
        for t in T_VALUES:
            assert _rel(dist.partial_mean_upper(t), float(reference(mpmath.mpf(t)))) < 1e-12, t


def test_student_t_partial_mean_vectorized_and_scaled():
    reference = sp.lambdify(S.t, S.student_t_partial_mean(3), modules="mpmath")
    t = np.array([-2.0, 0.5, 3.0, 50.0])
    got = D.StudentT(nu=3).partial_mean_upper(t)
    with mpmath.workdps(30):
        want = [float(reference(mpmath.mpf(v))) for v in t]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # X = loc + scale Z: E[X; X > t] = loc F̄(z) + scale E[Z; Z > z]
    loc, scale, t0 = 1.5, 2.0, 4.0
    z = (t0 - loc) / scale
    with mpmath.workdps(30):
        density = sp.lambdify(S.t, S.student_t_density(3), modules="mpmath")
        sf = float(mpmath.quad(density, [z, mpmath.inf]))
        want = loc * sf + scale * float(reference(mpmath.mpf(z)))
    assert _rel(D.StudentT(nu=3, loc=loc, scale=scale).partial_mean_upper(t0), want) < 1e-12


@pytest.mark.parametrize("nu", [0.5, 1, -3, "x"])
def test_student_t_partial_mean_rejects_bad_nu(nu):
    with pytest.raises(ValueError):
        S.student_t_partial_mean(nu)


# --- normal cgf and the Donsker–Varadhan bound ---------------------------------------------------

def test_normal_cgf_closed_form():
    cgf = S.normal_cgf()
    assert sp.simplify(cgf - (S.mu * S.s + S.sigma**2 * S.s**2 / 2)) == 0
    assert (cgf - (S.mu * S.s + S.sigma**2 * S.s**2 / 2)).equals(0)


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (1.5, 0.3), (-2.0, 4.0)])
def test_normal_cgf_numeric(mu, sigma):
    cgf = sp.lambdify((S.s, S.mu, S.sigma), S.normal_cgf())
    dist = D.Normal(mu, sigma)
    for s in (-3.0, -0.7, 0.0, 1e-3, 0.5, 2.0, 10.0):
        want = cgf(s, mu, sigma)
        got = dist.cgf(s)
        assert got == want if want == 0 else _rel(got, want) < 1e-12, s


def test_dv_bound_normal_closed_form():
    assert sp.simplify(S.dv_bound_normal() - S.sigma * sp.sqrt(2 * S.d)) == 0
    assert sp.simplify(S.dv_bound_normal_lambda() - sp.sqrt(2 * S.d) / S.sigma) == 0


@pytest.mark.parametrize("sigma", [0.2, 1.0, 3.0])
@pytest.mark.parametrize("d", [1e-4, 0.05, 1.0, 20.0])
def test_dv_bound_normal_numeric(sigma, d):
    value = sp.lambdify((S.sigma, S.d), S.dv_bound_normal())(sigma, d)
    lam = sp.lambdify((S.sigma, S.d), S.dv_bound_normal_lambda())(sigma, d)
    result = sup_mean_under_kl(D.Normal(0.0, sigma), kl=d)
    assert _rel(result.value, value) < 1e-10
    assert _rel(result.lam, lam) < 1e-8


# --- the threshold family's KL -------------------------------------------------------------------

def test_threshold_kl_zero_at_base():
    assert S.threshold_kl_at_base() == 0
    kl = S.threshold_kl()
    # p = 1 - F is the minimum: the derivative in p vanishes there and the second is positive
    assert sp.simplify(sp.diff(kl, S.p).subs(S.p, 1 - S.F)) == 0
    assert sp.simplify(sp.diff(kl, S.p, 2) - 1 / (S.p * (1 - S.p))) == 0


def test_threshold_kl_is_kl_of_two_point_masses():
    # KL(P‖Q) of the reweighting equals the KL between Bernoulli(1 - p) and Bernoulli(F)
    q_lo, q_hi = S.F, 1 - S.F
    p_lo, p_hi = 1 - S.p, S.p
    bernoulli_kl = p_lo * sp.log(p_lo / q_lo) + p_hi * sp.log(p_hi / q_hi)
    assert sp.simplify(S.threshold_kl() - bernoulli_kl) == 0


@pytest.mark.parametrize(("dist", "t", "p"), [
    (D.StudentT(nu=3), 1.5, 1.5**-0.8),
    (D.StudentT(nu=3), 100.0, 100.0**-0.8),
    (D.StudentT(nu=5), -1.0, 0.2),
    (D.Normal(), 0.5, 0.9),
    (D.Normal(1.0, 2.0), 3.0, 0.01),
    (D.Pareto(alpha=1.5), 4.0, 0.3),
    (D.Exponential(), 2.0, 0.5),
])
def test_threshold_kl_numeric(dist, t, p):
    kl = sp.lambdify((S.p, S.F), S.threshold_kl(), modules="mpmath")
    F = float(dist.cdf(t))
    got = threshold_distribution(dist, t=t, p=p).kl
    with mpmath.workdps(30):
        plain = float(kl(mpmath.mpf(p), mpmath.mpf(F)))
        # F near 1 loses the digits of F̄ = 1 - F in a double: take them from sf there
        F_exact = mpmath.mpf(F) if F < 0.5 else 1 - mpmath.mpf(float(dist.sf(t)))
        exact = float(kl(mpmath.mpf(p), F_exact))
    assert _rel(got, plain) < 1e-9
    assert _rel(got, exact) < 1e-12
    base = threshold_distribution(dist, t=t, p=1.0 - F).kl
    assert abs(base) < 1e-13
