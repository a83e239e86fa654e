"""The upper tail of a sum U = X + V, integrated over the utility v in log space.

For a level u the weight w_u(v) = f_V(v) P(X >= u - v | V = v) gives (Kwa et al.,
arXiv 2407.14503, proof of Theorem 5)

    F̄_U(u)       = ∫ w_u(v) dv,
    E[V | U >= u] = ∫ v w_u(v) dv / F̄_U(u),
    E[X | U >= u] = ∫ E[X | X > u - v, V = v] w_u(v) dv / F̄_U(u),
    h_U(u)        = f_U(u) / F̄_U(u) = ∫ h_X(u - v) w_u(v) dv / F̄_U(u)   (hazard rates).

Far in the tail both integrals underflow in linear space, so each is computed as a log
mass and weighted means. Where X given V = v is a point mass c (on an interval of v between
breakpoints) its part is closed form in V's tail functions; elsewhere the integral over v is
log-space quadrature (``_quadrature``: adaptive Gauss–Legendre on pieces that grow
geometrically away from the integrand's mode), all levels u in one vectorized pass.
"""

import itertools
import math
import numbers

import numpy as np
from numpy.polynomial.legendre import leggauss

from catgoodhart._quadrature import log_moments
from catgoodhart.distributions._base import Distribution, _quiet

_X8, _W8 = leggauss(8)
_X5, _W5 = leggauss(5)
_SHORT_NODES = np.concatenate([_X8, _X5])


class _Region:
    """An interval (lo, hi] of v on which X given V = v is a law (a function of v) or a
    constant point mass ``atom``."""

    def __init__(self, lo, hi, law=None, atom=None, constant=False):
        self.lo, self.hi, self.law, self.atom, self.constant = lo, hi, law, atom, constant

    def laws(self, v):
        """Group the nodes v by the law X | V = v (equal laws together): yields (law, mask)."""
        if self.constant:
            yield self.law, np.ones(v.shape, dtype=bool)
            return
        found = {}
        keys = np.empty(v.shape, dtype=np.int64)
        flat = keys.reshape(-1)
        for i, x in enumerate(v.reshape(-1)):
            law = self.law(float(x))
            if not isinstance(law, Distribution):
                raise ValueError(f"`X_given_V` returned {law!r} at v = {float(x)!r}, inside an "
                                 "interval where it returned a distribution elsewhere; separate "
                                 "point masses from continuous laws with `breakpoints`")
            try:  # equal laws (frozen dataclasses) share one vectorized evaluation
                key = (law, hash(law))
            except TypeError:  # an unhashable law is grouped with itself only
                key = id(law)
            flat[i] = found.setdefault(key, (len(found), law))[0]
        for index, law in found.values():
            yield law, keys == index


@_quiet
def tail_terms(model, u, *, moments=("v",)):
    """For each level u: (log F̄_U(u), dict of weighted means) with the means named in
    ``moments``: "v" = E[V | U >= u], "x" = E[X | U >= u], "hazard" = h_U(u). ``model`` is a
    continuous ``ProxyModel`` (its ``V``, ``regions``, ``v_center``, ``v_scale``, ``v_support``)."""
    u = np.asarray(u, dtype=float).reshape(-1)
    moments = tuple(moments) or ("v",)
    parts = []
    for region in model.regions:
        if region.atom is not None:
            parts.append(_atom_terms(model.V, region, u, moments))
        else:
            parts.append(_continuous_terms(model, region, u, moments))
    if len(parts) == 1:  # no mixing: also where the mass is beyond the range of doubles
        log_mass, means, log_density = parts[0]
        means = {name: means[name] for name in moments}
        if "hazard" in moments:  # an atom adds density without tail mass
            with np.errstate(all="ignore"):
                means["hazard"] = means["hazard"] + np.where(np.isfinite(log_density),
                                                             np.exp(log_density - log_mass), 0.0)
        return np.minimum(log_mass, 0.0), means
    log_mass = np.stack([p[0] for p in parts])
    with np.errstate(all="ignore"):
        total = np.max(log_mass, axis=0)
        share = np.exp(log_mass - np.where(np.isfinite(total), total, 0.0))
        share = np.where(np.isfinite(log_mass), share, 0.0)
        norm = share.sum(axis=0)
        # a probability: rounding of a mass that is 1 to the last bit must not exceed it
        log_total = np.minimum(np.where(norm > 0, total + np.log(norm), -math.inf), 0.0)
        means = {}
        for name in moments:
            values = np.stack([p[1][name] for p in parts])
            terms = np.where(share > 0, share * values, 0.0)
            if name == "hazard":  # atoms add density without tail mass: p[2] holds it
                extra = np.stack([p[2] for p in parts])
                terms = terms + np.where(np.isfinite(extra), np.exp(extra - total), 0.0)
            means[name] = terms.sum(axis=0) / norm
    return log_total, means


def _atom_terms(V, region, u, moments):
    """X = c on V in (lo, hi]: U >= u  <=>  V >= u - c. Mass and mean of V on (max(lo, u - c), hi]
    from V's tail functions; density of U there is f_V(u - c)."""
    c = region.atom
    a = np.maximum(region.lo, u - c)
    b = np.full(u.shape, region.hi)
    log_mass, mean_v = _interval_mass_and_mean(V, a, b)
    means = {"v": mean_v, "x": np.full(u.shape, c)}
    if "hazard" in moments:
        means["hazard"] = np.zeros(u.shape)
        w = u - c
        inside = (w > region.lo) & (w < region.hi)
        with np.errstate(all="ignore"):
            log_density = np.where(inside, V.logpdf(np.where(inside, w, V.ppf(0.5))), -math.inf)
    else:
        log_density = np.full(u.shape, -math.inf)
    return log_mass, means, log_density


def _interval_mass_and_mean(V, a, b):
    """log P(a < V <= b) and E[V | a < V <= b], in whichever tail keeps the digits."""
    from catgoodhart.threshold import _log_cdf_sf, conditional_means

    with np.errstate(all="ignore"):
        empty = ~(a < b)
        a = np.where(empty, -np.inf, a)
        b = np.where(empty, np.inf, b)
        fa, sa = _log_cdf_sf(V, a)
        fb, sb = _log_cdf_sf(V, b)
        low_a, up_a = conditional_means(V, a)
        low_b, up_b = conditional_means(V, b)
        up_a = np.where(np.isneginf(a), V.mean, up_a)
        low_b = np.where(np.isposinf(b), V.mean, low_b)
        upper = sa < math.log(0.5)  # a in the right half: subtract upper tails
        r = np.where(upper, np.exp(sb - sa), np.exp(fa - fb))
        log_mass = np.where(upper, sa, fb) + np.log1p(-r)
        tail_b = np.where(np.isposinf(b), 0.0, r * up_b)
        tail_a = np.where(np.isneginf(a), 0.0, r * low_a)
        mean = np.where(upper, (up_a - tail_b) / (1 - r), (low_b - tail_a) / (1 - r))
        log_mass = np.where(empty | (r >= 1), -math.inf, log_mass)
        mean = np.where(empty | (r >= 1), math.nan, mean)
    return log_mass, mean


def _continuous_terms(model, region, u, moments):
    """One law of X on the interval: ``_anchored_terms``. A law that changes with v (the
    dependent case): the log-weight log f_V(v) + log F̄_{X|v}(u - v) integrated as it is."""
    if region.constant:
        return _anchored_terms(model, region.law, region, u, moments)
    V = model.V
    law0 = region.law(_probe(region, model.v_center))
    lo = np.full(u.shape, max(region.lo, model.v_support[0]))
    hi = np.full(u.shape, min(region.hi, model.v_support[1]))

    def logw(v, i):
        x = u[i] - v
        sf = np.empty(v.shape)
        for law, mask in region.laws(v):
            sf[mask] = law.logsf(x[mask])
        return V.logpdf(v) + sf

    def fns(v, i):
        x = u[i] - v
        rows = []
        for name in moments:
            if name == "v":
                rows.append(v)
                continue
            row = np.empty(v.shape)
            for law, mask in region.laws(v):
                if name == "x":
                    row[mask] = law.conditional_mean_upper(x[mask])
                else:
                    with np.errstate(all="ignore"):
                        row[mask] = np.exp(law.logpdf(x[mask]) - law.logsf(x[mask]))
            rows.append(row)
        return np.stack(rows)

    centers = np.stack([np.full(u.shape, model.v_center), u - float(law0.ppf(0.5))])
    scale = max(model.v_scale, float(law0.isf(0.25) - law0.ppf(0.25)))
    log_mass, means = log_moments(logw, fns, len(moments), lo, hi, centers, scale)
    return log_mass, dict(zip(moments, means, strict=True)), np.full(u.shape, -math.inf)


def log_difference(fn, deriv, base, offset, point=None, *, scale=0.0, floor=0.0):
    """fn(base + offset) - fn(base) for a log-function fn (log f, log F̄) with a stable
    derivative ``deriv``, to 1e-13 of max(|difference|, ``floor``).

    Directly where the rounding of fn's values (eps·|fn|) allows that; elsewhere, over an
    offset that is short (at most 1/16 of max(|base|, |base + offset|, ``scale``), the law's own
    length scale), as the integral of deriv by 8-point Gauss–Legendre quadrature where the
    5-point rule agrees with it to 1e-10 (no kink inside; on such an offset a smooth deriv is
    integrated to ~1e-15 by either). That is where the difference of two large
    logarithms (-t²/2 at t = 1e10) or of two arguments rounded to the same double
    (1e20 - 1 = 1e20) would lose everything: the offset is given apart from the base, so its
    digits are kept. ``point``, where known as a double, is base + offset unrounded (fn is
    evaluated there, e.g. at v = 1e-300 that v0 + (v - v0) would round to 0).
    """
    base, offset = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(offset, dtype=float))
    with np.errstate(all="ignore"):
        if point is None:
            point = base + offset
        else:
            point = np.broadcast_to(np.asarray(point, dtype=float), base.shape)
        far, near = np.asarray(fn(point), dtype=float), np.asarray(fn(base), dtype=float)
        out = np.array(far - near, dtype=float)
        rounding = 4 * 2.0**-52 * np.maximum(np.abs(far), np.abs(near))
        need = (rounding > 1e-13 * np.maximum(np.abs(out), floor)) & (offset != 0) & np.isfinite(near)
        need &= np.abs(offset) <= 0.0625 * np.maximum(np.maximum(np.abs(base), np.abs(point)), scale)
        if np.any(need):
            half = 0.5 * offset[need]
            nodes = (base[need] + half)[:, None] + half[:, None] * _SHORT_NODES
            values = np.asarray(deriv(nodes), dtype=float)
            g8, g5 = half * (values[:, :8] @ _W8), half * (values[:, 8:] @ _W5)
            smooth = np.abs(g8 - g5) <= 1e-10 * np.abs(g8)
            out[need] = np.where(smooth, g8, out[need])
    return out


def _mode_brackets(gp, lo, hi, points):
    """Local maxima of a log-weight from its derivative gp(v, i) on scan points (m, k) (nan
    outside (lo, hi)): brackets [a, b] where gp changes sign from + to -, plus the ends lo, hi
    where gp points out of the range; returns (m, K) arrays of brackets (nan padded)."""
    m = lo.size
    rows = np.broadcast_to(np.arange(m)[:, None], points.shape)
    valid = ~np.isnan(points)
    slope = np.full(points.shape, np.nan)
    slope[valid] = gp(points[valid], rows[valid])
    ext = np.concatenate([lo[:, None], points, hi[:, None]], axis=1)
    ext_slope = np.concatenate([np.full((m, 1), np.inf), slope, np.full((m, 1), -np.inf)], axis=1)
    ok = ~np.isnan(ext)
    brackets = []
    for i in range(m):
        xs, ss = ext[i, ok[i]], ext_slope[i, ok[i]]
        keep = ~np.isnan(ss)
        xs, ss = xs[keep], ss[keep]
        down = np.flatnonzero((ss[:-1] > 0) & (ss[1:] <= 0))
        brackets.append([(xs[j], xs[j + 1]) for j in down if np.isfinite(xs[j]) or np.isfinite(xs[j + 1])])
    k = max((len(b) for b in brackets), default=0)
    a = np.full((m, max(k, 1)), np.nan)
    b = np.full((m, max(k, 1)), np.nan)
    for i, pairs in enumerate(brackets):
        for j, (x, y) in enumerate(pairs):
            a[i, j], b[i, j] = x, y
    return a, b


def _bisect_modes(gp, a, b):
    """Refine brackets [a, b] (gp > 0 at a, <= 0 at b) by bisection to adjacent doubles; an
    infinite end is pulled in geometrically first."""
    m, k = a.shape
    rows = np.broadcast_to(np.arange(m)[:, None], a.shape)
    live = ~np.isnan(a)
    a, b = a.copy(), b.copy()
    for _ in range(2200):
        if not np.any(live):
            break
        with np.errstate(all="ignore"):
            mid = np.where(np.isinf(a) & np.isinf(b), 0.0,
                           np.where(np.isinf(a), b - np.maximum(1.0, np.abs(b)),
                                    np.where(np.isinf(b), a + np.maximum(1.0, np.abs(a)), 0.5 * (a + b))))
        done = live & ((mid == a) | (mid == b))
        live &= ~done
        if not np.any(live):
            break
        slope = gp(mid[live], rows[live])
        up = np.zeros(a.shape, dtype=bool)
        up[live] = slope > 0
        a = np.where(live & up, mid, a)
        b = np.where(live & ~up, mid, b)
    return np.where(np.isinf(a), b, np.where(np.isinf(b), a, 0.5 * (a + b)))


def _anchored_terms(model, X, region, u, moments):
    """The tail terms for X ⊥ V (one law of X on this interval of v), with the log-weight
    log f_V(v) + log F̄_X(u - v) taken relative to its highest mode v0 through stable
    differences (``log_difference``), so that neither a peak far out (v0 ~ u/2 for two normal
    laws) nor a weight that is nearly f_V (heavy X) loses digits:

        E[V | U >= u] = E[V] + ∫ (v - E[V]) (1 - F̄_X(u - E[V]) / F̄_X(u - v)) w(v) dv / ∫ w(v) dv,

    whose integrand is >= 0 everywhere (the sign of v - E[V] is that of the bracket). The modes
    are the roots of d/dv = score_V(v) + h_X(u - v); where the peak at v0 is narrower than
    2^10 doubles at v0, no quadrature node can resolve it and the conditional mean is v0 itself
    (its error is below the peak's width, i.e. below 2^-42 of v0), the mass by Laplace's method.
    """
    V = model.V
    m = u.size
    x_lo, x_hi = X.support
    lo = np.maximum(max(region.lo, model.v_support[0]), u - x_hi)
    hi = np.full(m, min(region.hi, model.v_support[1]))
    mu = float(V.mean)

    def gp(v, i):
        with np.errstate(all="ignore"):
            out = np.asarray(V.score(v), dtype=float) + np.asarray(X.hazard(u[i] - v), dtype=float)
        return np.where(np.isnan(out), -np.inf, out)

    x_median = float(X.ppf(0.5))
    x_scale = float(X.isf(0.25) - X.ppf(0.25))
    scale = max(model.v_scale, x_scale)
    steps = scale * 16.0 ** np.arange(-3, 65)
    offsets = np.concatenate([-steps[::-1], [0.0], steps])
    anchors = np.stack([np.full(m, model.v_center), u - x_median])
    points = (anchors[:, :, None] + offsets).transpose(1, 0, 2).reshape(m, -1)
    points = np.where((points > lo[:, None]) & (points < hi[:, None]), points, np.nan)
    points.sort(axis=1)
    a, b = _mode_brackets(gp, lo, hi, points)
    modes = _bisect_modes(gp, a, b)
    with np.errstate(all="ignore"):  # an end where f_V is infinite is a singularity, not a peak
        modes[np.isposinf(np.asarray(V.logpdf(modes), dtype=float))] = np.nan

    # differences of the log-weight need 1e-13 absolute (floor 1), those of E[V | U >= u] - μ
    # 1e-13 relative (floor 0): the integrand's bracket 1 - e^{-Δ} is Δ itself for tiny Δ
    def log_pdf_difference(v, w, floor=1.0):  # log f_V(v) - log f_V(w)
        with np.errstate(over="ignore", invalid="ignore"):  # ends beyond doubles give ±inf
            return log_difference(V.logpdf, V.score, w, v - w, point=v, scale=model.v_scale, floor=floor)

    def log_sf_difference(i, v, w, floor=1.0):  # log F̄_X(u - v) - log F̄_X(u - w), w - v kept apart
        with np.errstate(over="ignore", invalid="ignore"):
            return log_difference(X.logsf, lambda z: -np.asarray(X.hazard(z), dtype=float),
                                  u[i] - w, w - v, scale=x_scale, floor=floor)

    # the highest mode of each level anchors the log-weight
    v0 = np.where(np.isnan(modes[:, 0]), np.clip(model.v_center, lo, hi), modes[:, 0])
    for j in range(1, modes.shape[1]):
        cand = modes[:, j]
        has = np.flatnonzero(~np.isnan(cand))
        if has.size:
            gain = (log_pdf_difference(cand[has], v0[has])
                    + log_sf_difference(has, cand[has], v0[has]))
            better = np.zeros(m, dtype=bool)
            better[has] = gain > 0
            v0 = np.where(better, cand, v0)
    empty = ~(lo < hi)
    v0 = np.where(empty, np.nan, v0)

    def logw(v, i):
        return log_pdf_difference(v, v0[i]) + log_sf_difference(i, v, v0[i])

    def fns(v, i):  # (sign, log |f|): the "v" integrand overflows where F̄_X(u - v) -> 0
        signs, logs = [], []
        for name in moments:
            if name == "v":  # (v - μ)(1 - F̄_X(u - μ)/F̄_X(u - v)) >= 0
                gap = -log_sf_difference(i, v, mu, floor=0.0)
                gap = np.where(np.isnan(gap), -np.inf, gap)
                with np.errstate(all="ignore"):
                    log_bracket = np.where(gap > 0, gap + np.log(-np.expm1(-np.abs(gap))),
                                           np.log(-np.expm1(-np.abs(gap))))
                    signs.append(np.sign(v - mu) * -np.sign(gap))
                    logs.append(np.log(np.abs(v - mu)) + log_bracket)
            else:
                value = _x_moment(X, name, u[i] - v)
                with np.errstate(divide="ignore"):
                    signs.append(np.sign(value))
                    logs.append(np.log(np.abs(value)))
        return np.stack(signs), np.stack(logs)

    has_mode = ~np.all(np.isnan(modes), axis=1)
    log_peak = np.asarray(V.logpdf(v0), dtype=float) + np.asarray(X.logsf(u - v0), dtype=float)
    narrow, log_width = _narrow_peaks(gp, v0, lo, hi, scale, has_mode=has_mode)
    means = {name: np.full(m, np.nan) for name in moments}
    log_mass = np.full(m, -math.inf)
    if np.any(narrow):
        log_mass[narrow] = log_peak[narrow] + log_width[narrow]
        for name in moments:
            means[name][narrow] = v0[narrow] if name == "v" else _x_moment(X, name, u[narrow] - v0[narrow])
    wide = ~narrow & ~empty
    if np.any(wide):
        idx = np.flatnonzero(wide)
        kink = (u - x_lo)[idx] if math.isfinite(x_lo) else np.full(idx.size, np.nan)
        centers = np.vstack([v0[idx], np.where(np.isnan(modes[idx]), v0[idx, None], modes[idx]).T,
                             np.full(idx.size, model.v_center), u[idx] - x_median])
        sub_mass, sub_means, span_lo = log_moments(
            lambda v, i: logw(v, idx[i]), lambda v, i: fns(v, idx[i]), len(moments), lo[idx], hi[idx],
            centers, scale, extra_edges=kink[None, :], return_span=True, log_fns=True)
        log_mass[idx] = log_peak[idx] + sub_mass
        for name, values in zip(moments, sub_means, strict=True):
            means[name][idx] = mu + values if name == "v" else values
        if "v" in moments:
            # Below the integrated range (v < a) the integrand of E[V | U >= u] - μ,
            # (v - μ) f_V(v) (F̄_X(u - v) - F̄_X(u - μ)), need not die with the weight: where the
            # weight died because F̄_X(u - a) < e^-40 F̄_X(u - μ), its part there is
            # F̄_X(u - μ) F_V(a) (μ - E[V | V <= a]) to that relative accuracy (the low-u case);
            # where it died with f_V, so does this part
            killed = log_sf_difference(idx, span_lo, np.full(idx.size, mu)) < -40.0
            if np.any(killed):
                sub, a_k = idx[killed], span_lo[killed]
                shift = log_sf_difference(sub, np.full(sub.size, mu), v0[sub])  # log F̄_X(u-μ)/F̄_X(u-v0)
                gap = mu - np.asarray(V.conditional_mean_lower(a_k), dtype=float)
                with np.errstate(all="ignore"):
                    extra = np.exp(shift + np.asarray(V.logcdf(a_k), dtype=float)
                                   - np.asarray(V.logpdf(v0[sub]), dtype=float) - sub_mass[killed]) * gap
                means["v"][sub] += np.where(np.isfinite(extra), extra, 0.0)
    return log_mass, means, np.full(m, -math.inf)


def _x_moment(X, name, x):
    """E[X | X > x] ("x") or the hazard of X at x ("hazard"), the integrands of E[X | U >= u]
    and h_U(u) = f_U(u)/F̄_U(u) under the weight."""
    values = X.conditional_mean_upper(x) if name == "x" else X.hazard(x)
    return np.asarray(values, dtype=float)


def _narrow_peaks(gp, v0, lo, hi, scale, has_mode):
    """Which peaks are narrower than 2^10 doubles at v0, and the log of ∫ e^{G} there.

    The slope of the log-weight 2^20 and 2^22 doubles away from v0, on each side, tells a
    smooth peak (slope growing with the distance: G ≈ -b δ²/2, b from the two slopes) from a
    corner at a kink or an end of the range (constant slope a: G ≈ -a δ); the one-nat
    half-width decides, and ∫_0^∞ e^{G} is √(π/2b) or 1/a. (At a smooth mode the slope is 0 by
    construction, and there its estimate would be rounding noise.)"""
    m = v0.size
    narrow = np.zeros(m, dtype=bool)
    log_width = np.full(m, math.inf)
    live = np.flatnonzero(has_mode & np.isfinite(v0))
    if live.size == 0:
        return narrow, log_width
    x = v0[live]
    unit = np.spacing(np.abs(x) + scale)
    h1, h2 = unit * 2.0**20, unit * 2.0**22
    widths, masses = [], []
    for sign, end in ((1.0, hi[live]), (-1.0, lo[live])):
        inside = sign * (end - x) > h2
        s1 = np.where(inside, -sign * gp(np.where(inside, x + sign * h1, x), live), np.inf)
        s2 = np.where(inside, -sign * gp(np.where(inside, x + sign * h2, x), live), np.inf)
        with np.errstate(all="ignore"):
            smooth = s2 > 2.0 * s1
            curv = (s2 - s1) / (h2 - h1)
            flat = ~smooth & ~(s1 > 0)  # the weight does not fall off here: not a narrow peak
            half = np.where(smooth, np.sqrt(2.0 / curv), np.where(flat, np.inf, 1.0 / s1))
            mass = np.where(smooth, np.sqrt(np.pi / (2.0 * curv)), np.where(flat, np.inf, 1.0 / s1))
        widths.append(np.where(inside, half, 0.0))
        masses.append(np.where(inside & np.isfinite(mass) & (mass > 0), mass, 0.0))
    width = np.maximum(widths[0], widths[1])
    narrow[live] = width < 2.0**10 * np.spacing(np.abs(x))
    with np.errstate(divide="ignore"):
        log_width[live] = np.log(masses[0] + masses[1])
    return narrow, log_width


def _probe(region, center):
    lo, hi = region.lo, region.hi
    if math.isfinite(lo) and math.isfinite(hi):
        return 0.5 * (lo + hi)
    if math.isfinite(lo):
        return max(lo + 1.0, center)
    if math.isfinite(hi):
        return min(hi - 1.0, center)
    return center


def build_regions(X, V, breakpoints=()):
    """The intervals of v on which X given V = v is one law or one point mass, for X (a
    distribution, or a function v -> law of X given V = v, where a real number is a point mass)
    and V (a distribution)."""
    if not isinstance(V, Distribution):
        raise ValueError(f"`V` must be a catgoodhart distribution, got {V!r}")
    if isinstance(X, Distribution):
        if len(breakpoints):
            raise ValueError("`breakpoints` apply only when `X` is a function of v")
        return [_Region(-math.inf, math.inf, X, constant=True)]
    if not callable(X):
        raise ValueError("`X` must be a catgoodhart distribution or a function v -> law of X "
                         f"given V = v (a distribution or a number for a point mass), got {X!r}")
    points = np.asarray(breakpoints, dtype=float).reshape(-1)
    if not np.all(np.isfinite(points)):
        raise ValueError("`breakpoints` must be finite")
    points = np.unique(points)
    edges = [-math.inf, *points.tolist(), math.inf]
    center = float(V.ppf(0.5))
    regions = []
    for lo, hi in itertools.pairwise(edges):
        probes = [_probe(_Region(lo, hi), center)]
        if math.isfinite(lo) and math.isfinite(hi):
            probes += [lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo)]
        else:
            probes += [probes[0] - 1.0 if math.isinf(lo) else (lo + probes[0]) / 2,
                       probes[0] + 1.0 if math.isinf(hi) else (hi + probes[0]) / 2]
        laws = [X(p) for p in probes]
        if all(isinstance(law, numbers.Real) and not isinstance(law, bool) for law in laws):
            values = {float(law) for law in laws}
            if len(values) != 1 or not math.isfinite(values.pop()):
                raise ValueError(f"`X_given_V` must return the same finite point mass on each "
                                 f"interval between breakpoints; on ({lo:g}, {hi:g}] it returned "
                                 f"{sorted({float(x) for x in laws})}")
            regions.append(_Region(lo, hi, atom=float(laws[0])))
        elif all(isinstance(law, Distribution) for law in laws):
            regions.append(_Region(lo, hi, X))
        else:
            raise ValueError(f"`X_given_V` returned {laws!r} at v = {probes}: each value must be a "
                             "catgoodhart distribution or a real number (a point mass), and the "
                             "kind may change only at `breakpoints`")
    return regions

