"""The batch loop shared by the probes: seeds per batch, progress bar, resume, interruption."""

import os
import secrets
import time
from dataclasses import dataclass

import numpy as np

from catgoodhart._results import Result
from catgoodhart._validation import count
from catgoodhart.probe.store import RunStore, batch_seed


@dataclass(frozen=True, repr=False)
class ProbeRun(Result):
    """What a probe call did: the run folder, how much of it is finished, and this call's share."""

    path: str
    probe: str
    n: int
    n_done: int
    complete: bool
    batches_run: int  # batches finished by this call
    seconds: float
    seed: int


def check_seed(seed):
    """A run's seed is an int >= 0 (stored for resume); None draws one from the OS."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be an int >= 0 or None, got {seed!r}")
    return int(seed)


def positive(name, value):
    value = count(name, value)
    if value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}")
    return value


def run_batches(meta, out, work, *, resume=False, quiet=False, max_batches=None, on_batch=None,
                unit="sequences"):
    """Open (or resume) the run at ``out`` and call ``work(index, start, stop, seedseq)`` for each
    unfinished batch; ``work`` returns the batch's arrays (``rewards`` first of all).

    ``max_batches`` stops after that many batches (a planned interruption); ``on_batch(index)``
    is called after each committed batch (raising from it interrupts the run, keeping every
    committed batch). A ``KeyboardInterrupt`` likewise keeps every finished batch.
    """
    if max_batches is not None:
        max_batches = count("max_batches", max_batches)
    if resume and os.path.lexists(out):
        store = RunStore.resume(out, meta, lock=True)
    else:
        store = RunStore.create(out, meta, lock=True)
    pending = store.pending_batches()
    if max_batches is not None:
        pending = pending[:max_batches]
    began = time.perf_counter()
    ran = 0
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(f"{meta['probe']} probe"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit), TimeRemainingColumn())
    try:
        with Progress(*columns, console=Console(stderr=True), disable=quiet, transient=False) as bar:
            task = bar.add_task("probe", total=store.n, completed=store.meta["n_done"])
            for index in pending:
                start, stop = store.batch_bounds(index)
                arrays = work(index, start, stop, batch_seed(store.meta["seed"], index))
                store.write_batch(index, arrays)
                ran += 1
                bar.update(task, completed=store.meta["n_done"])
                if on_batch is not None:
                    on_batch(index)
    finally:
        store.unlock()
    return ProbeRun(store.path, meta["probe"], store.n, int(store.meta["n_done"]),
                    bool(store.meta["complete"]), ran, time.perf_counter() - began, int(meta["seed"]))


def text_array(texts):
    """Texts as a fixed-width unicode array (saved without pickle)."""
    return np.array(list(texts), dtype=np.str_) if len(texts) else np.empty(0, dtype="<U1")


def pad_rows(rows, width=None):
    """Token id lists as an int64 array padded with -1."""
    width = max((len(r) for r in rows), default=0) if width is None else width
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out
