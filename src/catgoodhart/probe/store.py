"""The run directory: one probe's settings and results, written batch by batch.

Layout of a run ``RUN/``::

    run.json            what ran: probe kind, settings, model identifiers, seed, progress
    rewards.npy         float64 rewards of every finished batch, in order (``catgoodhart tails``
                        reads it directly)
    batches/b000000.npz one file per finished batch: ``rewards`` and the probe's other arrays
                        (token ids padded with -1, lengths, texts, log-probabilities, traces)

Every file is written to a temporary name in the same folder and renamed over its target
with ``os.replace``, so an interrupted run leaves only complete files. A batch file is the
record that the batch finished; ``rewards.npy`` and ``run.json`` are rebuilt from the
batch files after each batch, and on resume.

A writer holds an exclusive lock on ``RUN/.lock`` (``fcntl.flock``, released when the process
ends, however it ends), so two processes never write one run.

Batch ``b`` draws its randomness from ``numpy.random.SeedSequence(seed, spawn_key=(b,))``,
the ``b``-th child of ``SeedSequence(seed).spawn``, so its numbers do not depend on which
batches ran before it in this process: a resumed run equals an uninterrupted one.
"""

import json
import os
import secrets
import time

import numpy as np

from catgoodhart import __version__

FORMAT = "catgoodhart-probe-run"
FORMAT_VERSION = 1
_BATCH_DIR = "batches"


def batch_seed(seed, index):
    """The ``SeedSequence`` of batch ``index``: child ``index`` of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(index),))


def _tmp_beside(path):
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.{secrets.token_hex(6)}.tmp")


def _replace_with(path, write):
    """Write a new file with ``write(fh)`` beside ``path``, fsync it, then rename it over ``path``."""
    tmp = _tmp_beside(path)
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path, obj):
    """Write ``obj`` as indented UTF-8 JSON, atomically."""
    data = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False).encode()
    _replace_with(path, lambda fh: fh.write(data))


def _save_npy(path, arr):
    _replace_with(path, lambda fh: np.save(fh, arr, allow_pickle=False))


def _save_npz(path, arrays):
    _replace_with(path, lambda fh: np.savez(fh, **arrays))


class RunStore:
    """A run directory opened for writing (``create`` or ``resume``) or reading (``open``)."""

    def __init__(self, path, meta):
        self.path = os.fspath(path)
        self.meta = meta
        self._rewards = {}  # batch index -> its rewards, read once
        self._lock = None

    def lock(self):
        """Take the run's writer lock; ``ValueError`` if another process holds it."""
        from catgoodhart._files import exclusive_lock

        self._lock = exclusive_lock(self._file(".lock"), self.path)
        return self

    def unlock(self):
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path, meta, *, lock=False):
        """Start a new run at ``path``, which must not exist (an existing folder is refused,
        never overwritten). ``meta`` holds ``probe``, ``n``, ``batch_size``, ``seed``,
        ``settings`` and ``models``."""
        path = os.fspath(path)
        if os.path.lexists(path):
            raise ValueError(f"{path}: already exists; pass --resume to continue it, or choose another --out")
        parent = os.path.dirname(os.path.abspath(path))
        if os.path.lexists(parent) and not os.path.isdir(parent):
            raise ValueError(f"{path}: {parent} is not a folder")
        os.makedirs(parent, exist_ok=True)
        os.mkdir(path)
        os.mkdir(os.path.join(path, _BATCH_DIR))
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        full = {"format": FORMAT, "format_version": FORMAT_VERSION, "catgoodhart": __version__,
                **meta, "created": now, "updated": now, "n_done": 0, "batches_done": 0, "complete": False}
        store = cls(path, full)
        if lock:
            store.lock()
        write_json(store._file("run.json"), full)
        _save_npy(store._file("rewards.npy"), np.empty(0, dtype=np.float64))
        return store

    @classmethod
    def open(cls, path):
        """Open an existing run for reading; ``ValueError`` if ``path`` is not a run."""
        from catgoodhart._files import read_run_meta

        path = os.fspath(path)
        return cls(path, read_run_meta(path, "run.json", FORMAT, FORMAT_VERSION, "a probe run"))

    @classmethod
    def resume(cls, path, meta, *, lock=False):
        """Reopen the run at ``path`` to continue it; its probe, n, batch size, seed, settings
        and models must equal ``meta``'s (otherwise ``ValueError`` naming the differences)."""
        store = cls.open(path)
        diffs = [key for key in ("probe", "n", "batch_size", "seed", "settings", "models")
                 if _canonical(store.meta.get(key)) != _canonical(meta.get(key))]
        if diffs:
            detail = "; ".join(f"{k}: run has {_short(store.meta.get(k))}, asked {_short(meta.get(k))}"
                               for k in diffs)
            raise ValueError(f"{path}: cannot resume with different settings ({detail})")
        if lock:
            store.lock()
        store.refresh()
        return store

    # -- layout ------------------------------------------------------------------------------
    def _file(self, *parts):
        return os.path.join(self.path, *parts)

    def _batch_file(self, index):
        return self._file(_BATCH_DIR, f"b{index:06d}.npz")

    @property
    def n(self):
        return int(self.meta["n"])

    @property
    def batch_size(self):
        return int(self.meta["batch_size"])

    @property
    def n_batches(self):
        return -(-self.n // self.batch_size)

    def batch_bounds(self, index):
        """(start, stop) of batch ``index`` among the run's ``n`` items."""
        start = index * self.batch_size
        return start, min(self.n, start + self.batch_size)

    def done_batches(self):
        """Sorted indices of the batches whose files exist."""
        folder = self._file(_BATCH_DIR)
        if not os.path.isdir(folder):
            return []
        out = []
        for name in os.listdir(folder):
            if name.startswith("b") and name.endswith(".npz") and name[1:-4].isdigit():
                index = int(name[1:-4])
                if index < self.n_batches:
                    out.append(index)
        return sorted(out)

    def pending_batches(self):
        done = set(self.done_batches())
        return [b for b in range(self.n_batches) if b not in done]

    # -- writing -----------------------------------------------------------------------------
    def write_batch(self, index, arrays):
        """Commit batch ``index``: its file first, then ``rewards.npy`` and ``run.json``."""
        rewards = np.asarray(arrays["rewards"], dtype=np.float64)
        start, stop = self.batch_bounds(index)
        if rewards.shape != (stop - start,):
            raise ValueError(f"`rewards` of batch {index} must have shape ({stop - start},), "
                             f"got {rewards.shape}")
        _save_npz(self._batch_file(index), {**arrays, "rewards": rewards})
        self._rewards[index] = rewards
        self.refresh()

    def refresh(self):
        """Rebuild ``rewards.npy`` (the finished batches from the first, in order, up to the
        first gap) and the progress fields of ``run.json``."""
        done = self.done_batches()
        contiguous = 0
        while contiguous < len(done) and done[contiguous] == contiguous:
            contiguous += 1
        for b in range(contiguous):
            if b not in self._rewards:
                self._rewards[b] = self.read_batch(b)["rewards"]
        rewards = [self._rewards[b] for b in range(contiguous)]
        values = np.concatenate(rewards) if rewards else np.empty(0, dtype=np.float64)
        _save_npy(self._file("rewards.npy"), values.astype(np.float64))
        self.meta.update(n_done=int(values.size), batches_done=len(done),
                         complete=len(done) == self.n_batches,
                         updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_json(self._file("run.json"), self.meta)

    # -- reading -----------------------------------------------------------------------------
    def read_batch(self, index):
        with np.load(self._batch_file(index), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def rewards(self):
        """float64 rewards of the finished batches from the first, in order."""
        return np.load(self._file("rewards.npy"), allow_pickle=False)

    def arrays(self):
        """Every array of the finished batches (up to the first gap), concatenated along the
        first axis; 2-D token arrays of different widths are padded with -1."""
        parts = []
        for b in range(self.n_batches):
            if not os.path.exists(self._batch_file(b)):
                break
            parts.append(self.read_batch(b))
        if not parts:
            return {}
        out = {}
        for key in parts[0]:
            pieces = [p[key] for p in parts]
            if pieces[0].ndim == 2:
                width = max(p.shape[1] for p in pieces)
                pieces = [np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=-1)
                          if p.dtype.kind in "iu" else p for p in pieces]
            out[key] = np.concatenate(pieces)
        return out


def _canonical(value):
    return json.dumps(value, sort_keys=True)


def _short(value, limit=80):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
