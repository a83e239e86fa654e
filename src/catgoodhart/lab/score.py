"""``lab score``: overoptimization curves of a user's own pool, no training needed.

The pool is a set of responses of the base policy, each with the score of the user's reward
model (the proxy) and a gold score. Both are standardized to mean 0 and variance 1 over the
pool (π0 uniform on it), as the lab does; the proxy's error is X = proxy - gold.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import scaling
from catgoodhart._random import seed_sequence
from catgoodhart._results import Result
from catgoodhart._validation import count, real
from catgoodhart.lab import curves
from catgoodhart.optimizers.best_of_n import n_for_kl


@dataclass(frozen=True, repr=False)
class PoolScore(Result):
    """Exact best-of-n, KL-tilt and quantilizer gold gains against KL on one pool, Gao's
    best-of-n form fitted on n <= n_fit with bootstrap intervals over responses, the predicted
    peak, the forms' errors beyond n_fit, and the tail verdict of the proxy's error."""

    responses: int
    n: np.ndarray
    bon_kl: np.ndarray
    bon_gold: np.ndarray
    bon_proxy: np.ndarray
    kl: np.ndarray
    tilt_gold: np.ndarray
    quantilizer_gold: np.ndarray
    fit: scaling.FormFit
    alpha_interval: tuple
    beta_interval: tuple
    peak_interval: tuple
    peak_n: float  # the n whose KL log n - (n - 1)/n equals the fitted peak's d*²
    rms_out_by_form: dict
    best_form: str
    error_tail: str


def _standard(name, values):
    values = np.asarray(values, dtype=float).reshape(-1)
    if values.size < 100 or not np.all(np.isfinite(values)):
        raise ValueError(f"`{name}` must hold at least 100 finite scores, got {values.size}")
    sd = values.std()
    if not sd > 0:
        raise ValueError(f"`{name}` must not be constant")
    return (values - values.mean()) / sd


def score_pool(proxy, gold, *, n_fit=1000.0, n_max=60_000.0, n_points=40, kl_points=25, n_boot=200,
               level=0.95, seed=0):
    """Curves and fits of one pool (see ``PoolScore``): the bootstrap draws responses with
    replacement ``n_boot`` times and refits d(α - βd) on each resample's exact curve."""
    from catgoodhart.tails import tail_report

    u, g = _standard("proxy", proxy), _standard("gold", gold)
    if u.size != g.size:
        raise ValueError(f"`proxy` and `gold` must score the same responses, got {u.size} and {g.size}")
    n_fit = real("n_fit", n_fit, low=1.0, low_open=True)
    n_max = real("n_max", n_max, low=n_fit, low_open=True, high=1e300)
    n_points, kl_points, n_boot = (count(k, v) for k, v in
                                   (("n_points", n_points), ("kl_points", kl_points), ("n_boot", n_boot)))
    if n_points < 5 or kl_points < 3 or n_boot < 10:
        raise ValueError("`n_points` must be >= 5, `kl_points` >= 3 and `n_boot` >= 10")
    level = real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    n = curves.n_grid(n_max, n_fit, n_points)
    bon_kl, bon_gold, bon_proxy = curves.best_of_n_curve(u, g, n)
    kl = curves.kl_grid(u.size, kl_points)
    matched = curves.matched_curves(u, g, kl)
    inside = n <= n_fit
    d = np.sqrt(bon_kl)
    fit = scaling.fit_form(d[inside], bon_gold[inside], "bon")
    rng = np.random.default_rng(seed_sequence(seed))
    draws = []
    for _ in range(n_boot):
        pick = rng.integers(0, u.size, u.size)
        kl_b, gold_b, _ = curves.best_of_n_curve(u[pick], g[pick], n[inside])
        f = scaling.fit_form(np.sqrt(kl_b), gold_b, "bon")
        draws.append((f.alpha, f.beta, f.peak.d))
    draws = np.array(draws)
    intervals = [scaling.percentile_interval(draws[:, k], level) for k in range(3)]
    predictions, best = scaling.compare_forms(d, bon_gold, d_fit=float(d[inside].max()))
    peak_n = float(n_for_kl(np.array([fit.peak.kl]))[0]) if fit.peak.kl <= 690 else math.inf
    return PoolScore(u.size, n, bon_kl, bon_gold, bon_proxy, kl, matched["kl_tilt"][0],
                     matched["quantilizer"][0], fit, *intervals, peak_n,
                     {f: p.rms_out for f, p in predictions.items()}, best, tail_report(u - g).verdict)
