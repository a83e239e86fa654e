"""The one result every optimizer returns."""

import math
from dataclasses import dataclass, field

import numpy as np

from catgoodhart import _validation
from catgoodhart._results import Result
from catgoodhart.optimizers.model import ProxyModel


@dataclass(frozen=True, repr=False)
class OptimizedPolicy(Result):
    """A policy π obtained from the base π0 by one optimizer, at one strength or an array of them.

    Numbers are arrays of the strength's shape (floats for a scalar strength); where the policy
    does not exist (``exists`` False) they are nan and ``reason`` says why.
    """

    method: str
    model: str
    strength_name: str  # what the strength is: "beta", "n", "q", "kl", "t", ...
    strength: np.ndarray | float
    parameters: dict  # the method's fixed parameters (cap, bound, threshold level, ...)
    exists: np.ndarray | bool
    reason: np.ndarray | str
    kl: np.ndarray | float  # KL(π‖π0) in nats
    mean_proxy: np.ndarray | float  # E_π[U]; inf where it diverges
    mean_utility: np.ndarray | float  # E_π[V]
    max_odds_ratio: np.ndarray | float  # sup dπ/dπ0; inf where unbounded
    probabilities: np.ndarray | None = field(default=None)  # pool: π_i, strength.shape + (responses,)


def make(method, model, strength_name, strength, shape, *, exists, reason, kl, mean_proxy, mean_utility,
         max_odds_ratio, parameters=None, probabilities=None):
    """Assemble an ``OptimizedPolicy`` from flat arrays, nan where the policy does not exist."""
    exists = np.broadcast_to(np.asarray(exists, dtype=bool), strength.shape).copy()

    def shaped(values, fill=math.nan):
        arr = np.where(exists, np.broadcast_to(np.asarray(values, dtype=float), strength.shape), fill)
        return float(arr.reshape(-1)[0]) if shape == () else arr.reshape(shape)

    reasons = np.broadcast_to(np.asarray(reason, dtype=object), strength.shape)
    if probabilities is not None:
        probabilities = probabilities.reshape(*shape, -1) if shape != () else probabilities.reshape(-1)
    return OptimizedPolicy(
        method=method, model=repr(model), strength_name=strength_name,
        strength=float(strength.reshape(-1)[0]) if shape == () else strength.reshape(shape),
        parameters=dict(parameters or {}),
        exists=bool(exists.reshape(-1)[0]) if shape == () else exists.reshape(shape),
        reason=str(reasons.reshape(-1)[0]) if shape == () else reasons.reshape(shape),
        kl=shaped(kl), mean_proxy=shaped(mean_proxy), mean_utility=shaped(mean_utility),
        max_odds_ratio=shaped(max_odds_ratio), probabilities=probabilities)


def strengths(name, value, *, low=None, high=None, low_open=False, high_open=False, allow_inf=False):
    """(flat float array, shape) of a strength, checked against its range."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{name}` must be a real number or an array of them, got {value!r}") from e
    if isinstance(value, bool) or arr.dtype == bool:
        raise ValueError(f"`{name}` must be real numbers, got {value!r}")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty")
    flat = arr.reshape(-1)
    bad = np.isnan(flat) | (np.isinf(flat) & (not allow_inf))
    if low is not None:
        bad |= (flat < low) | (low_open & (flat == low))
    if high is not None:
        bad |= (flat > high) | (high_open & (flat == high))
    if np.any(bad):
        where = float(flat[np.argmax(bad)])
        if low is None and high is None:
            raise ValueError(f"`{name}` must be finite, got {where!r}")
        rng = _validation.bound_text(low, high, low_open, high_open)
        raise ValueError(f"`{name}` must be {'finite and ' if not allow_inf else ''}{rng}, got {where!r}")
    return flat, arr.shape


def check_model(model):
    if not isinstance(model, ProxyModel):
        raise ValueError(f"`model` must be a ProxyModel, got {model!r}")
    return model
