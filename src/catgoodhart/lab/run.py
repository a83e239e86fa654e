"""``lab run``: every cell of a lab configuration, a sweep (:mod:`catgoodhart.sweep`) whose
settings are the configuration.

Layout of a run ``DIR/``::

    sweep.json                  kind "lab", the configuration (``settings``) and the cells
    cells/proxy-w8-n100-s0.npz  one trained proxy: accuracy, its curves per prompt, its error's tail
    cells/ensemble-s0.npz       the ensembles of one seed: best-of-n per aggregation and per member
    cells/noise-heavy-s0.npz    proxy = gold + injected error: best-of-n and the error's tail

Each cell file is written atomically and is the record that the cell finished; ``resume``
skips finished cells. Every cell draws its randomness from its own seed stream
(:func:`catgoodhart.lab.world.stream`), so a resumed run, or one spread over Dask workers,
equals an uninterrupted one in this process.
"""

from dataclasses import asdict, dataclass

import numpy as np

from catgoodhart.lab import curves, proxies
from catgoodhart.lab import world as _world
from catgoodhart.lab.config import LabConfig
from catgoodhart.sweep import load_result, read_sweep, run_sweep

NOISE_KINDS = ("heavy", "light")


@dataclass(frozen=True)
class Cell:
    """One unit of work: ``kind`` "proxy" (width, data, seed), "ensemble" (seed) or "noise"
    (noise kind, seed)."""

    kind: str
    seed: int
    width: int = 0
    data: int = 0
    noise: str = ""

    @property
    def name(self):
        if self.kind == "proxy":
            return f"proxy-w{self.width}-n{self.data}-s{self.seed}"
        if self.kind == "noise":
            return f"noise-{self.noise}-s{self.seed}"
        return f"ensemble-s{self.seed}"


def cells(config):
    """Every cell of ``config``, in the order they run."""
    out = [Cell("proxy", s, width=w, data=n) for s in range(config.seeds) for n in config.data_sizes
           for w in config.widths]
    out += [Cell("ensemble", s) for s in range(config.seeds)]
    out += [Cell("noise", s, noise=k) for k in NOISE_KINDS for s in range(config.seeds)]
    return out


def _pool_curves(config, scores, golds, n):
    """Best-of-n, tilt and quantilizer arrays for one proxy's scores on every prompt's pool."""
    out = {"bon_kl": [], "bon_gold": [], "bon_proxy": [], "tilt_gold": [], "tilt_proxy": [],
           "quantilizer_gold": [], "quantilizer_proxy": []}
    grid = curves.kl_grid(config.responses, config.kl_points)
    for u, g in zip(scores, golds, strict=True):
        for key, values in zip(("bon_kl", "bon_gold", "bon_proxy"), curves.best_of_n_curve(u, g, n),
                               strict=True):
            out[key].append(values)
        for method, (gold, proxy) in curves.matched_curves(u, g, grid).items():
            name = "tilt" if method == "kl_tilt" else method
            out[f"{name}_gold"].append(gold)
            out[f"{name}_proxy"].append(proxy)
    return {k: np.array(v) for k, v in out.items()}


def _bon_only(scores, golds, n):
    rows = [curves.best_of_n_curve(u, g, n) for u, g in zip(scores, golds, strict=True)]
    return {key: np.array([r[i] for r in rows]) for i, key in enumerate(("bon_kl", "bon_gold", "bon_proxy"))}


def _tail(error):
    from catgoodhart.tails import tail_report

    return np.str_(tail_report(error).verdict)


def _rl(config, cell, scores, golds, pools):
    """RL trajectories per prompt: the unpenalized run (rl_*) and one run per KL penalty
    (rl_penalty_*, padded with nan to one length)."""
    runs = {"rl_kl": [], "rl_gold": [], "rl_proxy": []}
    penalized = {"rl_penalty_kl": [], "rl_penalty_gold": [], "rl_penalty_proxy": []}
    for p, (u, g, x) in enumerate(zip(scores, golds, pools, strict=True)):
        phi = curves.features(x)
        for k, penalty in enumerate((0.0, *config.rl_penalties)):
            rng = _world.stream(config, _world.RL, cell.width, cell.seed, p, k)
            _, kl, gold, proxy = curves.policy_gradient(
                phi, u, g, penalty=penalty, steps=config.rl_steps, batch=config.rl_batch,
                learning_rate=config.rl_learning_rate, rng=rng)
            target = runs if k == 0 else penalized
            prefix = "rl" if k == 0 else "rl_penalty"
            target[f"{prefix}_kl"].append(kl)
            target[f"{prefix}_gold"].append(gold)
            target[f"{prefix}_proxy"].append(proxy)
    out = {k: np.array(v) for k, v in runs.items()}
    shape = (config.prompts, len(config.rl_penalties), -1)
    out.update({k: np.array(v).reshape(shape) for k, v in penalized.items()})
    return out


def run_cell(config, cell):
    """The arrays of one cell (see the module's layout)."""
    _, pools, golds = _world.world(config)
    n = curves.n_grid(config.n_max, config.n_fit, config.n_points)
    if cell.kind == "proxy":
        proxy = proxies.train(config, cell.width, cell.data, cell.seed)
        scores = proxies.standardized([proxy(x) for x in pools])
        out = {"accuracy": np.float64(proxies.accuracy(config, proxy)),
               "parameters": np.int64(proxy.parameters), "n": n,
               "error_tail": _tail(scores[0] - golds[0]), **_pool_curves(config, scores, golds, n)}
        if cell.data == max(config.data_sizes):
            out.update(_rl(config, cell, scores, golds, pools))
        return out
    if cell.kind == "noise":
        scores = proxies.noisy(config, golds, cell.noise, cell.seed)
        return {"n": n, "error_tail": _tail(scores[0] - golds[0]), **_bon_only(scores, golds, n)}
    members = [proxies.train(config, config.ensemble_width, config.ensemble_data, cell.seed, member=k)
               for k in range(config.ensemble_size)]
    member_scores = [proxies.standardized([m(x) for x in pools]) for m in members]
    out = {"n": n}
    for k, scores in enumerate(member_scores):
        out.update({f"member{k}_{key}": v for key, v in _bon_only(scores, golds, n).items()})
    for how in proxies.AGGREGATIONS:
        scores = [proxies.aggregate([s[p] for s in member_scores], how, config.uncertainty_weight)
                  for p in range(config.prompts)]
        out.update({f"{how}_{key}": v for key, v in _bon_only(scores, golds, n).items()})
    return out


def work(cell, seed, settings):
    """One lab cell as a sweep's work (``catgoodhart.sweep``): the cell's randomness comes from
    the lab's streams keyed by what the cell is (:func:`catgoodhart.lab.world.stream`), since its
    world (gold reward, pools, comparisons) is shared by every cell; ``seed`` is not used."""
    return run_cell(LabConfig(**settings), Cell(**cell))


def read_meta(path):
    """The run folder's ``sweep.json`` (kind "lab"), its ``settings`` the lab's configuration;
    ``ValueError`` if ``path`` is not a lab run."""
    return read_sweep(path, kind="lab")


def run_lab(config, out, *, resume=False, quiet=True, max_cells=None, scheduler=None, workers=None):
    """Run (or, with ``resume``, continue) every cell of ``config`` into the folder ``out``, on a
    Dask ``LocalCluster`` (``workers``: its size, 1 for this process) or the scheduler at
    ``scheduler`` (see ``catgoodhart.sweep.run_sweep``).

    ``max_cells`` stops after that many cells (a planned interruption). An interruption keeps
    every finished cell."""
    if not isinstance(config, LabConfig):
        raise ValueError(f"`config` must be a LabConfig, got {type(config).__name__}")
    lab_cells = cells(config)
    return run_sweep(work, [asdict(c) for c in lab_cells], out, kind="lab", seed=config.seed,
                     settings=config.to_dict(), names=[c.name for c in lab_cells], resume=resume, quiet=quiet,
                     max_cells=max_cells, scheduler=scheduler, workers=workers)


def load_cell(path, cell):
    """The arrays of a finished cell; ``ValueError`` if its file is missing or damaged."""
    return load_result(path, cell.name)
