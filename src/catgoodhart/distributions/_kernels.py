"""Numba sampling kernels: float64 arrays in, float64 arrays out, no validation.

Random bits come from xoshiro256++ (Blackman & Vigna 2019), one 256-bit state per block of
``catgoodhart._random.BLOCK`` samples, so the output depends on the seed and never on the
thread count. Normal and exponential variates use 256-layer ziggurats (Marsaglia & Tsang
2000) whose tables are built below from the base-strip abscissa r; gamma variates use
Marsaglia & Tsang's squeeze method; every other law is a transform of these.

The module compiles nothing when imported: the sampler of all kinds is compiled the first
time one is called (about 10 s) and cached on disk. Its functions are plain module functions,
not closures, so that every later process loads that cache (a closure over a compiled
function is keyed by that function's pickle, which differs from process to process).
"""

import math

import numpy as np
from numba import njit, prange, uint64

from catgoodhart._random import BLOCK
from catgoodhart.distributions._kinds import (
    BURR_XII,
    CAUCHY,
    EXPONENTIAL,
    FRECHET,
    GPD,
    GUMBEL,
    LAPLACE,
    LEVY,
    LOGNORMAL,
    NORMAL,
    PARETO,
    STUDENT_T,
    UNIFORM,
    WEIBULL,
)

_TO_UNIT = 2.0**-53


def _ziggurat(r, density, inverse, tail_area):
    """Abscissae x[0..256] and heights f(x) of a 256-layer ziggurat for an unnormalized
    decreasing density on [0, inf); x[0] is the base strip's pseudo-width v / f(r)."""
    v = r * density(r) + tail_area(r)
    x = np.empty(257)
    x[0], x[1] = v / density(r), r
    for i in range(1, 255):
        x[i + 1] = inverse(v / x[i] + density(x[i]))
    x[256] = 0.0
    return x, np.array([density(xi) for xi in x])


_NORMAL_X, _NORMAL_F = _ziggurat(
    3.6541528853610088,
    lambda x: math.exp(-0.5 * x * x),
    lambda y: math.sqrt(-2.0 * math.log(y)),
    lambda r: math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2.0)),
)
_EXP_X, _EXP_F = _ziggurat(
    7.69711747013104972, lambda x: math.exp(-x), lambda y: -math.log(y), lambda r: math.exp(-r)
)


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True, inline="always")
def _next(st):
    """One xoshiro256++ step: (64 random bits, new state)."""
    s0, s1, s2, s3 = st
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, (s0, s1, s2, s3)


@njit(cache=True, inline="always")
def _unit(bits):
    """Top 53 bits as a double in the open interval (0, 1)."""
    return (np.float64(np.int64(bits >> uint64(11))) + 0.5) * _TO_UNIT


@njit(cache=True, inline="always")
def _uniform(st):
    bits, st = _next(st)
    return _unit(bits), st


@njit(cache=True, inline="always")
def _normal(st):
    """Standard normal by the ziggurat; bits 0-7 pick the layer, bit 8 the sign."""
    while True:
        bits, st = _next(st)
        i = np.int64(bits & uint64(0xFF))
        negative = (bits >> uint64(8)) & uint64(1)
        x = _unit(bits) * _NORMAL_X[i]
        if x < _NORMAL_X[i + 1]:
            return (-x if negative else x), st
        if i == 0:  # tail beyond r (Marsaglia 1964)
            r = _NORMAL_X[1]
            while True:
                u1, st = _uniform(st)
                u2, st = _uniform(st)
                xt = -math.log(u1) / r
                if -2.0 * math.log(u2) > xt * xt:
                    return (-(r + xt) if negative else r + xt), st
        u, st = _uniform(st)
        if _NORMAL_F[i] + u * (_NORMAL_F[i + 1] - _NORMAL_F[i]) < math.exp(-0.5 * x * x):
            return (-x if negative else x), st


@njit(cache=True, inline="always")
def _exponential(st):
    """Standard exponential by the ziggurat; also returns bit 8 of the accepted draw,
    an independent fair coin (used for the sign of a Laplace variate)."""
    shift = 0.0
    while True:
        bits, st = _next(st)
        i = np.int64(bits & uint64(0xFF))
        x = _unit(bits) * _EXP_X[i]
        if x < _EXP_X[i + 1]:
            return shift + x, (bits >> uint64(8)) & uint64(1), st
        if i == 0:  # memoryless tail: r + a fresh exponential
            shift += _EXP_X[1]
            continue
        u, st = _uniform(st)
        if _EXP_F[i] + u * (_EXP_F[i + 1] - _EXP_F[i]) < math.exp(-x):
            return shift + x, (bits >> uint64(8)) & uint64(1), st


@njit(cache=True, inline="always")
def _gamma(st, d, c):
    """Gamma(d + 1/3) variate for d >= 2/3, c = 1/sqrt(9d) (Marsaglia & Tsang 2000)."""
    while True:
        z, st = _normal(st)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u, st = _uniform(st)
        z2 = z * z
        if u < 1.0 - 0.0331 * z2 * z2:
            return d * v, st
        if math.log(u) < 0.5 * z2 + d * (1.0 - v + math.log(v)):
            return d * v, st


@njit(cache=True, error_model="numpy")
def _fill(out, p, st, kind):
    """Fill ``out`` with loc + scale * Z, Z the standard variate of ``kind``.

    p = (loc, scale, a, b): a and b are the shape parameters of the kind.
    """
    loc, scale, a, b = p[0], p[1], p[2], p[3]
    n = out.shape[0]
    if kind == UNIFORM:
        for j in range(n):
            u, st = _uniform(st)
            out[j] = loc + scale * u
    elif kind == NORMAL:
        for j in range(n):
            z, st = _normal(st)
            out[j] = loc + scale * z
    elif kind == EXPONENTIAL:
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * e
    elif kind == GUMBEL:
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc - scale * math.log(e)
    elif kind == LAPLACE:
        for j in range(n):
            e, negative, st = _exponential(st)
            out[j] = loc - scale * e if negative else loc + scale * e
    elif kind == WEIBULL:  # a = 1 / shape
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * e**a
    elif kind == STUDENT_T:  # a = nu / 2; T = N / sqrt(G / a), G ~ Gamma(a)
        if a >= 1.0:
            d = a - 1.0 / 3.0
            c = 1.0 / math.sqrt(9.0 * d)
            for j in range(n):
                z, st = _normal(st)
                g, st = _gamma(st, d, c)
                out[j] = loc + scale * z / math.sqrt(g / a)
        else:  # Gamma(a) = Gamma(a + 1) * U^(1/a), kept in log space for tiny a
            d = a + 1.0 - 1.0 / 3.0
            c = 1.0 / math.sqrt(9.0 * d)
            for j in range(n):
                z, st = _normal(st)
                g, st = _gamma(st, d, c)
                u, st = _uniform(st)
                log_g = math.log(g) + math.log(u) / a
                out[j] = loc + scale * z * math.exp(0.5 * (math.log(a) - log_g))
    elif kind == PARETO:  # a = 1 / alpha; Z = exp(E / alpha)
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * math.exp(a * e)
    elif kind == LOGNORMAL:  # a = sigma, b = log(scale)
        for j in range(n):
            z, st = _normal(st)
            out[j] = loc + math.exp(b + a * z)
    elif kind == LEVY:
        for j in range(n):
            z, st = _normal(st)
            out[j] = loc + scale / (z * z)
    elif kind == FRECHET:  # a = -1 / alpha
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * e**a
    elif kind == BURR_XII:  # a = 1 / c, b = 1 / k; Z = (exp(E / k) - 1)^(1/c)
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * math.expm1(b * e) ** a
    elif kind == GPD:  # a = xi; Z = (exp(xi E) - 1) / xi
        for j in range(n):
            e, _, st = _exponential(st)
            out[j] = loc + scale * (math.expm1(a * e) / a)
    elif kind == CAUCHY:
        for j in range(n):
            z1, st = _normal(st)
            z2, st = _normal(st)
            out[j] = loc + scale * (z1 / z2)

@njit(parallel=True, cache=True, error_model="numpy")
def _sample_into(out, p, states, block, kind):
    """Fill ``out`` block by block; block ``i`` uses ``states[i]`` and nothing else."""
    n = out.shape[0]
    for i in prange(states.shape[0]):
        lo = i * block
        hi = min(n, lo + block)
        _fill(out[lo:hi], p, (states[i, 0], states[i, 1], states[i, 2], states[i, 3]), kind)


def sample(kind, params, n, states):
    """Allocate (with numpy, for its large-page allocation) and fill ``n`` samples."""
    out = np.empty(n)
    if n:
        _sample_into(out, np.asarray(params, dtype=np.float64), states, BLOCK, kind)
    return out
