"""Best-of-n: draw n samples from the base, keep the one with the highest proxy U = X + V.

KL (Stiennon et al. 2020; Gao, Schulman & Hilton, arXiv 2210.10760, §2):
    KL_bon(n) = log n - (n - 1)/n for a continuous U, an upper bound for discrete U, where
    the exact value is Σ_j q_j log(q_j / p_j) with q_j = F_j^n - F_{j-1}^n.

Utility and proxy, exact (Kwa et al., arXiv 2407.14503, §B best-of-N experiment): with
s = -log F̄_U(u) and c(u) = E[V | U >= u], the best of n given the second best u is a draw of
U | U >= u, so

    E_bon[V] = ∫ n(n-1) F_U^{n-2} F̄_U² c(u) h_U(u) du,     h_U = f_U / F̄_U,
    E_bon[U] = ∫ n F_U^{n-1} F̄_U u h_U(u) du,

integrated over u by adaptive Gauss–Legendre quadrature with F̄_U, c and h_U from the
log-space integrals of ``_convolution`` at every node; the far right tail of E_bon[U] is
added in closed form, n F̄_U(u) E[U | U >= u].
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart._convolution import _W10, _W20, _X10, _X20, build_model
from catgoodhart._results import Result
from catgoodhart.conditioning import positive_part_infinite

S_PAST_PEAK = 40.0  # nats: the order statistics' weights are integrated to s = log n + this
F_FLOOR = 1e-15  # the left end: where F_U falls below this, the weights' mass is negligible
_RTOL = 1e-11
_MAX_ROUNDS = 40
_MAX_PIECES = 200_000
_NODES = np.concatenate([_X20, _X10])


def _counts(n):
    arr = np.asarray(n)
    if arr.size == 0:
        raise ValueError("`n` must not be empty")
    numeric = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    if arr.dtype == bool or not numeric:
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    values = arr.astype(float)
    if not np.all(np.isfinite(values)) or np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    return values


def bon_kl(n):
    """KL(best-of-n ‖ base) = log n - (n - 1)/n for a continuous proxy (float or array)."""
    n = _counts(n)
    out = np.log(n) - (n - 1) / n
    return float(out) if out.ndim == 0 else out


def bon_kl_exact(values, probs, n):
    """Exact KL(best-of-n ‖ base) for a discrete base: values with probabilities ``probs``.

    Ties are merged (best-of-n picks among equal values as the base would), and
    q_j = F_j^n - F_{j-1}^n = F_j^n (1 - (1 - p_j/F_j)^n) is evaluated in log space.
    """
    values = np.asarray(values, dtype=float)
    probs = np.asarray(probs, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("`values` must be a non-empty 1-D array")
    if not np.all(np.isfinite(values)):
        raise ValueError("`values` must be finite")
    if probs.shape != values.shape:
        raise ValueError("`probs` must have the shape of `values`")
    if np.any(~np.isfinite(probs)) or np.any(probs < 0) or probs.sum() <= 0:
        raise ValueError("`probs` must be finite, >= 0 and not all 0")
    n_arr = _counts(n)
    keep = probs > 0
    uniq, inverse = np.unique(values[keep], return_inverse=True)
    p = np.bincount(inverse, probs[keep] / probs[keep].sum(), minlength=uniq.size)
    cdf = np.minimum(np.cumsum(p), 1.0)
    nn = n_arr.reshape(-1, 1)
    with np.errstate(all="ignore"):
        log_cdf = np.log(cdf)
        log_step = np.log1p(-p / cdf)  # log(F_{j-1} / F_j); -inf at j = 0
        log_q = nn * log_cdf + np.log(-np.expm1(nn * log_step))
        q = np.exp(log_q)
        kl = np.where(q > 0, q * (log_q - np.log(p)), 0.0).sum(axis=1)
    kl = np.maximum(kl, 0.0).reshape(n_arr.shape)
    return float(kl) if kl.ndim == 0 else kl


@dataclass(frozen=True, repr=False)
class BonResult(Result):
    """Best-of-n under U = X + V: E[V], E[U] and KL of the chosen sample, for each n."""

    X: str
    V: str
    n: np.ndarray
    mean_utility: np.ndarray  # E_bon[V]
    mean_proxy: np.ndarray  # E_bon[U]; inf where E[U⁺] = ∞
    kl: np.ndarray  # log n - (n - 1)/n
    note: str


def bon_utility(X, V, n, *, breakpoints=()):
    """Exact E[V], E[U] and KL of the best-of-n sample under the proxy U = X + V.

    ``X`` is a distribution independent of V or, as in ``conditioning.conditional_utility``,
    a function v -> law of X given V = v with ``breakpoints``. ``n`` is an integer or an
    array of integers >= 1 (up to 4^10 and beyond).
    """
    model = build_model(X, V, breakpoints)
    n_arr = _counts(n)
    flat = n_arr.reshape(-1)
    notes = []
    if math.isnan(V.mean) or positive_part_infinite(V):
        raise ValueError(f"`V` must have a finite mean for E_bon[V] to exist; {V!r} has mean {V.mean}")
    utility, proxy = _order_statistic_means(model, flat)
    utility = np.where(flat == 1, V.mean, utility)
    if model.X is not None and math.isfinite(model.X.mean):  # n = 1: E[U] exactly
        proxy = np.where(flat == 1, model.X.mean + V.mean, proxy)
    if np.any(np.isposinf(proxy)):
        notes.append("E[U] = ∞ (the error's upper tail has no mean), so E_bon[U] = ∞ for every n")
    shape = n_arr.shape
    return BonResult(_name(X), repr(V), n_arr.astype(np.int64) if shape else int(n_arr),
                     utility.reshape(shape) if shape else float(utility[0]),
                     proxy.reshape(shape) if shape else float(proxy[0]),
                     bon_kl(n_arr), "; ".join(notes) or "all values exact")


def _name(X):
    return repr(X) if not callable(X) or hasattr(X, "logpdf") else f"X | V = v given by {X!r}"


def _order_statistic_means(model, n):
    """(E_bon[V], E_bon[U]) for every n by adaptive quadrature over u."""
    s_max = math.log(float(n.max())) + S_PAST_PEAK
    u_table, s_table = _level_table(model, s_max)
    # initial pieces: every two nats of s, and finer where F_U is small
    s_targets = np.concatenate([np.geomspace(1e-12, 1.0, 13), np.arange(1.0, s_max, 2.0)])
    edges = np.unique(np.concatenate([[u_table[0], u_table[-1]],
                                      np.interp(s_targets, s_table, u_table)]))
    a, b = edges[:-1], edges[1:]
    k = n.size
    # the proxy's tail beyond the last level: n F̄_U(u) E[U | U >= u] (F_U^{n-1} = 1 there)
    log_sf_end, end = model.tail_terms(u_table[-1:], moments=("v", "x"))
    tail_mean = float(end["v"][0] + end["x"][0])
    proxy_finite = math.isfinite(tail_mean)
    total = np.zeros((4, k))
    scale = np.zeros((4, k))
    nn = n[:, None, None]
    for _ in range(_MAX_ROUNDS):
        if a.size == 0:
            break
        half = 0.5 * (b - a)
        x = (0.5 * (a + b))[:, None] + half[:, None] * _NODES
        log_sf, means = model.tail_terms(x.reshape(-1), moments=("v", "hazard"))
        s = -log_sf.reshape(x.shape)
        c = means["v"].reshape(x.shape)
        log_h = np.log(means["hazard"].reshape(x.shape))
        with np.errstate(all="ignore"):
            log_f = np.log(-np.expm1(-s))  # log F_U; F_U^0 = 1 also where F_U = 0
            power_2 = np.where(nn == 2, 0.0, (nn - 2) * log_f)
            power_1 = np.where(nn == 1, 0.0, (nn - 1) * log_f)
            w_v = np.exp(np.log(nn) + np.log(np.maximum(nn - 1, 1)) + power_2 - 2 * s + log_h)
            w_v = np.where(nn >= 2, w_v, 0.0)
            w_u = np.exp(np.log(nn) + power_1 - s + log_h)
        integrands = (np.where(w_v > 0, w_v * c, 0.0), np.where(w_u > 0, w_u * x, 0.0), w_v, w_u)
        if not all(np.all(np.isfinite(f)) for f in integrands[:1] + integrands[2:]):
            raise ArithmeticError("best-of-n quadrature over u: the order-statistic weights are not "
                                  f"finite on [{a.min()!r}, {b.max()!r}]")
        est = [((f[:, :, :20] @ _W20) * half, (f[:, :, 20:] @ _W10) * half,
                (np.abs(f[:, :, :20]) @ _W20) * half) for f in integrands]
        mags = [scale[j] + est[j][2].sum(axis=1) for j in range(4)]
        floors = (model.v_scale * mags[2], model.v_scale * mags[3], 0.0, 0.0)
        ok = np.ones(a.size, dtype=bool)
        for j in ((0, 1, 2, 3) if proxy_finite else (0, 2)):
            g20, g10, _ = est[j]
            ok &= np.all(np.abs(g20 - g10) <= _RTOL * (mags[j] + floors[j] + 1e-300)[:, None], axis=0)
        ok |= half <= 4e-16 * np.maximum(np.abs(a), np.abs(b))
        for j in range(4):
            total[j] += est[j][0][:, ok].sum(axis=1)
            scale[j] += est[j][2][:, ok].sum(axis=1)
        mid = 0.5 * (a + b)
        split = ~ok
        a, b = np.concatenate([a[split], mid[split]]), np.concatenate([mid[split], b[split]])
        if a.size > _MAX_PIECES:
            raise ArithmeticError(f"best-of-n quadrature over u needs more than {_MAX_PIECES} pieces")
    else:
        if a.size:
            raise ArithmeticError(f"best-of-n quadrature over u did not converge on {a.size} pieces")
    if not proxy_finite:
        return total[0], np.full(k, math.inf)
    proxy = total[1] + n * math.exp(log_sf_end[0]) * tail_mean
    return total[0], proxy


def _level_table(model, s_max):
    """Levels u from where F_U <= F_FLOOR up to where -log F̄_U >= s_max, with their s."""
    laws = [r.law for r in model.regions if r.law is not None and r.constant]
    x_center = float(laws[0].ppf(0.5)) if laws else 0.0
    x_scale = float(laws[0].isf(0.25) - laws[0].ppf(0.25)) if laws else 0.0
    center = model.v_center + x_center
    scale = model.v_scale + x_scale
    steps = scale * 2.0 ** (np.arange(-8, 1990) / 2.0)
    us, ss = [np.array([center])], [-model.tail_terms(np.array([center]), moments=())[0]]
    for sign in (1.0, -1.0):
        for start in range(0, steps.size, 16):
            u = center + sign * steps[start:start + 16]
            s = -model.tail_terms(u, moments=())[0]
            us.append(u)
            ss.append(s)
            if sign > 0 and np.any(s >= s_max):
                break
            if sign < 0 and np.any(-np.expm1(-s) <= F_FLOOR):
                break
    u = np.concatenate(us)
    s = np.concatenate(ss)
    order = np.argsort(u)
    u, s = u[order], s[order]
    s = np.maximum.accumulate(s)  # rounding must not make the table non-monotone
    right = np.flatnonzero(s >= s_max)
    left = np.flatnonzero(-np.expm1(-s) <= F_FLOOR)
    hi = right[0] if right.size else u.size - 1
    lo = left[-1] if left.size else 0
    return u[lo:hi + 1], s[lo:hi + 1]


def paper_utilities():
    """The synthetic best-of-N experiment's utilities (Kwa et al., arXiv 2407.14503, §B):
    V with standard deviation 2."""
    from catgoodhart import distributions as D

    return {"2·Normal(0,1)": D.Normal(sigma=2.0),
            "2·standardized t(10)": D.StudentT(nu=10.0, scale=2.0 * math.sqrt(8.0 / 10.0))}


def paper_errors():
    """The experiment's errors X, standard deviation 1 except Lévy (infinite variance)."""
    from catgoodhart import distributions as D

    return {"Normal(0,1)": D.Normal(),
            "LogNormal(0, log 2) − 1": D.LogNormal(mu=0.0, sigma=math.log(2.0), loc=-1.0),
            "standardized t(3)": D.StudentT(nu=3.0, scale=math.sqrt(1.0 / 3.0)),
            "standardized t(5)": D.StudentT(nu=5.0, scale=math.sqrt(3.0 / 5.0)),
            "Lévy": D.Levy()}


@dataclass(frozen=True, repr=False)
class BonGrid(Result):
    """Best-of-n on the paper's grid: arrays indexed [utility, error, n]."""

    utilities: list
    errors: list
    n: np.ndarray
    mean_utility: np.ndarray  # exact E_bon[V]
    mean_proxy: np.ndarray  # exact E_bon[U]; inf where it does not exist
    kl: np.ndarray  # log n - (n - 1)/n
    mc_trials: int
    mc_mean_utility: np.ndarray  # Monte Carlo estimate of E_bon[V]
    mc_standard_error: np.ndarray
    notes: list


def best_of_n_monte_carlo(X, V, n, *, trials, seed=None):
    """(mean, standard error) of V of the best of n draws by U = X + V, over ``trials``
    independent repetitions, drawn with the distributions' samplers."""
    from catgoodhart._random import seed_sequence

    n = int(_counts(n))
    ss = seed_sequence(seed)
    sx, sv = ss.spawn(2)
    x = X.sample(trials * n, seed=sx).reshape(trials, n)
    v = V.sample(trials * n, seed=sv).reshape(trials, n)
    best = v[np.arange(trials), np.argmax(x + v, axis=1)]
    return float(best.mean()), float(best.std(ddof=1) / math.sqrt(trials)) if trials > 1 else math.nan


def paper_bon_grid(n=None, *, trials=100, seed=0, progress=None):
    """The paper's synthetic best-of-N grid, exactly and by Monte Carlo.

    Utility ∈ {2·Normal, 2·standardized t(10)} × error ∈ {Normal, LogNormal(0, log 2) − 1,
    standardized t(3), standardized t(5), Lévy}, n ∈ geomspace(1, 4^8, 9) by default, with
    ``trials`` best-of-n draws per point (the paper used 100). ``progress`` is called with
    (done, total) after each cell.
    """
    from catgoodhart._random import seed_sequence

    n = np.round(np.geomspace(1, 4**8, 9)) if n is None else np.asarray(n)
    n = _counts(n).astype(np.int64)
    utilities, errors = paper_utilities(), paper_errors()
    shape = (len(utilities), len(errors), n.size)
    exact_v, exact_u = np.empty(shape), np.empty(shape)
    mc, se = np.empty(shape), np.empty(shape)
    notes = []
    seeds = iter(seed_sequence(seed).spawn(shape[0] * shape[1] * shape[2]))
    for i, (v_name, V) in enumerate(utilities.items()):
        for j, (x_name, X) in enumerate(errors.items()):
            r = bon_utility(X, V, n)
            exact_v[i, j], exact_u[i, j] = r.mean_utility, r.mean_proxy
            if r.note != "all values exact":
                notes.append(f"{v_name} × {x_name}: {r.note}")
            for k, count in enumerate(n):
                mc[i, j, k], se[i, j, k] = best_of_n_monte_carlo(X, V, count, trials=trials, seed=next(seeds))
            if progress is not None:
                progress(i * shape[1] + j + 1, shape[0] * shape[1])
    return BonGrid(list(utilities), list(errors), n, exact_v, exact_u, bon_kl(n), trials, mc, se, notes)
