"""The lab's fixed world: responses of the base policy π0 per prompt, and the gold reward.

Every random draw comes from ``SeedSequence(config.seed, spawn_key=(STREAM, ...))``, one stream
per purpose, so each piece is the same whichever cells ran before it in the process.
"""

import functools

import numpy as np

# one spawn-key stream per purpose
GOLD, PROMPTS, POOL, COMPARISONS, TEST, INIT, NOISE, RL = range(8)
_CALIBRATION = 200_000


def stream(config, *key):
    """A Generator on child ``key`` of ``SeedSequence(config.seed)``."""
    return np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=tuple(int(k) for k in key)))


class GoldReward:
    """g(x) = (tanh(x W + b)·w - c |x|²/dim - m) / s: a random one-hidden-layer network with a
    penalty on atypical responses, recentred and scaled so that E_π0[g] = 0 and Var_π0[g] = 1
    over all prompts (Gao et al. §2.2); m and s come from 200,000 fresh draws of π0."""

    def __init__(self, config):
        rng = stream(config, GOLD)
        self.weights = rng.standard_normal((config.dim, config.gold_width)) * (config.gold_scale /
                                                                              np.sqrt(config.dim))
        self.bias = rng.standard_normal(config.gold_width)
        self.out = rng.standard_normal(config.gold_width) / np.sqrt(config.gold_width)
        self.curvature = config.curvature
        raw = self.raw(sample_base(config, _CALIBRATION, stream(config, GOLD, 1)))
        self.shift = float(raw.mean())
        self.scale = float(raw.std())

    def raw(self, x):
        return np.tanh(x @ self.weights + self.bias) @ self.out - self.curvature * np.mean(x * x, axis=1)

    def __call__(self, x):
        return (self.raw(x) - self.shift) / self.scale


def prompt_means(config):
    """μ_p ~ N(0, spread² I), one row per prompt."""
    return stream(config, PROMPTS).standard_normal((config.prompts, config.dim)) * config.spread


def sample_base(config, size, rng):
    """``size`` responses of π0 over prompts drawn uniformly: x = μ_p + z."""
    means = prompt_means(config)
    which = rng.integers(0, config.prompts, size=size)
    return means[which] + rng.standard_normal((size, config.dim))


def pool(config, prompt):
    """The ``responses`` × dim pool of prompt ``prompt`` (π0 is uniform on it)."""
    rng = stream(config, POOL, prompt)
    return prompt_means(config)[prompt] + rng.standard_normal((config.responses, config.dim))


@functools.lru_cache(maxsize=4)
def world(config):
    """(gold reward, pools per prompt, gold scores per pool), built once per config."""
    gold = GoldReward(config)
    pools = [pool(config, p) for p in range(config.prompts)]
    return gold, pools, [gold(x) for x in pools]


def comparisons(config, seed_index):
    """The largest set of comparisons of seed ``seed_index``: (x_a, x_b, label), label 1 where
    the gold reward prefers x_a, flipped with probability ``label_flip``. Smaller data sizes
    take its first rows, so the sets are nested."""
    rng = stream(config, COMPARISONS, seed_index)
    size = max(config.data_sizes)
    a, b = sample_base(config, size, rng), sample_base(config, size, rng)
    gold = world(config)[0]
    label = (gold(a) > gold(b)).astype(np.float64)
    flip = rng.random(size) < config.label_flip
    return a, b, np.where(flip, 1.0 - label, label)


@functools.lru_cache(maxsize=4)
def test_pairs(config):
    """Held-out pairs of π0 responses and whether the gold reward prefers the first."""
    rng = stream(config, TEST)
    a, b = sample_base(config, config.test_pairs, rng), sample_base(config, config.test_pairs, rng)
    gold = world(config)[0]
    return a, b, gold(a) > gold(b)
