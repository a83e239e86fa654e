"""Proxy reward models: small networks trained with the Bradley–Terry loss on comparisons
labelled by the gold reward, their ensembles, and proxies with injected error.

Training uses torch (the ``[lab]`` extra); a trained proxy is kept as numpy arrays and scored
without torch.
"""

import numpy as np

from catgoodhart.lab import world as _world


class Proxy:
    """r(x) = silu(x W + b)·w + c: one hidden layer of ``width`` SiLU units."""

    def __init__(self, weights, bias, out, out_bias):
        self.weights, self.bias, self.out, self.out_bias = weights, bias, out, float(out_bias)

    @property
    def parameters(self):
        return self.weights.size + self.bias.size + self.out.size + 1

    def __call__(self, x):
        from scipy.special import expit

        h = x @ self.weights + self.bias
        return (h * expit(h)) @ self.out + self.out_bias

    def arrays(self, prefix=""):
        return {f"{prefix}weights": self.weights, f"{prefix}bias": self.bias, f"{prefix}out": self.out,
                f"{prefix}out_bias": np.float64(self.out_bias)}

    @classmethod
    def from_arrays(cls, arrays, prefix=""):
        return cls(*(np.asarray(arrays[f"{prefix}{k}"]) for k in ("weights", "bias", "out", "out_bias")))


def parameter_count(dim, width):
    """Weights and biases of a proxy of this width: (dim + 2)·width + 1."""
    return (dim + 2) * width + 1


def _torch():
    try:
        import torch
    except ImportError as e:
        raise ImportError("training the lab's proxies needs torch: pip install -e \".[lab]\" (torch 2.13.0, "
                          "pinned so that pip takes the CPU build)") from e
    return torch


def train(config, width, data_size, seed_index, member=0):
    """The proxy of this width trained on the first ``data_size`` comparisons of seed
    ``seed_index``: loss -log σ(±(r(x_a) - r(x_b))) (Bradley–Terry), Adam, ``train_steps``
    steps (at least two passes over the data) of ``batch_size`` comparisons drawn with
    replacement. Initial weights U(±1/√fan_in) and the batches come from the cell's own seed
    stream, so the result does not depend on torch's global generator."""
    torch = _torch()
    a, b, label = (v[:data_size] for v in _world.comparisons(config, seed_index))
    rng = _world.stream(config, _world.INIT, width, data_size, seed_index, member)
    dim = config.dim
    init = [rng.uniform(-1, 1, (dim, width)) / np.sqrt(dim), rng.uniform(-1, 1, width) / np.sqrt(dim),
            rng.uniform(-1, 1, width) / np.sqrt(width), rng.uniform(-1, 1, 1) / np.sqrt(width)]
    batch = min(config.batch_size, data_size)
    steps = max(config.train_steps, -(-2 * data_size // batch))
    rows = rng.integers(0, data_size, size=(steps, batch))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    try:
        params = [torch.tensor(p, requires_grad=True) for p in init]
        xa, xb, y = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(label)
        optimizer = torch.optim.Adam(params, lr=config.learning_rate)

        def score(x):
            return torch.nn.functional.silu(x @ params[0] + params[1]) @ params[2] + params[3]

        for idx in torch.from_numpy(rows):
            margin = score(xa[idx]) - score(xb[idx])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(margin, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        weights, bias, out, out_bias = (p.detach().numpy().copy() for p in params)
    finally:
        torch.set_num_threads(threads)
    return Proxy(weights, bias, out, out_bias[0])


def accuracy(config, proxy):
    """The fraction of held-out π0 pairs that the proxy orders as the gold reward does."""
    a, b, prefers_a = _world.test_pairs(config)
    return float(np.mean((proxy(a) > proxy(b)) == prefers_a))


def standardized(scores):
    """Scores per pool, shifted and scaled to mean 0 and variance 1 over all pools together."""
    flat = np.concatenate(scores)
    return [(s - flat.mean()) / flat.std() for s in scores]


def aggregate(member_scores, how, weight=1.0):
    """An ensemble's score from its members' standardized scores (rows): "mean", "min" (worst
    case) or "uncertainty" (mean - weight·variance across members; Coste et al., ICLR 2024)."""
    s = np.asarray(member_scores)
    if how == "mean":
        return s.mean(axis=0)
    if how == "min":
        return s.min(axis=0)
    if how == "uncertainty":
        return s.mean(axis=0) - weight * s.var(axis=0)
    raise ValueError(f"`how` must be 'mean', 'min' or 'uncertainty', got {how!r}")


AGGREGATIONS = ("mean", "min", "uncertainty")


def noisy(config, gold_scores, kind, seed_index):
    """proxy = gold + noise_scale·ε per pool, ε ~ Student-t(noise_nu) ("heavy") or N(0, 1)
    ("light"): the error is independent of the gold reward, as in Kwa et al.'s Theorems 3-4."""
    rng = _world.stream(config, _world.NOISE, ("heavy", "light").index(kind), seed_index)
    out = []
    for g in gold_scores:
        eps = rng.standard_t(config.noise_nu, g.size) if kind == "heavy" else rng.standard_normal(g.size)
        out.append(g + config.noise_scale * eps)
    return out
