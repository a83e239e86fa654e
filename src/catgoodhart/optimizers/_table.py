"""U's tail functions as a piecewise Chebyshev interpolant, and integrals of a policy against them.

Every optimizer reweights the base law by a nondecreasing function r(u) of the proxy, so for
Z ∈ {1, V, U}, with T_Z(u) = E[Z; U >= u] = F̄_U(u) E[Z | U >= u] (integration by parts),

    E_π0[r(U) Z] = r(a) E[Z] + ∫_a^b r'(u) T_Z(u) du + (the part beyond b),

where a is a level below which F_U(a) < 1e-16 (the error r(a) E[|Z|; U < a] is of that order)
and b a level above which the integrand is negligible. The tail functions log F̄_U, E[V | U >= u],
E[X | U >= u] and log h_U come from ``_convolution`` (exact, ~1 ms a level); here they are sampled
once per model at Chebyshev–Lobatto points of pieces of z = asinh((u - c)/s) (z = log((u - u0)/s)
above a finite lower end u0 of U's support, where log h_U has a log singularity) and interpolated
(Clenshaw), each piece split until its last two Chebyshev coefficients are below 1e-12 of the
function's size. Integrals are done by ``_quadrature.log_moments`` (adaptive Gauss–Legendre in
log space) on the interpolant, so one model's table serves every optimizer and every strength.
Levels outside the table, and pieces that do not converge (a log singularity at a bounded
upper end), are evaluated directly.
"""

import functools
import itertools
import math
import weakref

import numpy as np
from numba import njit

from catgoodhart._convolution import _probe
from catgoodhart._quadrature import log_moments

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
        # a finite lower end u0 of an upper tail (independent laws both bounded below, one
        # unbounded above): there the density may vanish like (u - u0)^k, log h_U has a log
        # singularity, and the table uses z = log((u - u0)/s), in which log h_U is smooth;
        # elsewhere z = asinh((u - c)/s)
        self.origin = None
        if model.kind == "independent":
            origin = model.error.support[0] + model.utility.support[0]
            top = model.error.support[1] + model.utility.support[1]
            self.origin = float(origin) if math.isfinite(origin) and math.isinf(top) else None
        self.edges = np.empty(0)  # z edges of the pieces, ascending
        self.coef = np.empty((0, K, len(FUNCTIONS)))
        self.direct = np.empty(0, dtype=bool)
        self._build_range(S_HIGH)

    # ----- construction -------------------------------------------------------------------
    def u_of(self, z):
        if self.origin is not None:
            return self.origin + self.scale * np.exp(z)
        return self.center + self.scale * np.sinh(z)

    def z_of(self, u):
        u = np.asarray(u, dtype=float)
        if self.origin is not None:
            with np.errstate(divide="ignore", invalid="ignore"):  # -inf at u0, nan below
                return np.log((u - self.origin) / self.scale)
        return np.arcsinh((u - self.center) / self.scale)

    def log_jacobian(self, z):
        """log du/dz: log(s e^z), or log(s cosh z)."""
        z = np.asarray(z, dtype=float)
        if self.origin is not None:
            return math.log(self.scale) + z
        with np.errstate(over="ignore"):
            return math.log(self.scale) + np.abs(z) + np.log1p(np.exp(-2.0 * np.abs(z))) - math.log(2.0)

    def _exact(self, u):
        """The functions at u from ``tail_terms``, 128 levels a call (its quadrature bounds the
        pieces per call, not per level)."""
        u = np.asarray(u, dtype=float).reshape(-1)
        rows = []
        for start in range(0, max(u.size, 1), 128):
            log_sf, means = self.model.tail_terms(u[start:start + 128], moments=("v", "x", "hazard"))
            with np.errstate(divide="ignore"):
                rows.append(np.stack([log_sf, means["v"], means["x"], np.log(means["hazard"])], axis=-1))
        return np.concatenate(rows)[:u.size]

    def _log_sf(self, z):
        return self.model.tail_terms(self.u_of(z), moments=())[0]

    def _lower_end(self):
        """A level a with F_U(a) <= P(V < a_V) + P(X < a_X) <= 2·LOW_MASS (a = a_V + a_X, with a_X
        the lowest over the intervals of v), or F_U(a) <= LOW_MASS above a finite lower end."""
        model = self.model
        lows = []
        for region in model.regions:
            if region.atom is not None:
                lows.append(region.atom)
            else:
                law = region.law if region.constant else region.law(_probe(region, model.v_center))
                lows.append(float(law.ppf(LOW_MASS)))
        a = float(model.V.ppf(LOW_MASS)) + min(lows)
        if self.origin is not None:
            # X >= x0 and V >= v0, independent: F_U(a) <= F_X(a - v0) F_V(a - x0) <= LOW_MASS
            root = math.sqrt(LOW_MASS)
            x0, v0 = model.error.support[0], model.utility.support[0]
            a = max(a, min(float(model.error.ppf(root)) + v0, float(model.V.ppf(root)) + x0))
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
            finite = np.all(np.isfinite(values), axis=(1, 2))  # log h_U = -inf where f_U = 0
            coef = _coefficients(np.where(np.isfinite(values), values, 0.0))
            coef[:, :1, :] = np.where(infinite, math.inf, coef[:, :1, :])
            size = np.maximum(np.max(np.where(np.isfinite(values), np.abs(values), 0.0), axis=1), 1.0)
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
        z_top = float(self.z_of(_U_MAX - abs(self.center)))
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
        flat = np.ascontiguousarray(u.reshape(-1))
        with np.errstate(all="ignore"):
            z = self.z_of(flat)
        out = np.empty((flat.size, len(FUNCTIONS)))
        outside = _clenshaw(z, self.edges, self.coef, self.direct, out)
        if np.any(outside):
            out[outside] = self._exact(flat[outside])
        return out.reshape(*u.shape, len(FUNCTIONS))

    def base_means(self):
        """(E[V], E[X]) under π0: V's mean, and E[X | U >= u] at the table's lower end."""
        return self.model.V.mean, float(self(np.array([self.u_lo]))[0, 2])

    # ----- integrals --------------------------------------------------------------------------
    def integrate(self, log_weight, lo, hi, *, extra=None, n_extra=0, edges=(), in_z=False):
        """For problems i: (log M_i, mean of E[V | U >= u], mean of E[U | U >= u], means of the
        ``extra`` rows) under the weight exp(log_weight(u, i, f)) on (lo_i, hi_i), clipped to
        the table; ``f`` holds the table's functions at u (``FUNCTIONS`` on the last axis);
        ``edges`` (arrays over the problems) are kinks of the weight.

        With r'(u) = exp(log_weight - log F̄_U), M = ∫ r'(u) F̄_U(u) du and M·mean_Z = ∫ r' T_Z.
        With ``in_z`` the variable is the table's z (asinh((u - centre)/scale), or
        log((u - u0)/scale) above a finite lower end u0), in which a weight spread over decades
        of u (best-of-n far in a power tail) is as easy as one near the centre; otherwise u,
        where a weight with an exponential factor e^{λu} is smooth."""
        if in_z:
            to_var, from_var, scale = self.z_of, self.u_of, 1.0
        else:
            to_var, from_var, scale = (lambda u: np.asarray(u, dtype=float)), (lambda u: u), self.scale
        # (fmax: z of a level below u0 is nan)
        lo = np.fmax(to_var(np.asarray(lo, dtype=float)), to_var(self.u_lo))
        hi = np.fmin(to_var(np.asarray(hi, dtype=float)), to_var(self.u_hi))
        m = lo.size
        last = [None, None, None]

        def table_at(x):  # the engine asks for the weight and then the rows at the same nodes
            if last[0] is not x:
                u = from_var(x)
                last[:] = x, u, self(u)
            return last[1], last[2]

        def g(x, i):
            u, f = table_at(x)
            if not in_z:
                return log_weight(u, i, f)
            return log_weight(u, i, f) + self.log_jacobian(x)

        def fns(x, i):
            u, f = table_at(x)
            rows = [f[..., 1], f[..., 1] + f[..., 2]]
            if extra is not None:
                rows += list(extra(u, i, f))
            return np.stack(rows)

        kinks = [to_var(np.broadcast_to(np.asarray(e, dtype=float), (m,))) for e in edges]
        centers = np.stack([np.full(m, float(to_var(self.center))), *kinks])
        return log_moments(g, fns, 2 + n_extra, lo, hi, centers, scale,
                           extra_edges=np.stack(kinks) if kinks else ())


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


@njit(cache=True)
def _clenshaw(z, edges, coef, direct, out):
    """The pieces' Chebyshev series at z (Clenshaw's recurrence) into ``out``; returns which
    points lie outside the table or on a piece kept for direct evaluation."""
    pieces, order, functions = coef.shape
    outside = np.zeros(z.size, dtype=np.bool_)
    for i in range(z.size):
        zi = z[i]
        if not (edges[0] <= zi <= edges[pieces]):  # also nan
            outside[i] = True
            continue
        k = np.searchsorted(edges, zi, side="right") - 1
        if k >= pieces:
            k = pieces - 1
        if direct[k]:
            outside[i] = True
            continue
        a, b = edges[k], edges[k + 1]
        x = (2.0 * zi - a - b) / (b - a)
        for f in range(functions):
            b1 = 0.0
            b2 = 0.0
            for j in range(order - 1, 0, -1):
                b1, b2 = 2.0 * x * b1 - b2 + coef[k, j, f], b1
            out[i, f] = x * b1 - b2 + coef[k, 0, f]
    return outside


def level_for_log_mass(table, log_q):
    """Levels u with log F̄_U(u) = log_q (< 0): bisection in z on the interpolant to 2^-60 of
    the table's span, then a Newton step (d log F̄_U/du = -h_U) to the double nearest the root."""
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
    f = table(u)
    with np.errstate(all="ignore"):
        step = (f[..., 0] - log_q) / np.exp(f[..., 3])
    return u + np.where(np.isfinite(step), step, 0.0)


def tail_at(model, u):
    """(log F̄_U, E[V | U >= u], E[X | U >= u]) at levels u: from the model's table (1e-13 of the
    direct values), directly outside it."""
    f = table_for(model)(np.asarray(u, dtype=float))
    return f[..., 0], f[..., 1], f[..., 2]
