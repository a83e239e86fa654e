"""Reading a sample of rewards from a file: .npy, .npz, .csv, .tsv or plain text.

Every problem (a missing or unreadable file, no values, a column or key that is not there,
a cell that is not a number) is a ``ValueError`` with one line that names the file. NaN and
infinite entries are refused unless ``drop_nonfinite=True``, which drops them and says how
many in the result.
"""

import csv
import math
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from catgoodhart._results import Result

#: array names or column headers used when the file holds several and none is named
DEFAULT_NAMES = ("rewards", "reward", "values", "value", "x")


@dataclass(frozen=True, repr=False)
class LoadedSamples(Result):
    """The values read from ``source`` (the file, and the key or column within it)."""

    values: np.ndarray
    source: str
    dropped: int  # non-finite entries removed (only with drop_nonfinite=True)


def read_samples(path, *, column=None, key=None, drop_nonfinite=False):
    """Read a one-dimensional sample from ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` (a 1-D array, or one column), ``.npz`` (the array ``key``, or the only
        array, or one named ``rewards``), ``.csv`` / ``.tsv`` (the column ``column``: a header
        name, or a 0-based index; by default the only column or one named ``rewards``), or
        any other suffix: plain text, one number a line (blank lines and lines starting with
        ``#`` are skipped). A ``catgoodhart probe`` run folder reads its ``rewards.npy``.
    column, key : str, optional
        Which column (text tables) or array (``.npz``) to read.
    drop_nonfinite : bool
        Drop NaN and infinite entries instead of refusing the file.
    """
    path = os.fspath(path)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "run.json")):
        path = os.path.join(path, "rewards.npy")  # a probe run folder: its rewards
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if key is not None and suffix != ".npz":
        raise ValueError(f"{path}: --key applies to .npz files only")
    if column is not None and suffix not in (".csv", ".tsv"):
        raise ValueError(f"{path}: --column applies to .csv and .tsv files only")
    try:
        if suffix == ".npy":
            values, source = _read_npy(path), path
        elif suffix == ".npz":
            values, source = _read_npz(path, key)
        elif suffix in (".csv", ".tsv"):
            values, source = _read_table(path, column, "\t" if suffix == ".tsv" else ",")
        else:
            values, source = _read_text(path), path
    except (OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot be read ({type(e).__name__}: {e})") from e
    if values.size == 0:
        raise ValueError(f"{source}: contains no values")
    bad = ~np.isfinite(values)
    dropped = int(bad.sum())
    if dropped and not drop_nonfinite:
        raise ValueError(f"{source}: {dropped} of {values.size} values are NaN or infinite; "
                         "pass --drop-nonfinite to drop them")
    if dropped:
        values = values[~bad]
        if values.size == 0:
            raise ValueError(f"{source}: no finite values")
    return LoadedSamples(values, source, dropped)


def _numeric_vector(arr, where):
    if arr.dtype.kind not in "iuf" and arr.dtype != bool:
        raise ValueError(f"{where}: holds {arr.dtype} data, not numbers")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{where}: holds an array of shape {arr.shape}; a 1-D array is needed")
    return arr.astype(np.float64)


def _read_npy(path):
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:  # a corrupt header, or object arrays that would need pickle
        raise ValueError(f"{path}: not a readable .npy array ({e})") from e
    return _numeric_vector(arr, path)


def _read_npz(path, key):
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise ValueError(f"{path}: not a readable .npz archive ({e})") from e
    with archive:
        names = list(archive.files)
        if key is None:
            key = _pick(names, path, "arrays", "--key")
        elif key not in names:
            raise ValueError(f"{path}: has no array {key!r}; its arrays: {', '.join(names) or 'none'}")
        try:
            arr = archive[key]
        except ValueError as e:
            raise ValueError(f"{path}[{key}]: not a readable array ({e})") from e
    return _numeric_vector(arr, f"{path}[{key}]"), f"{path}[{key}]"


def _pick(names, path, what, option):
    if len(names) == 1:
        return names[0]
    for name in DEFAULT_NAMES:
        if name in names:
            return name
    raise ValueError(f"{path}: holds {len(names)} {what} ({', '.join(map(str, names)) or 'none'}); "
                     f"choose one with {option}")


def _number(text, where):
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text.strip()!r} is not a number") from None


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_table(path, column, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f, delimiter=delimiter) if row and any(c.strip() for c in row)]
    if not rows:
        return np.empty(0), path
    header = None if all(_is_number(c) for c in rows[0]) else [c.strip() for c in rows[0]]
    body = rows[1:] if header is not None else rows
    width = len(rows[0])
    if column is None:
        index = 0 if width == 1 else (header.index(_pick(header, path, "columns", "--column"))
                                      if header else _pick(list(range(width)), path, "columns", "--column"))
    elif header is not None and column in header:
        index = header.index(column)
    elif column.isdigit() and int(column) < width:
        index = int(column)
    else:
        names = ", ".join(header) if header else f"0..{width - 1} (no header)"
        raise ValueError(f"{path}: has no column {column!r}; its columns: {names}")
    name = header[index] if header else str(index)
    start = 2 if header is not None else 1
    values = []
    for line, row in enumerate(body, start=start):
        cell = row[index].strip() if index < len(row) else ""
        values.append(math.nan if cell == "" else _number(cell, f"{path}, line {line}, column {name}"))
    return np.array(values, dtype=float), f"{path}[{name}]"


def _read_text(path):
    values = []
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, start=1):
            text = text.strip()
            if text and not text.startswith("#"):
                values.append(_number(text, f"{path}, line {line}"))
    return np.array(values, dtype=float)
