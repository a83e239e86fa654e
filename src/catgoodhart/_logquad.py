"""Log-space quadrature: log ∫ exp(g(x)) dx for a unimodal log-integrand g.

Used wherever an integral over a tail would underflow or overflow in linear space
(cumulant generating functions without a closed form, tail masses beyond the last
representable double). The integrand is rescaled by its maximum before
``scipy.integrate.quad`` sees it, and the range is cut at the mode and at the points
mode ± width·2^k until g has fallen by ``FAR`` nats (where exp underflows), so that each
piece holds one smooth stretch whose length is comparable to its distance from the mode:
a power-law tail then costs a few pieces per decade, not a failed global rule.
"""

import itertools
import math
import warnings

import numpy as np

FAR = 746.0  # nats below the maximum: exp(g - gmax) underflows to 0 beyond
_RTOL = 1e-13
#: a peak narrower than this many doubles at its mode is beyond the reach of quadrature nodes
MIN_PEAK_ULPS = 2.0**10
#: |log w| for any double w = ∫ exp(g - max g) over limits that are doubles: below 745 + 710
LOG_WIDTH_BOUND = 1500.0


def log_integral_exp(g, lo, hi, *, x0, width=1.0, slope=0.0, exp_slope=False):
    """Return log ∫_lo^hi exp(g(x) + slope·x) dx (slope·e^x in place of slope·x if ``exp_slope``).

    Parameters
    ----------
    g : callable
        Scalar log-integrand, unimodal on (lo, hi); ``-inf`` where the integrand is 0.
    lo, hi : float
        Limits; either may be infinite.
    x0, width : float
        A point inside (lo, hi) and the integrand's length scale near its mode, used to
        start the search for the mode and to size the first pieces.
    slope, exp_slope : float, bool
        A tilt kept apart from g: it is evaluated relative to the mode, as slope·(x - mode)
        or slope·e^mode·expm1(x - mode), so that a steep tilt does not cancel against g.
        (``exp_slope`` serves integrals over u = log z of a tilt slope·z.)
    """
    tilt = math.exp if exp_slope else float
    mode, peak = _argmax(lambda x: g(x) + slope * tilt(x), lo, hi, x0, width)
    if peak == math.inf:  # the integrand itself exceeds the range of doubles
        return math.inf
    if exp_slope:
        scale = math.exp(mode)

        def shifted(x):
            return g(x) + slope * scale * math.expm1(x - mode)
    else:
        scale = mode

        def shifted(x):
            return g(x) + slope * (x - mode)

    gmax = _safe(shifted, mode)
    if not math.isfinite(gmax):
        return gmax
    if math.ulp(peak) > 2 * LOG_WIDTH_BOUND:
        # the integral is e^peak times the peak's width w, and |log w| < LOG_WIDTH_BOUND for any
        # double width and limits: below the rounding of peak itself, which is then the answer
        # (and the only one: the rounding of g hides the peak's shape from any node)
        return peak
    half_width = max(_first_step(shifted, mode, gmax, lo, -1.0, width),
                     _first_step(shifted, mode, gmax, hi, +1.0, width))
    if half_width < MIN_PEAK_ULPS * math.ulp(mode):
        raise ArithmeticError("log-space quadrature: the integrand's peak (near "
                              f"{mode!r}) is narrower than double precision resolves")
    result = slope * scale + _log_integral_around(shifted, lo, hi, mode, gmax, width)
    if math.isnan(result):
        raise ArithmeticError("log-space quadrature: the integrand peaks beyond the range of "
                              f"doubles (mode near {mode!r}); the integral is not representable")
    return result


def _log_integral_around(g, lo, hi, mode, gmax, width):
    # g is computed with an absolute rounding error of about eps·|gmax|; the integrand
    # exp(g - gmax) is then known to that relative accuracy, and no better tolerance can be
    # asked of quad. The error it leaves in the logarithm is the same eps·|gmax|: relative
    # accuracy of the result is kept.
    rtol = max(_RTOL, 64 * 2.0**-52 * abs(gmax))
    left = _ladder(g, mode, gmax, lo, -1.0, width)
    right = _ladder(g, mode, gmax, hi, +1.0, width)
    edges = [*reversed(left), mode, *right]

    def f(x):
        return math.exp(min(_safe(g, x) - gmax, 0.0))  # g <= gmax but for rounding

    # pieces from the mode outwards, so that each later piece needs accuracy only relative
    # to the total already found (its own tiny integral need not be resolved to 1e-13)
    pieces = sorted(itertools.pairwise(edges), key=lambda ab: min(abs(ab[0] - mode), abs(ab[1] - mode)))
    total = 0.0
    for a, b in pieces:
        if not a < b:
            continue
        if b - a < 1e-6 * width:
            total += (b - a) * f(0.5 * (a + b))  # a sliver: the midpoint rule is exact enough
        else:
            total += _quad(f, a, b, rtol, atol=rtol * total)
    return gmax + math.log(total) if total > 0 else -math.inf


def _quad(f, a, b, rtol, atol):
    from scipy import integrate

    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            value, _ = integrate.quad(f, a, b, epsabs=atol, epsrel=rtol, limit=200)
        except integrate.IntegrationWarning as e:
            raise ArithmeticError(f"log-space quadrature on [{a!r}, {b!r}] did not converge: {e}") from e
    return value


def _safe(g, x):
    """g(x), with -inf where g overflows: there the log-density has run beyond the range of
    doubles (-inf, or inf - inf against the tilt), far in a tail where the integrand is 0."""
    try:
        value = g(x)
    except OverflowError:
        return -math.inf
    return -math.inf if math.isnan(value) else value


def _argmax(g, lo, hi, x0, width):
    """Mode of g on (lo, hi): a geometric scan around x0, then bounded Brent refinement."""
    steps = width * np.logspace(-12, 12, 97)
    xs = np.concatenate([x0 - steps, [x0], x0 + steps])
    if math.isfinite(lo):
        xs = np.append(xs, lo + width * np.logspace(-12, 0, 13))
    if math.isfinite(hi):
        xs = np.append(xs, hi - width * np.logspace(-12, 0, 13))
    xs = np.unique(xs[(xs > lo) & (xs < hi)])
    values = np.array([_safe(g, x) for x in xs])
    k = int(np.argmax(values))
    a = xs[k - 1] if k > 0 else (lo if math.isfinite(lo) else xs[k])
    b = xs[k + 1] if k + 1 < len(xs) else (hi if math.isfinite(hi) else xs[k])
    if a < b:
        from scipy import optimize

        res = optimize.minimize_scalar(lambda x: -_safe(g, x), bounds=(a, b), method="bounded",
                                       options={"xatol": 1e-12 * max(width, abs(xs[k]))})
        if res.success and -res.fun > values[k]:
            return float(res.x), float(-res.fun)
    return float(xs[k]), float(values[k])


def _first_step(g, mode, gmax, end, direction, width):
    """``width`` halved until mode + direction·step is inside the limits and g there is within
    1 nat of the top: the peak's half-width on that side (tiny where the mode is a limit)."""
    def beyond(x):
        return x >= end if direction > 0 else x <= end

    step = width
    while step > 1e-300 * max(1.0, abs(mode)) and (
            beyond(mode + direction * step) or _safe(g, mode + direction * step) < gmax - 1.0):
        step *= 0.5
    return step


def _ladder(g, mode, gmax, end, direction, width):
    """Points mode + direction·h·2^k, k = 0, 1, ..., up to where g <= gmax - FAR, then
    ``end`` (always the last point). h starts at ``width`` and is halved first until g at
    mode + h is within 1 nat of the top, so that the first piece resolves the peak."""
    def beyond(x):
        return x >= end if direction > 0 else x <= end

    step = _first_step(g, mode, gmax, end, direction, width)
    points = []
    while step < 1e300:
        x = mode + direction * step
        if beyond(x):
            break
        points.append(x)
        if _safe(g, x) <= gmax - FAR:
            break
        step *= 2.0
    points.append(end)
    return points
