"""``lab run``: every cell of a lab configuration, each written to the run folder when done.

Layout of a run ``DIR/``::

    lab.json                  format, version and the full configuration
    cells/proxy-w8-n100-s0.npz  one trained proxy: accuracy, its curves per prompt, its error's tail
    cells/ensemble-s0.npz     the ensembles of one seed: best-of-n per aggregation and per member
    cells/noise-heavy-s0.npz  proxy = gold + injected error: best-of-n and the error's tail

Each cell file is written atomically and is the record that the cell finished; ``resume``
skips finished cells. Every cell draws its randomness from its own seed stream
(:func:`catgoodhart.lab.world.stream`), so a resumed run equals an uninterrupted one.
"""

import json
import os
import time
import zipfile
from dataclasses import dataclass

import numpy as np

from catgoodhart import __version__
from catgoodhart._files import exclusive_lock, read_run_meta, write_atomically
from catgoodhart._progress import progress_bar
from catgoodhart._results import Result
from catgoodhart.lab import curves, proxies
from catgoodhart.lab import world as _world
from catgoodhart.lab.config import LabConfig

FORMAT = "catgoodhart-lab-run"
FORMAT_VERSION = 1
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


@dataclass(frozen=True, repr=False)
class LabRun(Result):
    """What a ``run_lab`` call did."""

    path: str
    cells: int
    cells_done: int
    cells_run: int
    complete: bool
    seconds: float


def _meta(config):
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "catgoodhart": __version__,
            "config": config.to_dict()}


def read_meta(path):
    """The run folder's ``lab.json`` as a dict; ``ValueError`` if ``path`` is not a lab run."""
    return read_run_meta(path, "lab.json", FORMAT, FORMAT_VERSION, "a lab run")


def cell_path(path, cell):
    return os.path.join(os.fspath(path), "cells", f"{cell.name}.npz")


def _start(config, out, resume):
    out = os.fspath(out)
    if os.path.lexists(out):
        if not resume:
            raise ValueError(f"{out}: already exists; pass --resume to continue it, or choose another --out")
        meta = read_meta(out)
        if meta["config"] != config.to_dict():
            theirs = meta["config"]
            diffs = [k for k in config.to_dict() if theirs.get(k) != config.to_dict()[k]]
            asked = config.to_dict()
            detail = "; ".join(f"{k}: run has {theirs.get(k)!r}, asked {asked[k]!r}" for k in diffs)
            raise ValueError(f"{out}: cannot resume with different settings ({detail})")
        return
    parent = os.path.dirname(os.path.abspath(out))
    if os.path.lexists(parent) and not os.path.isdir(parent):
        raise ValueError(f"{out}: {parent} is not a folder")
    os.makedirs(os.path.join(out, "cells"))
    data = json.dumps(_meta(config), indent=2, ensure_ascii=False) + "\n"
    write_atomically(os.path.join(out, "lab.json"), lambda f: f.write(data), text=True)


def run_lab(config, out, *, resume=False, quiet=True, max_cells=None):
    """Run (or, with ``resume``, continue) every cell of ``config`` into the folder ``out``.

    ``max_cells`` stops after that many cells (a planned interruption). An interruption keeps
    every finished cell."""
    if not isinstance(config, LabConfig):
        raise ValueError(f"`config` must be a LabConfig, got {type(config).__name__}")
    started = time.perf_counter()
    _start(config, out, resume)
    lock = exclusive_lock(os.path.join(os.fspath(out), ".lock"), os.fspath(out))
    try:
        todo = [c for c in cells(config) if not os.path.exists(cell_path(out, c))]
        total = len(cells(config))
        run = 0
        with progress_bar(not quiet) as bar:
            task = bar.add_task("lab cells", total=total, completed=total - len(todo))
            for cell in todo:
                if max_cells is not None and run >= max_cells:
                    break
                bar.update(task, description=f"lab {cell.name}")
                arrays = run_cell(config, cell)
                write_atomically(cell_path(out, cell), lambda f, a=arrays: np.savez(f, **a))
                run += 1
                bar.advance(task)
        done = total - len(todo) + run
        return LabRun(os.fspath(out), total, done, run, done == total,
                      round(time.perf_counter() - started, 3))
    finally:
        if lock is not None:
            lock.close()


def load_cell(path, cell):
    """The arrays of a finished cell; ``ValueError`` if its file is missing or damaged."""
    file = cell_path(path, cell)
    try:
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ValueError(f"{file}: missing; the run is not complete (continue it with --resume)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{file}: damaged ({e}); delete it and continue the run with --resume") from e
