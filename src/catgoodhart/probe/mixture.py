"""KL divergence and reward gain of a mixture policy that sometimes emits one fixed output.

A policy that emits the sequence ``x`` with probability ``f`` and otherwise samples the base
policy Q is P = (1 − f)·Q + f·δ_x. With q = Q(x) (Kwa et al., arXiv 2407.14503, §5):

    KL(P‖Q) = (f + (1 − f) q) · log((f + (1 − f) q) / q) + (1 − f)(1 − q) · log(1 − f)

(the first term is the atom x, where P(x) = f + (1 − f) q; every other outcome y has
P(y) = (1 − f) Q(y), contributing (1 − f) Q(y) log(1 − f), summed over the mass 1 − q).
For q ≪ f ≪ 1 this is ≈ f · log(f / q). The reward gain is exact:
E_P[r] − E_Q[r] = f · (r(x) − E_Q[r]).

Everything is computed from log q, because q of a long token sequence underflows
(the paper's ACG sequence has log q ≈ −1340).
"""

import numpy as np

from catgoodhart._validation import probabilities


def _check_logq(logq):
    arr = np.asarray(logq, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr > 0):
        raise ValueError("`logq` must be a log-probability, in [-inf, 0]")
    return arr


def mixture_kl(f, logq):
    """Exact KL((1 − f) Q + f δ_x ‖ Q) in nats, for the mixing weight ``f`` in [0, 1] and
    ``logq`` = log Q(x) in (−inf, 0]; broadcasts. ``f > 0`` with ``logq = −inf`` is +inf."""
    f = probabilities("f", f)
    logq = _check_logq(logq)
    f, logq = np.broadcast_arrays(f, logq)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = np.exp(logq)
        atom = f + (1.0 - f) * q  # P(x)
        # log(P(x)/q) = log(f/q + (1 - f)), written so that neither f/q nor 1/q overflows
        log_ratio = np.logaddexp(np.log(f) - logq, np.log1p(-f))
        first = atom * log_ratio
        rest = (1.0 - f) * (-np.expm1(logq)) * np.log1p(-f)
        kl = np.where(f == 0, 0.0, first + np.where(f == 1, 0.0, rest))
        kl = np.where((f > 0) & np.isneginf(logq), np.inf, kl)
    kl = np.maximum(kl, 0.0)  # rounding can leave -1e-17 where the KL is 0
    return kl[()] if kl.ndim == 0 else kl


def mixture_kl_approx(f, logq):
    """The first-order form f · log(f / q) = f · (log f − log q), accurate for q ≪ f ≪ 1."""
    f = probabilities("f", f)
    logq = _check_logq(logq)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(f == 0, 0.0, f * (np.log(f) - logq))
    return out[()] if out.ndim == 0 else out


def mixture_gain(f, reward, base_mean):
    """Reward gain E_P[r] − E_Q[r] = f · (r(x) − E_Q[r]) of the mixture policy."""
    f = probabilities("f", f)
    out = f * (np.asarray(reward, dtype=float) - float(base_mean))
    return out[()] if np.ndim(out) == 0 else out
