"""Best-of-n: draw n samples from the base, keep the one with the highest proxy U = X + V.

KL (Stiennon et al. 2020; Gao, Schulman & Hilton, arXiv 2210.10760, §2):
    KL_bon(n) = log n - (n - 1)/n for a continuous U, an upper bound for discrete U, where
    the exact value is Σ_j q_j log(q_j / p_j) with q_j = F_j^n - F_{j-1}^n.

Utility and proxy, exact (Kwa et al., arXiv 2407.14503, §B best-of-N experiment), by
``optimizers.best_of_n``: by parts, E_bon[Z] = E[Z] + ∫ n(n - 1) F_U^{n-2} f_U F̄_U (E[Z | U >= u]
- E[Z]) du, the second best's weight, integrated in z = asinh(u/scale) on the model's table of
U's tail functions (``optimizers._table``), which reaches the levels s = -log F̄_U up to
log n + 40 that the weight needs; n up to 1e300 costs a table extended that far, once per model.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from catgoodhart._results import Result
from catgoodhart.conditioning import _model, positive_part_infinite
from catgoodhart.optimizers._table import table_for

WINDOW_ABOVE = 40.0  # nats of s above log n that best-of-n's weight needs (below e^-80 beyond)
_U_MAX = 1e300  # the largest level of the table: sums and differences of levels stay doubles


def _counts(n):
    """``n`` as a float array of integers >= 1; Python integers beyond int64 are accepted."""
    arr = np.asarray(n)
    if arr.dtype == object and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                   for v in arr.reshape(-1)):
        try:
            arr = arr.astype(float)
        except OverflowError as e:
            raise ValueError(f"`n` must be integers in [1, 1.8e308], got {n!r}") from e
    if arr.size == 0:
        raise ValueError("`n` must not be empty")
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    values = arr.astype(float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"`n` must be finite integers >= 1, got {n!r}")
    if np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError(f"`n` must be integers >= 1, got {n!r}")
    return values


def bon_kl(n):
    """KL(best-of-n ‖ base) = log n - (n - 1)/n for a continuous proxy (float or array)."""
    n = _counts(n)
    out = np.log(n) - 1.0 + 1.0 / n
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


def _as_reported(n):
    """int64 where every n fits, floats otherwise (n up to 1e300)."""
    return n.astype(np.int64) if np.all(n < 2.0**63) else n


def bon_utility(X, V, n, *, breakpoints=()):
    """Exact E[V], E[U] and KL of the best-of-n sample under the proxy U = X + V.

    ``X`` is a distribution independent of V or, as in ``conditioning.conditional_utility``,
    a function v -> law of X given V = v with ``breakpoints``. ``n`` is an integer or an
    array of integers from 1 to 1e300 (Python integers beyond int64 included); the work hardly
    grows with n (``optimizers.best_of_n``: the second best's weight integrated over the model's
    tail table). Where a level the integral needs lies beyond the largest double (n beyond about
    e^-40/F̄_U(1e300)), the values are nan and ``note`` says so.
    """
    from catgoodhart.optimizers import best_of_n

    model = _model(X, V, breakpoints)
    n_arr = _counts(n)
    flat = n_arr.reshape(-1)
    if math.isnan(V.mean) or positive_part_infinite(V):
        raise ValueError(f"`V` must have a finite mean for E_bon[V] to exist; {V!r} has mean {V.mean}")
    r = best_of_n(model, n=flat)
    utility, proxy = np.atleast_1d(r.mean_utility).copy(), np.atleast_1d(r.mean_proxy).copy()
    notes = []
    table = table_for(model)
    beyond = np.log(flat) + WINDOW_ABOVE > table.s_high
    if np.any(beyond):
        utility[beyond], proxy[beyond] = math.nan, math.nan
        notes.append(f"for n > {math.exp(table.s_high - WINDOW_ABOVE):.3g} the levels u the integrals need "
                     f"exceed {_U_MAX:g}; those values are nan")
    if np.any(np.isposinf(proxy)):
        notes.append("E[U] = ∞ (the error's upper tail has no mean), so E_bon[U] = ∞ for every n")
    shape = n_arr.shape
    return BonResult(_name(X), repr(V), _as_reported(n_arr) if shape else _as_reported(n_arr).item(),
                     utility.reshape(shape) if shape else float(utility[0]),
                     proxy.reshape(shape) if shape else float(proxy[0]),
                     bon_kl(n_arr), "; ".join(notes) or "all values exact")


def _name(X):
    return repr(X) if not callable(X) or hasattr(X, "logpdf") else f"X | V = v given by {X!r}"


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


def grid_cell(cell, seed, settings):
    """One (utility, error) pair of the paper's grid, a sweep's work (``catgoodhart.sweep``):
    exact E_bon[V] and E_bon[U] at every n of ``settings["n"]``, and Monte Carlo means of V with
    their standard errors from ``settings["trials"]`` draws, the k-th n seeded by child k of
    ``seed``."""
    utility = list(paper_utilities().values())[cell["utility"]]
    error = list(paper_errors().values())[cell["error"]]
    n = _counts(settings["n"]).astype(np.int64)
    r = bon_utility(error, utility, n)
    mc = np.array([best_of_n_monte_carlo(error, utility, count, trials=settings["trials"], seed=s)
                   for count, s in zip(n, seed.spawn(n.size), strict=True)])
    return {"mean_utility": r.mean_utility, "mean_proxy": r.mean_proxy,
            "mc_mean_utility": mc[:, 0], "mc_standard_error": mc[:, 1],
            "note": np.str_(r.note)}


def grid_cells():
    """The cells of the paper's grid: every (utility, error) pair, utility first."""
    return [{"utility": i, "error": j} for i in range(len(paper_utilities()))
            for j in range(len(paper_errors()))]


def assemble_grid(results, n, trials):
    """A ``BonGrid`` from the results of ``grid_cell`` over ``grid_cells()``, in order."""
    utilities, errors = list(paper_utilities()), list(paper_errors())
    shape = (len(utilities), len(errors), len(n))

    def stack(key):
        return np.array([r[key] for r in results]).reshape(shape)

    notes = [f"{utilities[c['utility']]} × {errors[c['error']]}: {r['note']}"
             for c, r in zip(grid_cells(), results, strict=True) if str(r["note"]) != "all values exact"]
    n = np.asarray(n, dtype=np.int64)
    return BonGrid(utilities, errors, n, stack("mean_utility"), stack("mean_proxy"), bon_kl(n), trials,
                   stack("mc_mean_utility"), stack("mc_standard_error"), notes)


def paper_bon_grid(n=None, *, trials=100, seed=0, progress=None):
    """The paper's synthetic best-of-N grid, exactly and by Monte Carlo.

    Utility ∈ {2·Normal, 2·standardized t(10)} × error ∈ {Normal, LogNormal(0, log 2) − 1,
    standardized t(3), standardized t(5), Lévy}, n ∈ geomspace(1, 4^8, 9) by default, with
    ``trials`` best-of-n draws per point (the paper used 100). Cell c of ``grid_cells()`` is
    seeded by child c of ``SeedSequence(seed)``, as ``catgoodhart sweep bon-grid`` seeds it on
    any number of workers. ``progress`` is called with (done, total) after each cell.
    """
    from catgoodhart._random import seed_sequence

    n = np.round(np.geomspace(1, 4**8, 9)) if n is None else np.asarray(n)
    n = _counts(n).astype(np.int64)
    settings = {"n": [int(k) for k in n], "trials": int(trials)}
    cells = grid_cells()
    results = []
    for c, (cell, child) in enumerate(zip(cells, seed_sequence(seed).spawn(len(cells)), strict=True)):
        results.append(grid_cell(cell, child, settings))
        if progress is not None:
            progress(c + 1, len(cells))
    return assemble_grid(results, n, trials)
