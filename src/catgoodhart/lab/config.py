"""The lab's settings: one flat TOML table, checked key by key, and the named presets.

A config file holds any of the keys of :class:`LabConfig` at its top level (unknown keys
are refused by name)::

    preset = "small"          # start from a preset, then override
    seeds = 4
    widths = [2, 8, 32, 128, 512]
    label_flip = 0.05
"""

import math
import tomllib
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class LabConfig:
    """Every setting of a lab run (Gao, Schulman & Hilton's synthetic design, scaled down).

    Responses are vectors x = μ_p + z in R^dim, z ~ N(0, I), with one mean μ_p ~ N(0, spread² I)
    per prompt and a pool of ``responses`` draws per prompt. The gold reward is a random
    network tanh(x W + b)·w - curvature·|x|²/dim, recentred and scaled to mean 0 and variance 1
    under π0 (Gao et al. §2.2). Proxies are one-hidden-layer SiLU networks of each width,
    trained with the Bradley–Terry loss on each number of comparisons (the same comparisons,
    nested, for every width), labelled by the gold reward with probability 1 - label_flip.
    """

    seed: int = 0
    dim: int = 8
    prompts: int = 4
    responses: int = 50_000
    spread: float = 0.5
    gold_width: int = 64
    gold_scale: float = 2.0
    curvature: float = 0.3
    widths: tuple = (2, 8, 32, 128, 512)
    data_sizes: tuple = (10, 100, 1000, 10_000)
    seeds: int = 3
    label_flip: float = 0.0
    train_steps: int = 300
    batch_size: int = 64
    learning_rate: float = 3e-3
    test_pairs: int = 20_000
    n_max: float = 60_000.0
    n_fit: float = 1000.0
    n_points: int = 40
    kl_points: int = 25
    ensemble_size: int = 4
    ensemble_width: int = 32
    ensemble_data: int = 1000
    uncertainty_weight: float = 1.0
    rl_steps: int = 1000
    rl_batch: int = 64
    rl_learning_rate: float = 0.01
    rl_penalties: tuple = (0.1, 0.3, 1.0, 3.0)
    noise_scale: float = 0.5
    noise_nu: float = 2.0
    bootstrap: int = 400

    def __post_init__(self):
        for f in fields(self):
            check = _CHECKS[f.name]
            object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))
        if self.ensemble_width not in self.widths:
            raise ValueError(f"`ensemble_width` must be one of `widths` {list(self.widths)}, got "
                             f"{self.ensemble_width}")
        if self.ensemble_data not in self.data_sizes:
            raise ValueError(f"`ensemble_data` must be one of `data_sizes` {list(self.data_sizes)}, got "
                             f"{self.ensemble_data}")
        if not 1.0 < self.n_fit < self.n_max:
            raise ValueError(f"`n_fit` must lie in (1, n_max = {self.n_max:g}), got {self.n_fit:g}")

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _int(low, high=10**9):
    def check(name, value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"`{name}` must be an integer in [{low}, {high}], got {value!r}")
        return value
    return check


def _real(low, high, *, low_open=False):
    def check(name, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"`{name}` must be a number, got {value!r}")
        value = float(value)
        ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
        if not ok:
            left = "(" if low_open else "["
            raise ValueError(f"`{name}` must be a number in {left}{low:g}, {high:g}], got {value!r}")
        return value
    return check


def _ints(low, high, *, at_least=1):
    one = _int(low, high)

    def check(name, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise ValueError(f"`{name}` must be a list of integers, got {value!r}")
        values = tuple(one(name, v) for v in value)
        if len(values) < at_least or len(set(values)) != len(values) or list(values) != sorted(values):
            raise ValueError(f"`{name}` must hold at least {at_least} distinct integers in increasing "
                             f"order, got {list(values)}")
        return values
    return check


def _reals(low, high):
    one = _real(low, high, low_open=True)

    def check(name, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise ValueError(f"`{name}` must be a list of numbers, got {value!r}")
        values = tuple(one(name, v) for v in value)
        if not values:
            raise ValueError(f"`{name}` must hold at least one number")
        return values
    return check


_CHECKS = {
    "seed": _int(0, 2**63 - 1), "dim": _int(1, 1024), "prompts": _int(1, 1000),
    "responses": _int(100, 10**7), "spread": _real(0.0, 100.0), "gold_width": _int(1, 4096),
    "gold_scale": _real(0.0, 100.0, low_open=True), "curvature": _real(0.0, 100.0),
    "widths": _ints(1, 4096, at_least=2), "data_sizes": _ints(1, 10**7, at_least=2),
    "seeds": _int(2, 1000), "label_flip": _real(0.0, 0.5), "train_steps": _int(1, 10**6),
    "batch_size": _int(1, 10**5), "learning_rate": _real(0.0, 10.0, low_open=True),
    "test_pairs": _int(100, 10**7), "n_max": _real(2.0, 1e300), "n_fit": _real(1.0, 1e300, low_open=True),
    "n_points": _int(5, 10**4), "kl_points": _int(3, 10**4), "ensemble_size": _int(2, 100),
    "ensemble_width": _int(1, 4096), "ensemble_data": _int(1, 10**7),
    "uncertainty_weight": _real(0.0, 100.0), "rl_steps": _int(1, 10**7), "rl_batch": _int(1, 10**5),
    "rl_learning_rate": _real(0.0, 100.0, low_open=True),
    "rl_penalties": _reals(0.0, 1e6), "noise_scale": _real(0.0, 1e6, low_open=True),
    "noise_nu": _real(0.0, 1e6, low_open=True), "bootstrap": _int(10, 10**6),
}

#: named starting points: "small" runs in CI and in ``catgoodhart reproduce`` (about half a minute
#: on two cores); "full" is the default, with more prompts, seeds and training.
PRESETS = {
    "small": {"prompts": 2, "seeds": 2, "train_steps": 200, "rl_steps": 600, "n_points": 30,
              "kl_points": 15, "ensemble_size": 3, "test_pairs": 5000, "bootstrap": 200},
    "full": {},
}


def preset(name, **overrides):
    """The preset ``name`` with ``overrides`` applied."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(map(repr, PRESETS))}, got {name!r}")
    return LabConfig(**{**PRESETS[name], **overrides})


def load_config(path, *, preset_name=None):
    """A ``LabConfig`` from a TOML file (``preset_name`` overrides its ``preset`` key); a
    ``ValueError`` naming the file and the key for anything wrong."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from e
    except OSError as e:
        raise ValueError(f"{path}: cannot be read ({e.strerror or e})") from e
    name = table.pop("preset", "full")
    if preset_name is not None:
        name = preset_name
    known = {f.name for f in fields(LabConfig)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
    try:
        return preset(name, **table)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{path}: {e}") from e
