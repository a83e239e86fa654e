"""The generic log-space quadrature against every closed form it could replace.

Each family with a closed-form cgf and tilted mean is evaluated a second time through the
base class's quadrature path; the two methods must agree.
"""

import math

import numpy as np
import pytest

from catgoodhart import distributions as D
from catgoodhart._quadrature import log_moments
from catgoodhart.distributions._base import Distribution

CASES = [
    (D.Normal(), [-30.0, -1.0, -1e-9, 1e-12, 0.5, 3.0, 40.0]),
    (D.Exponential(), [-50.0, -1.0, -1e-6, 1e-10, 0.3, 0.9, 0.999]),
    (D.Gumbel(), [-20.0, -1.0, -1e-3, 1e-9, 0.5, 0.99]),
    (D.Laplace(), [-0.99, -0.5, 1e-8, 0.2, 0.9]),
    (D.Uniform(), [-200.0, -1.0, -1e-12, 1e-4, 2.0, 300.0]),
    (D.Levy(), [-100.0, -1.0, -1e-4]),
]
# the quadrature is asked for 1e-13 relative on exp(g - max g); the log then carries ~1e-13 absolute,
# and a ratio of two such integrals ~3e-13 relative; 1e-11 leaves room for conditioning
RTOL = 1e-11


def log_integral(g, lo, hi, *, center, scale):
    """log ∫_lo^hi exp(g(x)) dx: ``log_moments`` of one problem, strictly."""
    log_mass, _ = log_moments(lambda x, i: g(x), None, 0, np.array([lo], dtype=float),
                              np.array([hi], dtype=float), np.array([[center]], dtype=float),
                              scale, strict=True)
    return float(log_mass[0])


@pytest.mark.parametrize("dist, points", CASES, ids=[repr(c[0]) for c in CASES])
def test_quadrature_matches_closed_forms(dist, points):
    """The closed-form (excess, gain, KL) of each tilt against the base class's centred
    quadrature, and the closed-form cgf against the quadrature of e^{sz} f(z)."""
    # the hooks run unguarded here; the public methods silence overflow to inf
    with np.errstate(all="ignore"):
        _compare(dist, points)


def _compare(dist, points):
    for s in points:
        if math.isfinite(dist._mean()):
            closed, numeric = dist._tilt_z(s), Distribution._tilt_z(dist, s)
            for name, a, b in zip(("excess", "gain", "KL"), closed, numeric, strict=True):
                assert b == pytest.approx(a, rel=RTOL, abs=0.0), (s, name)
        closed, numeric = dist._cgf(s), Distribution._cgf_by_quadrature(dist, s)
        assert numeric == pytest.approx(closed, rel=RTOL, abs=1e-13), s


def test_log_integral_of_a_gaussian_far_from_the_origin():
    # log ∫ exp(-(x - 1e6)² / 2 + 1e4) dx = 1e4 + log √(2π)
    value = log_integral(lambda x: -0.5 * (x - 1e6) ** 2 + 1e4, -math.inf, math.inf, center=0.0, scale=1.0)
    assert value == pytest.approx(1e4 + 0.5 * math.log(2 * math.pi), rel=1e-15)


def test_log_integral_of_a_power_tail():
    # ∫_1^∞ x^{-1.5} dx = 2, a heavy integrand over twelve decades and more
    value = log_integral(lambda x: -1.5 * np.log(x), 1.0, math.inf, center=2.0, scale=1.0)
    assert value == pytest.approx(math.log(2.0), rel=1e-12)


def test_peak_narrower_than_double_resolution_gives_its_height():
    """Weibull with shape just above 1 at a large s: the integrand of K peaks at z* ~ e^126 with
    a width far below the spacing of doubles there. The answer is the saddle-point value
    h(z*) + ½ log(2π/|h''(z*)|) (mpmath, 60 digits), whose correction is below K's rounding."""
    mp = pytest.importorskip("mpmath")
    shape, scale, s = 1.0246975388688997, 0.34512379040720353, 67.13594767854819
    with mp.workdps(60):
        k, u = mp.mpf(shape), mp.mpf(s) * mp.mpf(scale)
        z = mp.findroot(lambda z: (k - 1) / z - k * z ** (k - 1) + u, (u / k) ** (1 / (k - 1)))
        h = mp.log(k) + (k - 1) * mp.log(z) - z**k + u * z
        h2 = -(k - 1) / z**2 - k * (k - 1) * z ** (k - 2)
        want = float(h + mp.log(mp.sqrt(2 * mp.pi / abs(h2))))
    got = D.Weibull(shape=shape, scale=scale).cgf(s)
    assert got == pytest.approx(want, rel=1e-13)


def test_unresolvable_peak_with_a_moderate_height_is_an_error():
    def g(x):
        return -1e30 * (x - 0.3) ** 2  # width 1e-15 around 0.3, height 0: log w matters

    with pytest.raises(ArithmeticError, match="narrower than double precision"):
        log_integral(g, -1.0, 1.0, center=0.0, scale=1.0)
