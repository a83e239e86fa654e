"""Sweeps of independent cells, in this process or on a Dask cluster.

A sweep is a list of cells, each plain data (a dict of numbers and strings), and a function
``work(cell, seed, settings) -> dict of arrays`` that Dask workers can import by name. Cell
``i`` gets ``numpy.random.SeedSequence(seed, spawn_key=(i,))``, the ``i``-th child of
``SeedSequence(seed).spawn``, so its numbers do not depend on which worker ran it or in what
order. Layout of a run ``RUN/``::

    sweep.json            what runs: kind, seed, settings, the cells and their file names
    cells/NAME.npz        one file per finished cell, written atomically when its result arrives

A re-run with ``resume`` skips the cells whose files exist. On Dask (``distributed``) the
default is a ``LocalCluster`` started and stopped here, one single-threaded worker process per
core; ``scheduler`` (or the environment variable ``DASK_SCHEDULER_ADDRESS``) runs on an
existing cluster instead, and ``workers=1`` runs in this process. A worker lost mid-sweep costs
only the cells it held: the scheduler gives them to another worker, and since each cell's
numbers come from its own seed the results equal an uninterrupted run's. A script that runs
a sweep on a ``LocalCluster`` needs the ``if __name__ == "__main__":`` guard: the workers are
new processes that import the script's module.
"""

import contextlib
import json
import os
import secrets
import time
import zipfile
from dataclasses import dataclass

import numpy as np

from catgoodhart import __version__
from catgoodhart._files import exclusive_lock, read_run_meta, write_atomically
from catgoodhart._progress import progress_bar
from catgoodhart._results import Result

FORMAT = "catgoodhart-sweep"
FORMAT_VERSION = 1
#: how often the scheduler may lose a worker while it holds the same cell before giving up
ALLOWED_FAILURES = 3


@dataclass(frozen=True, repr=False)
class SweepRun(Result):
    """What a ``run_sweep`` call did."""

    path: str
    kind: str
    cells: int
    cells_done: int
    cells_run: int  # finished by this call
    complete: bool
    engine: str  # "in-process", "LocalCluster (N workers)" or "scheduler at ADDRESS"
    seconds: float


def cell_seed(seed, index):
    """The ``SeedSequence`` of cell ``index``: child ``index`` of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(index),))


def _call(work, cell, seed, index, settings):
    """What a worker runs for one cell."""
    return work(cell, cell_seed(seed, index), settings)


def _canonical(value):
    return json.loads(json.dumps(value, sort_keys=True))


def _short(value, width=60):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[:width - 3] + "..."


def read_sweep(path, kind=None):
    """``sweep.json`` of the run at ``path`` (``ValueError`` if it is not one, or not of
    ``kind``)."""
    meta = read_run_meta(path, "sweep.json", FORMAT, FORMAT_VERSION, "a sweep run")
    if kind is not None and meta.get("kind") != kind:
        raise ValueError(f"{path}: a {meta.get('kind')!r} sweep, not a {kind!r} one")
    return meta


def cell_file(path, name):
    return os.path.join(os.fspath(path), "cells", f"{name}.npz")


def load_result(path, name):
    """The arrays of a finished cell; ``ValueError`` if its file is missing or damaged."""
    file = cell_file(path, name)
    try:
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ValueError(f"{file}: missing; the run is not complete (continue it with --resume)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{file}: damaged ({e}); delete it and continue the run with --resume") from e


def load_results(path):
    """The arrays of every cell of the run at ``path``, in the order of its cells (see
    ``load_result``)."""
    return [load_result(path, name) for name in read_sweep(path)["names"]]


def _start(out, meta, resume):
    """Create the run folder, or check that the one there is this sweep (with ``resume``)."""
    out = os.fspath(out)
    if os.path.lexists(out):
        if not resume:
            raise ValueError(f"{out}: already exists; pass --resume to continue it, or choose another --out")
        old = read_sweep(out)
        diffs = [f"{k}: run has {_short(old.get(k))}, asked {_short(meta[k])}"
                 for k in ("kind", "seed", "cells", "names") if _canonical(old.get(k)) != _canonical(meta[k])]
        theirs, ours = old.get("settings"), meta["settings"]
        if isinstance(theirs, dict) and isinstance(ours, dict):
            keys = sorted({*theirs, *ours})
            diffs += [f"{k}: run has {theirs.get(k)!r}, asked {ours.get(k)!r}" for k in keys
                      if _canonical(theirs.get(k)) != _canonical(ours.get(k))]
        elif _canonical(theirs) != _canonical(ours):
            diffs.append(f"settings: run has {_short(theirs)}, asked {_short(ours)}")
        if diffs:
            raise ValueError(f"{out}: cannot resume with different settings ({'; '.join(diffs)})")
        return
    parent = os.path.dirname(os.path.abspath(out))
    if os.path.lexists(parent) and not os.path.isdir(parent):
        raise ValueError(f"{out}: {parent} is not a folder")
    os.makedirs(os.path.join(out, "cells"))
    data = json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomically(os.path.join(out, "sweep.json"), lambda f: f.write(data), text=True)


def _save(out, name, arrays):
    write_atomically(cell_file(out, name), lambda f: np.savez(f, **arrays))


def run_sweep(work, cells, out, *, kind, seed, settings=None, names=None, resume=False, scheduler=None,
              workers=None, quiet=True, max_cells=None):
    """Run every unfinished cell of a sweep into the folder ``out`` (see the module).

    Parameters
    ----------
    work : callable
        ``work(cell, seed_sequence, settings) -> dict of arrays``, a module-level function.
    cells : list of dict
        The cells, as JSON-able plain data.
    kind, seed, settings
        What the sweep is, its root seed (int >= 0), and settings shared by every cell
        (JSON-able); all recorded in ``sweep.json`` and checked on ``resume``.
    names : list of str, optional
        A file name per cell (default ``c000000``, ``c000001``, ...).
    scheduler : str, optional
        Address of a running Dask scheduler (default: ``DASK_SCHEDULER_ADDRESS`` if set).
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: one per core); 1 runs in this process.
    max_cells : int, optional
        Stop after this many cells (a planned interruption; continue with ``resume``).
    """
    started = time.perf_counter()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be an int >= 0, got {seed!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise ValueError(f"`workers` must be an integer >= 1, got {workers!r}")
    cells = [dict(c) for c in cells]
    names = list(names) if names is not None else [f"c{i:06d}" for i in range(len(cells))]
    if len(names) != len(cells) or len(set(names)) != len(names):
        raise ValueError("`names` must give one distinct file name per cell")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "catgoodhart": __version__, "kind": kind,
            "seed": int(seed), "settings": settings, "cells": cells, "names": names}
    _start(out, meta, resume)
    lock = exclusive_lock(os.path.join(os.fspath(out), ".lock"), os.fspath(out))
    try:
        pending = [i for i, name in enumerate(names) if not os.path.exists(cell_file(out, name))]
        todo = pending if max_cells is None else pending[:max_cells]
        scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        in_process = scheduler is None and (workers == 1 or len(todo) <= 1)
        with progress_bar(not quiet) as bar:
            task = bar.add_task(f"{kind} cells", total=len(cells), completed=len(cells) - len(pending))

            def finished(i, arrays):
                _save(out, names[i], arrays)
                bar.advance(task)

            if in_process:
                engine = "in-process"
                for i in todo:
                    finished(i, _call(work, cells[i], seed, i, settings))
            else:
                engine = _on_dask(work, cells, seed, settings, todo, scheduler, workers, finished)
        left = [n for n in names if not os.path.exists(cell_file(out, n))]
        return SweepRun(os.fspath(out), kind, len(cells), len(cells) - len(left), len(todo), not left, engine,
                        round(time.perf_counter() - started, 3))
    finally:
        if lock is not None:
            lock.close()


@contextlib.contextmanager
def _environ_restored(names):
    """Put back these environment variables on exit: Dask's nannies write their pre-spawn
    settings into this process's environment, where a later numba compilation would read
    NUMBA_NUM_THREADS and refuse a count other than the one its threads started with."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _on_dask(work, cells, seed, settings, todo, scheduler, workers, finished):
    """Submit the cells ``todo`` to Dask and hand each result to ``finished`` as it arrives."""
    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        raise ImportError("sweeps on Dask need dask and distributed: pip install 'dask[distributed]' "
                          "(or pass --no-dask)") from e
    cluster = None
    n = workers or os.cpu_count() or 1
    # Dask's workers hand freed memory back to the system above 64 KiB (MALLOC_TRIM_THRESHOLD_),
    # and setting that turns off glibc's adaptive mmap threshold: every array of 128 KiB or more
    # is then mapped and unmapped, its pages faulted in anew each time, and cells of arrays of
    # a few hundred KiB run 20-50% slower than in one process. Keep freed memory up to 128 MiB
    # and map only arrays above 32 MiB (glibc's largest mmap threshold on 64-bit). numba's
    # parallel kernels get the cores left per worker (as Dask does for the BLAS threads), not
    # one thread per core in each worker; they write each output from one thread, so a cell
    # gives the same bits with any number of threads. The workers' profiler (it reads the
    # running task's stack every 10 ms, for the dashboard) slows cells of Python calls by up to
    # 40%: off.
    spawn = "distributed.nanny.pre-spawn-environ."
    settings_dask = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                     "distributed.worker.profile.enabled": False,
                     spawn + "MALLOC_TRIM_THRESHOLD_": str(2**27),
                     spawn + "MALLOC_MMAP_THRESHOLD_": str(2**25),
                     spawn + "NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // n))}
    with dask.config.set(settings_dask), _environ_restored(dask.config.get(spawn[:-1])):
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {e}") from e
            engine = f"scheduler at {scheduler}"
        else:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
            client = Client(cluster)
            engine = f"LocalCluster ({n} workers)"
        try:
            token = secrets.token_hex(4)  # keys unique to this call, also on a shared scheduler
            futures = {client.submit(_call, work, cells[i], seed, i, settings, pure=False,
                                     key=f"catgoodhart-cell-{i}-{token}"): i for i in todo}
            for future, result in as_completed(futures, with_results=True):
                finished(futures[future], result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return engine
