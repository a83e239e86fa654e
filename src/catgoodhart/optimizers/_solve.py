"""Vectorized root finding for increasing functions: one target per problem, all at once."""

import numpy as np

_RTOL = 1e-11


def illinois(evaluate, target, x_lo, x_max, *, scan=25, iterations=60):
    """x with evaluate(x) = target for an increasing evaluate (vectorized): a scan of ``scan``
    points on [x_lo, x_max] in one call brackets every target, then regula falsi with the
    Illinois modification on log evaluate. Targets beyond the scan keep an end point (and are
    reported unreachable by the caller's check)."""
    log_t = np.log(target)

    def g(x):
        with np.errstate(all="ignore"):
            v = np.log(np.asarray(evaluate(x), dtype=float))
        return np.where(np.isnan(v), np.inf, v)  # nan: beyond the range of doubles, i.e. too far

    xs = np.linspace(x_lo, x_max, scan)
    gs = np.maximum.accumulate(g(xs))  # increasing but for rounding
    k = np.clip(np.searchsorted(gs, log_t, side="left"), 1, scan - 1)
    a, b = xs[k - 1], xs[k]
    ga, gb = gs[k - 1] - log_t, gs[k] - log_t
    side = np.zeros(target.shape)
    for _ in range(iterations):
        live = (ga < 0) & (gb > _RTOL) & (b - a > 1e-15 * (np.abs(a) + np.abs(b) + 1.0))
        if not np.any(live):
            break
        with np.errstate(all="ignore"):
            x = b - gb * (b - a) / (gb - ga)
        x = np.where(np.isfinite(x) & (x > a) & (x < b), x, 0.5 * (a + b))
        gx = np.where(live, g(np.where(live, x, b)) - log_t, gb)
        up = gx >= 0
        a_new = np.where(live & ~up, x, a)
        ga_new = np.where(live & ~up, gx, np.where(live & up & (side > 0), 0.5 * ga, ga))
        b_new = np.where(live & up, x, b)
        gb_new = np.where(live & up, gx, np.where(live & ~up & (side < 0), 0.5 * gb, gb))
        side = np.where(live, np.where(up, 1.0, -1.0), side)
        a, ga, b, gb = a_new, ga_new, b_new, gb_new
    return np.where(np.abs(ga) < np.abs(gb), a, b)
