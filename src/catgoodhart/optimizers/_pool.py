"""Sums over a pool's distinct proxy values for many strengths at once (numba, parallel over
the strengths): the softmax family π_j ∝ P_j e^{λ b_j} (tilts of the proxy or of a bounded
transform of it, also over a range of values, for the capped tilt) from Taylor series over
blocks of values, and best-of-n's q_j = F_j^n - F_{j-1}^n term by term, with dKL/dn.
"""

import math
import weakref

import numpy as np
from numba import njit, prange

#: Taylor terms kept per block: blocks are 1/(4λ) wide, |λ(b - center)| <= 1/8, and the first
#: term dropped is below (1/8)^11/11! < 3e-18 of the block's sum
_ORDER = 10
#: index ranges shorter than this are summed term by term
_DIRECT = 2048
#: nats: values whose term is below e^-SKIP of the largest one's are left out of a sum
SKIP = 45.0
#: the finest level of blocks: 2^60 cells across the values' span
_DEEPEST = 60


class TiltSums:
    """S(λ, c, lo, hi) = Σ_{lo <= j < hi} P_j e^{λ(b_j - c)} (1, d, u_j, v_j), d = b_j - c, then
    Σ P_j (e^{λd} - 1 - λd) and Σ P_j (e^{λd} - 1) d (the first two less their low-order terms,
    which keeps their digits as λ -> 0), over a pool's values b_j (ascending) with masses P_j,
    proxies u_j and utilities v_j, for many (λ, c, lo, hi) at once.

    Values are grouped in blocks of width w = span·2^-ℓ with λw <= 1/4, and each block's terms
    come from its moments Σ P_j (b_j - m)^r (times 1, u_j, v_j) about its midpoint m:
    e^{λ(b - c)} = e^{λ(m - c)} Σ_r λ^r (b - m)^r / r!, truncated after ``_ORDER`` terms. A query
    costs one term per block instead of one per value; a block that ``hi`` cuts is taken from
    the next finer level (the levels nest exactly: a value's block at level ℓ is its cell at
    level 60 shifted right by 60 - ℓ bits), down to ``_DIRECT`` values summed term by term.
    Each level is built once, on first use. A range may start lower than ``lo`` (whole blocks
    are taken), never end beyond ``hi``.
    """

    def __init__(self, b, p, u, v):
        self.b, self.p, self.u, self.v = (np.ascontiguousarray(a, dtype=float) for a in (b, p, u, v))
        self.span = float(self.b[-1] - self.b[0]) or 1.0
        self.top = float(self.b[-1])
        self.mass = math.fsum(self.p)  # 1 but for rounding
        self.mean = math.fsum(self.p * self.b) / self.mass
        self._cells = np.minimum(np.floor((self.b - self.b[0]) / self.span * 2.0**_DEEPEST),
                                 2.0**_DEEPEST - 1).astype(np.int64)
        self._levels = {}

    def __call__(self, lam, ref, lo, hi):
        lam, ref = np.asarray(lam, dtype=float), np.asarray(ref, dtype=float)
        lo, hi = np.asarray(lo, dtype=np.int64).copy(), np.asarray(hi, dtype=np.int64)
        with np.errstate(divide="ignore", over="ignore"):
            level = np.ceil(np.log2(np.maximum(4.0 * lam * self.span, 1.0)))
        level = np.where(level <= _DEEPEST, level, _DEEPEST + 1).astype(np.int64)  # λ·span ~ inf: direct
        out = np.zeros((lam.size, 6))
        rows = np.arange(lam.size)
        while rows.size:
            level[rows] = np.where((hi[rows] - lo[rows] <= _DIRECT) | (level[rows] > _DEEPEST), -1,
                                   level[rows])
            pending = np.full(lam.size, -1, dtype=np.int64)
            for ell in np.unique(level[rows]):
                pick = rows[level[rows] == ell]
                starts, centers, moments = self._level(int(ell))
                _block_sums(starts, centers, moments, self.b, self.p, self.u, self.v,
                            lam[pick], ref[pick], lo[pick], hi[pick], out, pick, pending)
            rows = np.flatnonzero(pending >= 0)  # the block cut by hi, one level finer
            lo[rows] = pending[rows]
            level[rows] += 1
        return out

    def first_counted(self, lam, anchor):
        """The first index j whose term counts beside the value at index ``anchor``: values with
        λ(b_anchor - b_j) > SKIP - log P_anchor are below e^-SKIP of its term, all of them together."""
        with np.errstate(divide="ignore"):
            cut = self.b[anchor] - (SKIP - np.log(self.p[anchor])) / lam
        return np.searchsorted(self.b, cut, side="left")

    def _level(self, ell):
        if ell < 0:
            return np.zeros(1, dtype=np.int64), np.zeros(0), np.zeros((0, 3, _ORDER + 2))
        if ell not in self._levels:
            self._levels[ell] = _build_level(self.b, self.p, self.u, self.v, self._cells >> (_DEEPEST - ell),
                                             self.b[0], self.span * 2.0**-ell)
        return self._levels[ell]


@njit(cache=True)
def _build_level(b, p, u, v, cell, origin, width):
    """Blocks of values in one cell [origin + k·width, origin + (k + 1)·width): their first index
    (and the end), midpoints m and moments Σ P (b - m)^r for r <= ORDER + 1, Σ P u (b - m)^r and
    Σ P v (b - m)^r for r <= ORDER."""
    size = b.size
    n_blocks = 1
    for j in range(1, size):
        if cell[j] != cell[j - 1]:
            n_blocks += 1
    starts = np.empty(n_blocks + 1, dtype=np.int64)
    centers = np.empty(n_blocks)
    moments = np.zeros((n_blocks, 3, _ORDER + 2))
    k = -1
    for j in range(size):
        if j == 0 or cell[j] != cell[j - 1]:
            k += 1
            starts[k] = j
            centers[k] = origin + (cell[j] + 0.5) * width
        d = b[j] - centers[k]
        power = p[j]
        for r in range(_ORDER + 2):
            moments[k, 0, r] += power
            if r <= _ORDER:
                moments[k, 1, r] += power * u[j]
                moments[k, 2, r] += power * v[j]
            power *= d
    starts[n_blocks] = size
    return starts, centers, moments


@njit(cache=True)
def _expm1_minus_x(x):
    """e^x - 1 - x, by its series where expm1(x) - x would cancel."""
    if abs(x) > 0.5:
        return math.expm1(x) - x
    term, total = x * x / 2.0, 0.0
    for r in range(3, 20):
        total += term
        term *= x / r
    return total


@njit(cache=True, parallel=True)
def _block_sums(starts, centers, moments, b, p, u, v, lam, ref, lo, hi, out, rows, pending):
    """Adds each query's sums over whole blocks to ``out``, and over the block cut by hi term by
    term if it holds at most ``_DIRECT`` values; otherwise that block's first index goes to
    ``pending`` for the next finer level."""
    n_blocks = centers.size
    for k in prange(lam.size):
        lk, c = lam[k], ref[k]
        coef = np.empty(_ORDER + 1)
        coef[0] = 1.0
        for r in range(1, _ORDER + 1):
            coef[r] = coef[r - 1] * lk / r
        s = np.zeros(6)
        direct_from = lo[k]
        if n_blocks > 0 and hi[k] > lo[k]:
            first = np.searchsorted(starts, lo[k], side="right") - 1
            last = np.searchsorted(starts, hi[k] - 1, side="right") - 1
            whole_to = last if starts[last + 1] > hi[k] else last + 1  # block `last` is cut by hi
            for blk in range(first, whole_to):
                # with a = λ(b - m): Σ P e^a (b - m), Σ P e^a u, Σ P e^a v, Σ P (e^a - 1),
                # Σ P (e^a - 1)(b - m), Σ P (e^a - 1 - a)
                t = np.zeros(6)
                for r in range(_ORDER + 1):
                    t[0] += coef[r] * moments[blk, 0, r + 1]
                    t[1] += coef[r] * moments[blk, 1, r]
                    t[2] += coef[r] * moments[blk, 2, r]
                    if r > 0:
                        t[3] += coef[r] * moments[blk, 0, r]
                        t[4] += coef[r] * moments[blk, 0, r + 1]
                    if r > 1:
                        t[5] += coef[r] * moments[blk, 0, r]
                mass = moments[blk, 0, 0] + t[3]
                delta = centers[blk] - c
                growth = math.expm1(lk * delta)
                e = 1.0 + growth
                s[0] += e * mass
                s[1] += e * (t[0] + delta * mass)
                s[2] += e * t[1]
                s[3] += e * t[2]
                # e^{λd} - 1 - λd = g e^a + (e^a - 1 - a) + λδ(e^a - 1), g = e^{λδ} - 1 - λδ
                s[4] += _expm1_minus_x(lk * delta) * mass + t[5] + lk * delta * t[3]
                # (e^{λd} - 1) d = (e^{λδ} - 1) e^a d + (e^a - 1)(b - m) + δ(e^a - 1)
                s[5] += growth * (t[0] + delta * mass) + t[4] + delta * t[3]
            direct_from = max(starts[whole_to], lo[k]) if whole_to < n_blocks else hi[k]
            if hi[k] - direct_from > _DIRECT:
                pending[rows[k]] = direct_from
                direct_from = hi[k]
        for j in range(direct_from, hi[k]):
            d = b[j] - c
            growth = math.expm1(lk * d)
            w = p[j] + p[j] * growth
            s[0] += w
            s[1] += w * d
            s[2] += w * u[j]
            s[3] += w * v[j]
            s[4] += p[j] * _expm1_minus_x(lk * d)
            s[5] += p[j] * growth * d
        for i in range(6):
            out[rows[k], i] += s[i]


_SUMS = weakref.WeakKeyDictionary()


def tilt_sums(model, key, score):
    """The pool's ``TiltSums`` for b = score(values), kept with the model under ``key``."""
    cache = _SUMS.setdefault(model, {})
    if key not in cache:
        cache[key] = TiltSums(score(model.values), model.mass, model.values, model.group_utility)
    return cache[key]


def softmax_moments(sums, lam):
    """For each λ >= 0: (KL, E_π[U], E_π[V], c, log E[e^{λ(b - c)}]) of π_j ∝ P_j e^{λ b_j}, so
    that π_j = P_j e^{λ(b_j - c) - log E[...]}. The exponent is taken about c = the mean of b where
    λ(max b - mean b) < 600 (then E[e^{λ(b - c)}] = 1 + O(λ²) and KL = λ(E_π b - c) -
    log E[e^{λ(b - c)}] keeps its digits), about c = max b otherwise (no overflow). λ beyond 1e300
    (β = 1/λ below the normal doubles) is 1e300: all mass on the top value."""
    lam = np.minimum(np.asarray(lam, dtype=float), 1e300)
    ref = np.where(lam * (sums.top - sums.mean) < 600.0, sums.mean, sums.top)
    about_mean = ref == sums.mean
    # about max b, values far below the top one are left out (about the mean all count: the sums
    # less their low-order terms do not fall with e^{λ(b - c)})
    lo = np.where(about_mean, 0, sums.first_counted(lam, np.full(lam.size, sums.b.size - 1)))
    s = sums(lam, ref, lo, np.full(lam.size, sums.b.size))
    # about the mean, E[e^{λd}] = 1 + E[e^{λd} - 1 - λd] and E[d e^{λd}] = E[d(e^{λd} - 1)]
    # (d = b - c, E[d] = 0): both O(λ²) and O(λ) with their digits as λ -> 0
    e1 = np.where(about_mean, s[:, 5], s[:, 1]) / s[:, 0]
    with np.errstate(invalid="ignore"):
        log_z = np.where(about_mean, np.log1p(s[:, 4] / sums.mass), np.log(s[:, 0] / sums.mass))
    return np.stack([np.maximum(lam * e1 - log_z, 0.0), s[:, 2] / s[:, 0], s[:, 3] / s[:, 0],
                     ref, log_z], axis=1)


#: |n log(F_{j-1}/F_j)| up to which expm1 and log(expm1(x)/x) come from their series
_SERIES = 1.0 / 32.0
#: a best-of-n sum stops where what is left is below 2^-60 of what it has summed
_LEFT = 2.0**-60


@njit(cache=True, inline="always")
def _expm1_small(x):
    """e^x - 1 for |x| <= 1/32: Taylor to x^9, the first term left out below 3e-21 relative."""
    return x * (1.0 + x * (1.0 / 2 + x * (1.0 / 6 + x * (1.0 / 24 + x * (1.0 / 120 + x * (
        1.0 / 720 + x * (1.0 / 5040 + x * (1.0 / 40320 + x * (1.0 / 362880)))))))))


@njit(cache=True, inline="always")
def _log_expm1_ratio(x):
    """log((e^x - 1)/x) = x/2 + x²/24 - x⁴/2880 + x⁶/181440 - x⁸/9676800 for |x| <= 1/32 (the
    next term, x^10/479001600, is below 2e-24)."""
    y = x * x
    return x / 2 + y * (1.0 / 24 + y * (-1.0 / 2880 + y * (1.0 / 181440 - y / 9676800)))


#: the n summed together, as the lanes of one loop over the pool (a vector loop where all of
#: them take the series)
_LANES = 8
#: rows of a block's state, one array of _LANES each: F_j^n, then the sums KL, E[U], E[V],
#: E[|U| + |V|] and dKL/dn, then n, log n, and 1 while the lane still sums (0 once it stops)
_F, _KL, _SU, _SV, _SIZE, _DKL, _N, _LOG_N, _KEEP = range(9)


@njit(cache=True, parallel=True)
def best_of_n_moments(log_cdf, log_step, p, log_gap, reach, u, v, n):
    """For each n: (KL, E_π[U], E_π[V], dKL/dn, q at the top value / P there) of best-of-n on
    distinct values u_j (ascending) with log F_j, s_j = log(F_{j-1}/F_j), P_j, log(-s_j/P_j)
    and max_{i<=j}(|u_i| + |v_i|) (see ``cdf_terms``): q_j = F_j^n (1 - e^{n s_j}).

    From the top value down; a sum stops where the values below can change none of its sums
    by 2^-60 of what is summed (F_j^n bounds their total q; they would add less than
    F_j^n max(|u| + |v|) to the means and F_j^n (|n log F_j| + |log P_min| + 1) to the KL), or
    where q_j underflows. Where |n s_j| <= 1/32, e^{n s_j} - 1 and log(q_j/P_j) = n log F_j +
    log n + log(-s_j/P_j) + log((e^{n s_j} - 1)/(n s_j)) come from series, not from expm1 and log.

    The n go in blocks of ``_LANES`` neighbours (sorted), each block one pass over the pool. A
    lane does the same arithmetic in the vector loop as alone, so a row depends on its n alone:
    not on the other n, their order or the number of threads."""
    m = n.size
    out = np.empty((m, 5))
    log_p_min = 0.0
    for j in range(log_cdf.size):
        log_p_min = min(log_p_min, math.log(p[j]))
    order = np.argsort(n)
    blocks = (m + _LANES - 1) // _LANES
    # blocks of small n (every value counts) cost the most, and prange hands each thread a
    # contiguous chunk: visit the blocks in bit-reversed order (0, B/2, B/4, 3B/4, ...), so
    # that every chunk holds small and large n alike
    spread = np.empty(blocks)
    for r in range(blocks):
        x, f, key = r, 0.5, 0.0
        while x:
            key += f * (x & 1)
            x >>= 1
            f *= 0.5
        spread[r] = key
    visit = np.argsort(spread)
    for i in prange(blocks):
        block = visit[i]
        rows = order[block * _LANES:min(m, (block + 1) * _LANES)]
        _best_of_n_block(rows, log_cdf, log_step, p, log_gap, reach, u, v, n, log_p_min, out)
    return out


@njit(cache=True)
def _best_of_n_block(rows, log_cdf, log_step, p, log_gap, reach, u, v, n, log_p_min, out):
    """Rows ``rows`` (n ascending, at most ``_LANES``) of ``best_of_n_moments``. The lanes'
    state is one array (``_F`` ...), so that the compiler sees its rows apart and runs the
    series loop in vector registers; lanes past ``rows`` repeat the last n and stay at F^n = 0."""
    size = log_cdf.size
    w = rows.size
    state = np.zeros(9 * _LANES)
    for b in range(_LANES):
        nb = n[rows[min(b, w - 1)]]
        state[_N * _LANES + b] = nb
        state[_LOG_N * _LANES + b] = math.log(nb)
        state[_KEEP * _LANES + b] = 1.0
    n_top = n[rows[w - 1]]
    left_out = np.zeros(_LANES)  # F_j at the value where a lane stopped: the mass below it
    summing = w
    fresh = 0
    for j in range(size - 1, -1, -1):
        lc, ls, pj = log_cdf[j], log_step[j], p[j]
        # F_j^n is carried down as F_{j-1}^n, recomputed every 64 values against drift; the
        # lanes check there whether to stop
        if fresh == 0:
            fresh = 64
            for b in range(w):
                if state[_KEEP * _LANES + b] == 0.0:
                    continue
                a = state[_N * _LANES + b] * lc
                f = math.exp(a)
                if a < -745.0 or (a < -40.0 and f * reach[j] <= _LEFT * state[_SIZE * _LANES + b]
                                  and f * (1.0 - a - log_p_min) <= _LEFT * state[_KL * _LANES + b]):
                    # the values left out add P_j (q_j log(q_j/P_j) - q_j ~ 0) to the KL
                    state[_KEEP * _LANES + b] = 0.0
                    left_out[b] = math.exp(lc)
                    f = 0.0
                    summing -= 1
                state[_F * _LANES + b] = f
            if summing == 0:
                break
        fresh -= 1
        uj, vj, gap = u[j], v[j], log_gap[j]
        reach_j = abs(uj) + abs(vj)
        if ls != -math.inf and n_top * ls >= -_SERIES:
            log_prev = lc + ls
            for b in range(_LANES):
                f = state[_F * _LANES + b]
                nb = state[_N * _LANES + b]
                x = nb * ls
                drop = _expm1_small(x)  # (F_{j-1}/F_j)^n - 1
                log_ratio = nb * lc + state[_LOG_N * _LANES + b] + gap + _log_expm1_ratio(x)
                q = -f * drop
                below = f + f * drop
                _add_term(state, b, q, log_ratio, pj * state[_KEEP * _LANES + b], uj, vj, reach_j,
                          f * lc - below * log_prev)
                state[_F * _LANES + b] = below
            continue
        for b in range(w):
            f = state[_F * _LANES + b]
            nb = state[_N * _LANES + b]
            if ls == -math.inf:  # the lowest value: F_{j-1} = 0
                q, below, log_prev = f, 0.0, 0.0
                log_ratio = math.log(q / pj) if q > 0.0 else 0.0
            else:
                x = nb * ls
                if x >= -_SERIES:
                    drop = _expm1_small(x)
                    log_ratio = nb * lc + state[_LOG_N * _LANES + b] + gap + _log_expm1_ratio(x)
                else:
                    drop = math.expm1(x)
                    log_ratio = math.log(-f * drop / pj) if drop < 0.0 and f > 0.0 else 0.0
                q = -f * drop
                # F_{j-1}^n, from the drop where that does not cancel
                below = f + f * drop if drop > -0.5 else f * math.exp(x)
                log_prev = lc + ls
            _add_term(state, b, max(q, 0.0), log_ratio, pj * state[_KEEP * _LANES + b], uj, vj,
                      reach_j, f * lc - below * log_prev)
            state[_F * _LANES + b] = below
    for b in range(w):
        k = rows[b]
        nb = state[_N * _LANES + b]
        out[k, 0] = max(state[_KL * _LANES + b] + left_out[b], 0.0)
        out[k, 1] = state[_SU * _LANES + b]
        out[k, 2] = state[_SV * _LANES + b]
        out[k, 3] = state[_DKL * _LANES + b]
        out[k, 4] = -math.expm1(nb * log_step[size - 1]) * math.exp(nb * log_cdf[size - 1]) / p[size - 1]


@njit(cache=True, inline="always")
def _add_term(state, b, q, log_ratio, pj, uj, vj, reach_j, slope):
    """One value's terms in lane b: KL = Σ (q_j log(q_j/P_j) - q_j + P_j) (Σ q_j = Σ P_j = 1;
    terms >= 0, none cancels as n -> 1, where q_j -> P_j), the means, and dKL/dn = Σ dq_j/dn
    log(q_j/P_j) with d(F^n)/dn = F^n log F (``slope`` = dq_j/dn)."""
    state[_KL * _LANES + b] += q * log_ratio - (q - pj)
    state[_SU * _LANES + b] += q * uj
    state[_SV * _LANES + b] += q * vj
    state[_SIZE * _LANES + b] += q * reach_j
    state[_DKL * _LANES + b] += slope * log_ratio


def cdf_terms(model):
    """(log F_j, s_j = log(F_{j-1}/F_j), P_j, log(-s_j/P_j), max_{i<=j}(|u_i| + |v_i|)) of a pool,
    the arguments of ``best_of_n_moments`` before u and v, with log F_j = log1p(-(mass above
    u_j)) where that mass is small, so that F_j^n keeps its digits for large n."""
    p = model.mass
    above = np.concatenate([model.upper_mass[1:], [0.0]])
    cdf = np.minimum(np.cumsum(p), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cdf = np.where(above < 0.5, np.log1p(-above), np.log(cdf))
        log_step = np.log1p(-p / cdf)  # -inf at j = 1
        # 0 where s_j rounds to 0 (then q_j = 0 and the term is P_j)
        log_gap = np.where(log_step < 0.0, np.log(-log_step) - np.log(p), 0.0)
    reach = np.maximum.accumulate(np.abs(model.values) + np.abs(model.group_utility))
    return log_cdf, log_step, p, log_gap, reach
