"""Optimization as conditioning: E[V | X + V >= t] (Kwa, Thomas & Garriga-Alonso,
arXiv 2407.14503, Theorems 5 and 6).

    E[V | X + V >= t] = ∫ v f_V(v) P(X >= t - v | V = v) dv / ∫ f_V(v) P(X >= t - v | V = v) dv.

Both integrals are computed in log space (``_convolution``), so t far in the tail, where
each underflows, keeps full relative accuracy. X and V may be independent (X a
distribution) or dependent: X is then a function v -> the law of X given V = v, returning a
distribution or a number (a point mass, e.g. ``0.0`` for "X = 0"); the kind of law may change
only at ``breakpoints``.
"""

import math

import numpy as np

from catgoodhart.distributions._base import Distribution, _scalar
from catgoodhart.optimizers.model import ProxyModel


def _levels(name, t):
    arr = np.asarray(t, dtype=float)
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite")
    return arr


def _model(X, V, breakpoints):
    """The ProxyModel U = X + V, with errors that name this module's arguments X and V."""
    if not isinstance(V, Distribution):
        raise ValueError(f"`V` must be a catgoodhart distribution, got {V!r}")
    return ProxyModel(X, V, breakpoints=breakpoints)


def positive_part_infinite(V):
    """True when E[V⁺] = ∞: the upper tail of V has no mean."""
    return math.isinf(float(V.partial_mean_upper(float(V.ppf(0.5)))))


def conditional_utility(X, V, t, *, breakpoints=()):
    """E[V | X + V >= t] for each level t (a float for scalar t, else an array).

    Parameters
    ----------
    X : Distribution or callable
        The error: a distribution independent of V, or a function v -> law of X given V = v
        (a distribution, or a real number for a point mass).
    V : Distribution
        The utility.
    t : float or array
        Levels of the proxy U = X + V.
    breakpoints : sequence of float
        Values of v where the conditional law of X changes kind (dependent X only).

    Returns ``inf`` where E[V⁺] = ∞ (V's mean is +∞; every conditional mean is then +∞) and
    ``nan`` where V has no mean.
    """
    model = _model(X, V, breakpoints)
    t = _levels("t", t)
    if math.isnan(V.mean):
        return _scalar(np.full(t.shape, math.nan))
    if positive_part_infinite(V):
        return _scalar(np.full(t.shape, math.inf))
    _, means = model.tail_terms(t.reshape(-1))
    return _scalar(means["v"].reshape(t.shape))


def sum_logsf(X, V, t, *, breakpoints=()):
    """log P(X + V >= t) for each level t, in log space (exact far beyond underflow)."""
    model = _model(X, V, breakpoints)
    t = _levels("t", t)
    log_sf, _ = model.tail_terms(t.reshape(-1), moments=())
    return _scalar(log_sf.reshape(t.shape))
