"""Gold and proxy reward against KL for each optimizer on one pool (π0 uniform on it).

Best-of-n, the KL-penalized optimum (tilt) and the quantilizer are exact on the pool (the
optimizer family of :mod:`catgoodhart.optimizers`); the RL-like optimizer is a small exponential-family
policy over the pool trained by sampled policy gradient, whose exact KL is recorded along training.
Every score is returned as a gain over π0: E_π[r] - E_π0[r].
"""

import math

import numpy as np

from catgoodhart.optimizers import ProxyModel, best_of_n, frontier


def n_grid(n_max, n_fit, points):
    """``points`` integers from 1 to ``n_max``, log-spaced, with ``n_fit`` among them."""
    grid = np.unique(np.round(np.geomspace(1.0, n_max, points)))
    return np.unique(np.append(grid, n_fit))


def kl_grid(responses, points):
    """``points`` KL values from 1e-2 nats to 0.95 log(responses), log-spaced (a pool of that
    many equally likely responses allows at most log(responses))."""
    return np.geomspace(1e-2, 0.95 * math.log(responses), points)


def best_of_n_curve(proxy, gold, n):
    """(exact KL on the pool, gold gain, proxy gain) of best-of-n for each n."""
    policy = best_of_n(ProxyModel.from_pool(proxy, gold), n=n, probabilities=False)
    return policy.kl, policy.mean_utility - gold.mean(), policy.mean_proxy - proxy.mean()


def matched_curves(proxy, gold, kl):
    """{method: (gold gain, proxy gain)} of the KL tilt and the quantilizer at exactly ``kl``."""
    result = frontier(ProxyModel.from_pool(proxy, gold), ["kl_tilt", "quantilizer"], kl=kl)
    return {m: (result.mean_utility[m] - gold.mean(), result.mean_proxy[m] - proxy.mean())
            for m in result.methods}


_ADAM = (0.9, 0.999)


def features(responses):
    """φ(x) = (x, x²) per response, each column standardized over the pool: the statistics a
    policy π_θ(x) ∝ π0(x) e^{θ·φ(x)} can move (its means and spreads per coordinate)."""
    phi = np.concatenate([responses, responses * responses], axis=1)
    return (phi - phi.mean(axis=0)) / phi.std(axis=0)


def _softmax(logits):
    """(π, KL(π‖uniform)) = (softmax θ, Σ π θ - logsumexp θ + log M), without overflow."""
    top = logits.max()
    w = np.exp(logits - top)
    z = w.sum()
    pi = w / z
    return pi, max(float(pi @ (logits - top)) - math.log(z) + math.log(logits.size), 0.0)


def policy_gradient(phi, proxy, gold, *, penalty, steps, batch, learning_rate, rng):
    """RL on the pool: a policy π_θ ∝ π0·e^{θ·φ} (φ from :func:`features`), θ = 0 (π = π0) at
    the start, trained to maximize E_π[r] - penalty·KL(π‖π0). Each step draws ``batch``
    responses from π, gives each the reward r_i - penalty·log(π_i/π0_i), estimates the gradient
    by REINFORCE with the batch mean as baseline, g = mean((reward - mean)·(φ_i - E_π[φ]))
    (∇θ log π_i = φ_i - E_π[φ]), and moves θ by Adam (Kingma & Ba 2015; β1 = 0.9, β2 = 0.999)
    with step size ``learning_rate``, as policy-gradient RLHF does.

    Returns (step, exact KL, gold gain, proxy gain) at every step from 0 to ``steps``."""
    size = proxy.size
    theta = np.zeros(phi.shape[1])
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    record = []
    base_gold, base_proxy = gold.mean(), proxy.mean()
    for step in range(steps + 1):
        pi, kl = _softmax(phi @ theta)
        record.append((step, kl, pi @ gold - base_gold, pi @ proxy - base_proxy))
        if step == steps:
            break
        cdf = np.cumsum(pi)
        pick = np.minimum(np.searchsorted(cdf, rng.random(batch) * cdf[-1], side="right"), size - 1)
        reward = proxy[pick]
        if penalty:
            reward = reward - penalty * (np.log(pi[pick]) + math.log(size))
        grad = ((reward - reward.mean()) @ (phi[pick] - pi @ phi)) / batch
        first = _ADAM[0] * first + (1 - _ADAM[0]) * grad
        second = _ADAM[1] * second + (1 - _ADAM[1]) * grad * grad
        t = step + 1
        scale = np.sqrt(second / (1 - _ADAM[1] ** t)) + 1e-8
        theta += learning_rate * (first / (1 - _ADAM[0] ** t)) / scale
    return tuple(np.array(column) for column in zip(*record, strict=True))
