"""Log-space quadrature: log ∫ exp(g(v)) dv and the means of functions under that weight,
vectorized over many problems at once.

Each integrand is taken relative to its peak, so that neither an integral beyond the range of
doubles nor one that underflows loses digits. The range is cut at the mode and at points
mode ± h·2^k, h the one-nat half-width of the peak, out to where the weight has fallen by
``CUT`` nats: each piece holds one smooth stretch whose length is comparable to its distance
from the mode, and a power-law tail costs a few pieces per decade. Pieces are integrated by
20-point Gauss–Legendre, the 10-point rule giving the error, and bisected until it is below
the tolerance, all problems in one vectorized pass.
"""

import math

import numpy as np
from numpy.polynomial.legendre import leggauss

CUT = 64.0  # nats: the part of an integral below exp(-CUT) of its peak, widths included, is dropped
_RTOL = 1e-13
_MAX_ROUNDS = 60
_MAX_PIECES = 200_000
#: |log w| for any w = ∫ exp(g - max g) over limits that are doubles: below 745 + 710
_LOG_WIDTH_BOUND = 1500.0
_X20, _W20 = leggauss(20)
_X10, _W10 = leggauss(10)
_NODES = np.concatenate([_X20, _X10])


def _golden_max(g, lo, hi, iterations=48):
    """Vectorized golden-section search for the maximum of g(v, i) on [lo_i, hi_i]
    (48 steps shrink each bracket by 1e-10, ample for placing the first pieces; 96 by 1e-20,
    from a bracket of scan points to the spacing of doubles at the mode)."""
    idx = np.arange(lo.size)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = lo.copy(), hi.copy()
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
    gc, gd = g(c, idx), g(d, idx)
    for _ in range(iterations):
        left = gc >= gd  # the maximum lies in [a, d]: d becomes b, c becomes d
        a, b = np.where(left, a, c), np.where(left, d, b)
        fresh = np.where(left, b - ratio * (b - a), a + ratio * (b - a))
        g_fresh = g(fresh, idx)
        c, d, gc, gd = (np.where(left, fresh, d), np.where(left, c, fresh),
                        np.where(left, g_fresh, gd), np.where(left, gc, g_fresh))
    x = np.where(gc >= gd, c, d)
    return x, np.maximum(gc, gd)


def _no_fns(v, i):
    return np.empty((0, *v.shape))


def _safe(g):
    def wrapped(v, i):
        with np.errstate(all="ignore"):
            out = np.asarray(g(v, i), dtype=float)
        return np.where(np.isnan(out), -np.inf, out)
    return wrapped


def log_moments(g, fns, n_fns, lo, hi, centers, scale, *, extra_edges=(), rtol=_RTOL,
                return_span=False, log_fns=False, strict=False):
    """For problems i: log ∫_{lo_i}^{hi_i} exp(g(v, i)) dv and the means of the ``n_fns``
    rows of fns(v, i) under that weight (``fns`` None where there are none). ``centers`` (c, m)
    are points near which the weight may peak; ``scale`` the weight's length scale;
    ``extra_edges`` (e, m) points where it may have a kink. With ``return_span`` also the
    lower end of each range actually integrated (below it the weight is below e^-64 of its
    peak). With ``log_fns`` fns returns (sign, log |f|), for functions that overflow where the
    weight underflows. With ``strict`` the mode is located to the spacing of doubles, and a
    peak narrower than double precision resolves (within one nat of its top over less than
    2^10 doubles, or less than 2^-49 of ``scale``) is an ArithmeticError where its width
    matters, i.e. where the log-integral is not the peak's height to rounding."""
    g = _safe(g)
    if fns is None:
        fns = _no_fns
    m = lo.size
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    empty = ~(lo < hi)
    # a coarse scan: centers and finite ends ± scale·16^k, inside (lo, hi)
    steps = scale * 16.0 ** np.arange(-3, 65)
    offsets = np.concatenate([-steps[::-1], [0.0], steps])
    anchors = np.concatenate([np.asarray(centers, dtype=float).reshape(-1, m),
                              np.where(np.isfinite([lo, hi]), [lo, hi], np.nan)])
    scan = (anchors[:, :, None] + offsets).transpose(1, 0, 2).reshape(m, -1)
    scan = np.where((scan > lo[:, None]) & (scan < hi[:, None]), scan, np.nan)
    scan.sort(axis=1)
    valid = ~np.isnan(scan)
    rows = np.broadcast_to(np.arange(m)[:, None], scan.shape)
    values = np.full(scan.shape, -np.inf)
    values[valid] = g(scan[valid], rows[valid])
    k = np.argmax(values, axis=1)
    count = valid.sum(axis=1)
    ar = np.arange(m)
    left = np.where(k > 0, scan[ar, np.maximum(k - 1, 0)], lo)
    right = np.where(k + 1 < count, scan[ar, np.minimum(k + 1, scan.shape[1] - 1)], hi)
    left = np.where(np.isfinite(left), left, scan[ar, k])
    right = np.where(np.isfinite(right), right, scan[ar, k])
    live = ~empty & np.isfinite(values[ar, k])
    mode = scan[ar, k].copy()
    gmax = values[ar, k].copy()
    if np.any(live):
        sub = np.flatnonzero(live)
        x, gx = _golden_max(lambda v, j: g(v, sub[j]), left[sub], right[sub], 96 if strict else 48)
        better = gx > gmax[sub]
        mode[sub[better]], gmax[sub[better]] = x[better], gx[better]
    # the length over which g falls by about one nat on each side sets the first piece
    halvings = scale * 2.0 ** np.arange(6, -50, -1)
    h = np.full((2, m), np.nan)
    for side, sign in enumerate((-1.0, 1.0)):
        pts = mode[:, None] + sign * halvings
        inside = (pts > lo[:, None]) & (pts < hi[:, None])
        vals = np.full(pts.shape, -np.inf)
        r2 = np.broadcast_to(np.arange(m)[:, None], pts.shape)
        vals[inside] = g(pts[inside], r2[inside])
        ok = inside & (vals >= gmax[:, None] - 1.0)
        first = np.argmax(ok, axis=1)
        h[side] = np.where(ok.any(axis=1), halvings[first], halvings[-1])
    if strict:
        # the log-integral is gmax + log ∫ e^{g - gmax}, the second term below _LOG_WIDTH_BOUND:
        # where that is below the rounding of gmax, the peak's width does not matter
        narrow = live & (np.max(h, axis=0) < np.maximum(2.0**10 * np.spacing(np.abs(mode)), halvings[-2]))
        narrow &= np.spacing(np.abs(gmax)) <= 2 * _LOG_WIDTH_BOUND
        if np.any(narrow):
            raise ArithmeticError("log-space quadrature: the integrand's peak (near "
                                  f"{float(mode[narrow][0])!r}) is narrower than double precision resolves")
    # the span: scan points whose mass-and-moment bound is within CUT nats of the peak
    width = np.where(scan < mode[:, None], h[0][:, None], h[1][:, None])
    with np.errstate(over="ignore", invalid="ignore"):  # points ~1e300 apart: inf or nan, not kept
        crit = values + np.log1p(np.abs(scan - mode[:, None]) / width) + np.log1p(
            np.abs(scan) / scale)
    keep = valid & (crit >= gmax[:, None] - CUT)
    extra = np.asarray(extra_edges, dtype=float).reshape(-1, m) if len(extra_edges) else np.empty((0, m))
    a_list, b_list, pid_list = [], [], []
    span_lows = np.full(m, np.nan)
    ladder = 2.0 ** np.arange(0, 1024)
    for i in np.flatnonzero(live):
        pts = scan[i, valid[i]]
        kept = pts[keep[i, valid[i]]]
        # the span reaches the first scan point beyond the outermost kept one on each side
        left_kept = min(kept.min(), mode[i]) if kept.size else mode[i]
        right_kept = max(kept.max(), mode[i]) if kept.size else mode[i]
        below = pts[pts < left_kept]
        above = pts[pts > right_kept]
        span_lo = below[-1] if below.size else lo[i]
        span_hi = above[0] if above.size else hi[i]
        span_lo = min(span_lo, mode[i])
        span_hi = max(span_hi, mode[i])
        if not math.isfinite(span_lo):
            span_lo = mode[i] - 1e300 if math.isinf(lo[i]) else lo[i]
        if not math.isfinite(span_hi):
            span_hi = mode[i] + 1e300 if math.isinf(hi[i]) else hi[i]
        with np.errstate(over="ignore"):
            down = mode[i] - h[0, i] * ladder
            up = mode[i] + h[1, i] * ladder
        edges = np.concatenate([[span_lo, mode[i], span_hi], down[down > span_lo], up[up < span_hi],
                                np.asarray(centers)[:, i], extra[:, i]])
        edges = np.unique(edges[(edges >= span_lo) & (edges <= span_hi) & np.isfinite(edges)])
        span_lows[i] = edges[0]
        a_list.append(edges[:-1])
        b_list.append(edges[1:])
        pid_list.append(np.full(edges.size - 1, i))
    if not a_list:
        out = np.full(m, -np.inf), np.full((n_fns, m), np.nan)
    else:
        out = _adaptive(g, fns, np.concatenate(a_list), np.concatenate(b_list),
                        np.concatenate(pid_list), m, n_fns, gmax, rtol, log_fns)
    return (*out, span_lows) if return_span else out


def _adaptive(g, fns, a, b, pid, m, n_fns, ref, rtol, log_fns=False):
    """Adaptive Gauss–Legendre over pieces (a, b) of problems pid; accumulators are kept
    relative to exp(ref_i), ref_i the peak of problem i's log-integrand.

    g is computed with an absolute rounding error of about eps·|ref|, so the integrand is
    known to that relative accuracy and no tolerance below it is asked for.
    """
    rtol = np.maximum(rtol, 64 * 2.0**-52 * np.abs(ref))
    mass = np.zeros(m)
    moment = np.zeros((n_fns, m))
    absolute = np.zeros((n_fns, m))
    infinite = np.zeros((n_fns, m))
    for _ in range(_MAX_ROUNDS):
        if a.size == 0:
            break
        half = 0.5 * (b - a)
        mid = 0.5 * (a + b)
        x = mid[:, None] + half[:, None] * _NODES
        rows = np.broadcast_to(pid[:, None], x.shape)
        lw = g(x, rows) - ref[pid][:, None]
        with np.errstate(all="ignore"):
            e = np.exp(np.minimum(lw, 700.0))
            if log_fns:  # f e = sign e^{log|f| + log e}: finite where f alone would overflow
                sign, log_abs = (np.asarray(v, dtype=float) for v in fns(x, rows))
                f = sign * np.exp(log_abs + np.minimum(lw, 700.0))
                bad = np.isfinite(lw) & (np.isinf(f) | np.isnan(f))
                fe = np.where(np.isfinite(lw) & ~bad, f, 0.0)  # also where e itself underflows
            else:
                f = np.asarray(fns(x, rows), dtype=float)
                bad = (e > 0) & ~np.isfinite(f)
                fe = np.where(e > 0, np.where(np.isfinite(f), f, 0.0) * e, 0.0)
            for j in range(n_fns):
                np.add.at(infinite[j], pid, np.sign(np.where(bad[j], f[j], 0.0).sum(axis=1)))
        i20 = half * (e[:, :20] @ _W20)
        i10 = half * (e[:, 20:] @ _W10)
        f20 = half * (fe[:, :, :20] @ _W20)
        f10 = half * (fe[:, :, 20:] @ _W10)
        a20 = half * (np.abs(fe[:, :, :20]) @ _W20)
        total = mass + np.bincount(pid, i20, minlength=m)
        total_abs = absolute + _sum_by(pid, a20, m)
        ok = np.abs(i20 - i10) <= rtol[pid] * total[pid]
        ok &= np.all(np.abs(f20 - f10) <= rtol[pid] * total_abs[:, pid] + 1e-300, axis=0)
        # a piece 2^10 doubles wide resolves no more: the nodes are as far apart as the
        # spacing of doubles lets them be (the narrow-peak rule of ``_anchored_terms``)
        ok |= half <= 2.0**-42 * np.maximum(np.abs(mid), 1e-300)
        ok |= (i20 <= 0) & np.all(a20 <= 0, axis=0)
        mass += np.bincount(pid[ok], i20[ok], minlength=m)
        absolute += _sum_by(pid[ok], a20[:, ok], m)
        moment += _sum_by(pid[ok], f20[:, ok], m)
        split = ~ok
        a, b, pid = (np.concatenate([a[split], mid[split]]), np.concatenate([mid[split], b[split]]),
                     np.concatenate([pid[split], pid[split]]))
        if a.size > _MAX_PIECES:
            raise ArithmeticError(f"log-space quadrature needs more than {_MAX_PIECES} pieces")
    else:
        if a.size:
            raise ArithmeticError(f"log-space quadrature did not converge on {a.size} pieces "
                                  f"(e.g. [{a[0]!r}, {b[0]!r}]) after {_MAX_ROUNDS} bisections")
    with np.errstate(all="ignore"):
        log_mass = np.where(mass > 0, ref + np.log(mass), -np.inf)
        means = np.where(infinite != 0, np.inf * np.sign(infinite), moment / mass)
    return log_mass, means


def _sum_by(pid, values, m):
    """Sums of the columns of ``values`` (n, k) over the problems ``pid`` (k,): (n, m)."""
    return np.array([np.bincount(pid, row, minlength=m) for row in values]).reshape(-1, m)
