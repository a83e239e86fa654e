"""Conditioning on a high proxy (Kwa et al., arXiv 2407.14503, Theorems 5 and 6): π = π0(· | U >= t).

    KL(π‖π0) = -log F̄_U(t),  max dπ/dπ0 = 1/F̄_U(t),
    E_π[V] = E[V | U >= t],  E_π[U] = E[V | U >= t] + E[X | U >= t];

the quantilizer at q = F̄_U(t), parameterized by the level instead of the fraction. For a pool,
the responses with proxy >= t.
"""

import numpy as np

from catgoodhart.optimizers import policy
from catgoodhart.optimizers._table import tail_at
from catgoodhart.optimizers.quantilizer import _pool, at_levels


def conditioning(model, *, t, probabilities=True):
    """π0 conditioned on U >= t for each level t."""
    model = policy.check_model(model)
    flat, shape = policy.strengths("t", t)
    if model.kind == "pool":
        j = np.searchsorted(model.values, flat, side="left")
        inside = j < model.values.size
        q = np.where(inside, model.upper_mass[np.minimum(j, model.values.size - 1)], 1.0)
        result = _pool(model, q, shape, probabilities, "conditioning", "t", flat)
        if np.all(inside):
            return result
        return _without(result, ~inside.reshape(shape),
                        f"no response has proxy >= t (max {float(model.values[-1])!r})")
    log_sf = tail_at(model, flat)[0]
    return at_levels(model, flat, log_sf, shape, "conditioning", "t", flat)


def _without(result, missing, reason):
    """``result`` with the strengths in ``missing`` marked as not existing."""
    import dataclasses

    if result.exists is True or result.exists is False:
        return dataclasses.replace(result, exists=False, reason=reason, kl=np.nan, mean_proxy=np.nan,
                                   mean_utility=np.nan, max_odds_ratio=np.nan, probabilities=None)
    fields = {name: np.where(missing, np.nan, getattr(result, name))
              for name in ("kl", "mean_proxy", "mean_utility", "max_odds_ratio")}
    return dataclasses.replace(result, exists=result.exists & ~missing,
                               reason=np.where(missing, reason, result.reason), **fields)
