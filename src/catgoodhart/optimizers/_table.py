"""U's tail functions as a piecewise Chebyshev interpolant, and integrals of a policy against them.

Every optimizer reweights the base law by a nondecreasing function r(u) of the proxy, so for
Z ∈ {1, V, U}, with T_Z(u) = E[Z; U >= u] = F̄_U(u) E[Z | U >= u] (integration by parts),

    E_π0[r(U) Z] = r(a) E[Z] + ∫_a^b r'(u) T_Z(u) du + (the part beyond b),

where a is a level below which F_U(a) < 1e-16 (the error r(a) E[|Z|; U < a] is of that order)
and b a level above which the integrand is negligible. The tail functions log F̄_U, E[V | U >= u],
E[X | U >= u] and log h_U come from ``_convolution`` (exact, ~1 ms a level); here they are sampled
once per model at Chebyshev–Lobatto points of pieces of z = asinh((u - c)/s) and interpolated
(Clenshaw), each piece split until its last two Chebyshev coefficients are below 1e-12 of the
function's size. Integrals are done by ``_convolution.log_moments`` (adaptive Gauss–Legendre in
log space) on the interpolant, so one model's table serves every optimizer and every strength.
Levels outside the table, and pieces that do not converge (a log singularity at a bounded
upper end), are evaluated directly.
"""

import functools
import itertools
import math
import weakref

import numpy as np

from catgoodhart._convolution import _probe, log_moments

K = 16  # Chebyshev–Lobatto points per piece
_NODES = np.cos(np.pi * np.arange(K) / (K - 1))  # from +1 to -1
_DCT = np.cos(np.pi * np.outer(np.arange(K), np.arange(K)) / (K - 1))
_TOL = 1e-12
_MAX_SPLITS = 12
LOW_MASS = 1e-17  # the table starts at a level a with F_U(a) <= 2e-17
S_HIGH = 60.0  # and ends where F̄_U = e^{-s} falls below e^-60, unless extended
_U_MAX = 1e300
_DZ = 1.0  # the first pieces' width in z
FUNCTIONS = ("log_sf", "v", "x", "log_hazard")


def _coefficients(values):
    """Chebyshev coefficients from values at the Lobatto points (along the last-but-one axis)."""
    f = values.copy()
    f[..., 0, :] *= 0.5
    f[..., -1, :] *= 0.5
    c = np.einsum("jk,...kf->...jf", _DCT, f) * (2.0 / (K - 1))
    c[..., 0, :] *= 0.5
    c[..., -1, :] *= 0.5
    return c


class TailTable:
    """Interpolant of (log F̄_U, E[V | U >= u], E[X | U >= u], log h_U) for a continuous model."""

    def __init__(self, model):
        self.model = model
        law = next((r.law for r in model.regions if r.law is not None and r.constant), None)
        atom = next((r.atom for r in model.regions if r.atom is not None), 0.0)
        x_center = float(law.ppf(0.5)) if law is not None else atom
        x_scale = float(law.isf(0.25) - law.ppf(0.25)) if law is not None else 0.0
        self.center = model.v_center + x_center
        self.scale = model.v_scale + x_scale
        self.edges = np.empty(0)  # z edges of the pieces, ascending
        self.coef = np.empty((0, K, len(FUNCTIONS)))
        self.direct = np.empty(0, dtype=bool)
        self._build_range(S_HIGH)

    # ----- construction -------------------------------------------------------------------
    def u_of(self, z):
        return self.center + self.scale * np.sinh(z)

    def z_of(self, u):
        return np.arcsinh((np.asarray(u, dtype=float) - self.center) / self.scale)

    def _exact(self, u):
        log_sf, means = self.model.tail_terms(np.asarray(u, dtype=float).reshape(-1),
                                              moments=("v", "x", "hazard"))
        with np.errstate(divide="ignore"):
            return np.stack([log_sf, means["v"], means["x"], np.log(means["hazard"])], axis=-1)

    def _log_sf(self, z):
        return self.model.tail_terms(self.u_of(z), moments=())[0]

    def _lower_end(self):
        """A level a with F_U(a) <= P(V < a_V) + P(X < a_X) <= 2·LOW_MASS (a = a_V + a_X, with a_X
        the lowest over the intervals of v)."""
        model = self.model
        lows = []
        for region in model.regions:
            if region.atom is not None:
                lows.append(region.atom)
            else:
                law = region.law if region.constant else region.law(_probe(region, model.v_center))
                lows.append(float(law.ppf(LOW_MASS)))
        a = float(model.V.ppf(LOW_MASS)) + min(lows)
        return max(a, -_U_MAX)

    def _build_range(self, s_high):
        """Pieces of width _DZ in z from the lower end up to where s = -log F̄_U >= s_high."""
        lo = float(self.z_of(self._lower_end()))
        self.edges = np.array([lo, lo])
        self.coef = np.empty((0, K, len(FUNCTIONS)))
        self.direct = np.empty(0, dtype=bool)
        self.s_high = -math.inf
        self.extend(s_high)

    def _fill(self, edges):
        """Sample each piece; split pieces whose series has not converged."""
        pieces = list(itertools.pairwise(edges))
        done = []
        for depth in range(_MAX_SPLITS + 1):
            if not pieces:
                break
            a = np.array([p[0] for p in pieces])
            b = np.array([p[1] for p in pieces])
            z = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _NODES
            values = self._exact(self.u_of(z)).reshape(len(pieces), K, len(FUNCTIONS))
            # a function infinite at every node (E[X | U >= u] = ∞ for an error without a mean)
            # is the constant ∞
            infinite = np.all(np.isposinf(values), axis=1, keepdims=True)
            values = np.where(infinite, 0.0, values)
            finite = np.all(np.isfinite(values[..., :3]), axis=(1, 2))
            coef = _coefficients(np.where(np.isfinite(values), values, 0.0))
            coef[:, :1, :] = np.where(infinite, math.inf, coef[:, :1, :])
            size = np.maximum(np.max(np.abs(values), axis=1), 1.0)
            size[:, 1:3] = np.maximum(size[:, 1:3], self.scale)
            tail = np.max(np.abs(coef[:, -2:, :]), axis=1)
            ok = finite & np.all(tail <= _TOL * size, axis=1)
            if depth == _MAX_SPLITS:
                ok |= True
            retry = []
            for i, (lo, hi) in enumerate(pieces):
                if ok[i]:
                    done.append((lo, hi, coef[i], not (finite[i] and np.all(tail[i] <= _TOL * size[i]))))
                else:
                    mid = 0.5 * (lo + hi)
                    retry += [(lo, mid), (mid, hi)]
            pieces = retry
        done.sort(key=lambda item: item[0])
        self.edges = np.array([d[0] for d in done] + [done[-1][1]])
        self.coef = np.stack([d[2] for d in done])
        self.direct = np.array([d[3] for d in done])

    def extend(self, s_high):
        """Extend the table upwards until s = -log F̄_U >= s_high (or u reaches 1e300)."""
        if s_high <= self.s_high:
            return
        z0 = float(self.edges[-1])
        z_top = float(np.arcsinh((_U_MAX - abs(self.center)) / self.scale))
        z = z0
        while True:
            zs = z + _DZ * np.arange(1, 5)
            zs = zs[zs <= z_top]
            if zs.size == 0:
                break
            s = -self._log_sf(zs)
            hit = np.flatnonzero(~(s < s_high))
            if hit.size:
                z = zs[hit[0]]
                break
            z = zs[-1]
        if z > z0:
            old = (self.edges, self.coef, self.direct)
            self._fill(np.linspace(z0, z, max(2, 1 + math.ceil((z - z0) / _DZ))))
            self.edges = np.concatenate([old[0][:-1], self.edges]) if old[1].size else self.edges
            self.coef = np.concatenate([old[1], self.coef])
            self.direct = np.concatenate([old[2], self.direct])
        self.s_high = s_high

    def cover(self, log_weight, m, *, margin=60.0):
        """Extend the table upwards until each problem's weight exp(log_weight(u, i, f)) at the
        table's top is below e^-margin of its largest value on the table's edges."""
        for _ in range(12):
            u = self.u_of(self.edges)
            f = self(u)
            rows = np.arange(m)[:, None]
            with np.errstate(all="ignore"):
                w = log_weight(np.broadcast_to(u, (m, u.size)), rows, np.broadcast_to(f, (m, *f.shape)))
            w = np.where(np.isnan(w), -np.inf, w)
            if np.all(w[:, -1] < w.max(axis=1) - margin) or self.u_hi >= 1e299:
                return
            self.extend(self.s_high + 40.0)

    # ----- evaluation -----------------------------------------------------------------------
    @property
    def u_lo(self):
        return float(self.u_of(self.edges[0]))

    @property
    def u_hi(self):
        return float(self.u_of(self.edges[-1]))

    def __call__(self, u):
        """(log F̄_U, E[V | U >= u], E[X | U >= u], log h_U) at u, stacked on the last axis."""
        u = np.asarray(u, dtype=float)
        flat = u.reshape(-1)
        out = np.empty((flat.size, len(FUNCTIONS)))
        with np.errstate(all="ignore"):
            z = self.z_of(flat)
        k = np.searchsorted(self.edges, z, side="right") - 1
        inside = (k >= 0) & (k < self.coef.shape[0]) & ~np.isnan(z)
        inside[inside] &= ~self.direct[k[inside]]
        if np.any(inside):
            ki = k[inside]
            a, b = self.edges[ki], self.edges[ki + 1]
            x = (2.0 * z[inside] - a - b) / (b - a)
            c = self.coef[ki]  # (m, K, F)
            b1 = np.zeros((ki.size, len(FUNCTIONS)))
            b2 = np.zeros_like(b1)
            xx = x[:, None]
            for j in range(K - 1, 0, -1):
                b1, b2 = 2.0 * xx * b1 - b2 + c[:, j, :], b1
            out[inside] = xx * b1 - b2 + c[:, 0, :]
        if np.any(~inside):
            out[~inside] = self._exact(flat[~inside])
        return out.reshape(*u.shape, len(FUNCTIONS))

    def base_means(self):
        """(E[V], E[X]) under π0: V's mean, and E[X | U >= u] at the table's lower end."""
        return self.model.V.mean, float(self(np.array([self.u_lo]))[0, 2])

    # ----- integrals --------------------------------------------------------------------------
    def integrate(self, log_weight, lo, hi, *, extra=None, n_extra=0, edges=()):
        """For problems i: (log M_i, mean of E[V | U >= u], mean of E[U | U >= u], means of the
        ``extra`` rows) under the weight exp(log_weight(u, i, f)) on (lo_i, hi_i), clipped to
        the table; ``f`` holds the table's functions at u (``FUNCTIONS`` on the last axis).

        With r'(u) = exp(log_weight - log F̄_U), M = ∫ r'(u) F̄_U(u) du and M·mean_Z = ∫ r' T_Z."""
        lo = np.maximum(np.asarray(lo, dtype=float), self.u_lo)
        hi = np.minimum(np.asarray(hi, dtype=float), self.u_hi)
        m = lo.size
        last = [None, None]

        def table_at(u):  # the engine asks for the weight and then the rows at the same nodes
            if last[0] is not u:
                last[:] = u, self(u)
            return last[1]

        def g(u, i):
            return log_weight(u, i, table_at(u))

        def fns(u, i):
            f = table_at(u)
            rows = [f[..., 1], f[..., 1] + f[..., 2]]
            if extra is not None:
                rows += list(extra(u, i, f))
            return np.stack(rows)

        centers = np.stack([np.full(m, self.center), *np.broadcast_arrays(*[np.full(m, e) if np.isscalar(e)
                                                                             else np.asarray(e, dtype=float)
                                                                             for e in edges])]
                           ) if len(edges) else np.full((1, m), self.center)
        log_mass, means = log_moments(g, fns, 2 + n_extra, lo, hi, centers, self.scale,
                                      extra_edges=centers[1:] if len(edges) else ())
        return log_mass, means


@functools.lru_cache(maxsize=16)
def _table_for_laws(error, utility):
    from catgoodhart.optimizers.model import ProxyModel

    return TailTable(ProxyModel(error, utility))


_TABLES = weakref.WeakKeyDictionary()


def table_for(model):
    """The model's table, built once: shared by models of the same two independent laws."""
    if model.kind == "independent":
        try:
            return _table_for_laws(model.error, model.utility)
        except TypeError:  # an unhashable law
            pass
    table = _TABLES.get(model)
    if table is None:
        table = _TABLES[model] = TailTable(model)
    return table


def level_for_log_mass(table, log_q):
    """Levels u with log F̄_U(u) = log_q (< 0): bisection in z on the interpolant, then Newton
    steps on the exact tail (d log F̄_U/du = -h_U) until the step is below 1e-15 of u's size."""
    log_q = np.asarray(log_q, dtype=float)
    top = float(-np.min(log_q)) if log_q.size else 0.0
    if top + 2.0 > table.s_high:
        table.extend(top + 2.0)
    lo = np.full(log_q.shape, table.edges[0])
    hi = np.full(log_q.shape, table.edges[-1])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = table(table.u_of(mid))[..., 0] > log_q  # still too much mass: go up
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    u = table.u_of(0.5 * (lo + hi))
    for _ in range(3):  # the interpolant is good to ~1e-14: one step corrects it, one confirms
        log_sf, means = table.model.tail_terms(u, moments=("hazard",))
        with np.errstate(all="ignore"):
            step = (log_sf - log_q) / means["hazard"]
        step = np.where(np.isfinite(step), step, 0.0)
        u = u + step
        if np.all(np.abs(step) <= 1e-15 * (np.abs(u) + table.scale)):
            break
    return u
