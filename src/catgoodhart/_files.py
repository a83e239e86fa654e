"""Writing files so that an interrupted write never leaves a half-written one behind, and an
existing file is replaced only when the caller says so.

Every problem is the ``OSError`` subclass the operating system would raise, with the target
as ``filename`` and a sentence as ``strerror``, so that a command can report it in one line:
``FileNotFoundError`` (its folder is missing), ``NotADirectoryError`` (its folder is a file),
``IsADirectoryError`` (the target is a folder), ``FileExistsError`` (the target exists and
``overwrite`` is false), ``PermissionError`` (the folder is not writable).
"""

import errno
import json
import os
import secrets
import shutil
from pathlib import Path


def check_target(path, *, overwrite=False):
    """Raise the error that writing ``path`` would meet, before any work is done.

    The folder must exist (nothing is created), ``path`` must not be a folder, and unless
    ``overwrite`` nothing may exist at ``path`` yet (a dangling link counts as existing).
    """
    path = Path(os.fspath(path))
    folder = path.parent
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if not folder.exists():
        raise FileNotFoundError(errno.ENOENT, f"its folder {folder} does not exist", str(path))
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{folder} is not a folder", str(path))
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "already exists", str(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"the folder {folder} is not writable", str(path))
    return path


def write_atomically(path, write, *, overwrite=True, text=False):
    """Call ``write(file)`` on a new temporary file beside ``path``, then move it to ``path``.

    The temporary file is hidden (``.NAME.HEX.partial``), created with the permissions of an
    ordinary new file (the umask applies), flushed to disk, and renamed to ``path`` only
    once ``write`` has returned: on any error or interruption it is removed and ``path`` is
    left as it was. With ``overwrite=True`` an existing file is replaced (keeping its
    permissions); with ``overwrite=False`` the move itself refuses to replace a file, also
    one created while ``write`` ran (a hard link, which fails if the name exists; where the
    file system has no hard links, a check just before the rename).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    write : callable
        Called with the open file object (binary, or UTF-8 text with ``text=True``).
    overwrite : bool
        Whether an existing ``path`` may be replaced.
    text : bool
        Open the temporary file in text mode.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = check_target(path, overwrite=overwrite)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with (os.fdopen(fd, "w", encoding="utf-8") if text else os.fdopen(fd, "wb")) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            if path.exists():
                shutil.copymode(path, tmp)
            os.replace(tmp, path)
        else:
            _move_without_replacing(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _move_without_replacing(tmp, path):
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "already exists", str(path)) from None
    except (OSError, NotImplementedError) as e:
        if isinstance(e, OSError) and e.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK,
                                                       errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        if os.path.lexists(path):  # no hard links here: check, then rename
            raise FileExistsError(errno.EEXIST, "already exists", str(path)) from None
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


def write_text_atomically(path, text):
    """Write ``text`` to ``path`` (creating its folder) through :func:`write_atomically`:
    an interrupted write leaves any existing file as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, lambda f: f.write(text), text=True)


def read_run_meta(folder, name, fmt, version, what):
    """The JSON object in ``folder/name`` that says which run ``folder`` holds: its ``format``
    must be ``fmt`` and its ``format_version`` at most ``version``; ``ValueError`` naming
    ``what`` (e.g. "a lab run") otherwise."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: no such folder (expected {what})")
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{folder}: not {what} ({name} unreadable: {e})") from e
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise ValueError(f"{folder}: not {what} ({name} has no format {fmt!r})")
    if meta.get("format_version", 0) > version:
        raise ValueError(f"{folder}: written by a newer catgoodhart (format {meta['format_version']})")
    return meta


def exclusive_lock(path, what):
    """An open file holding an exclusive ``flock`` on ``path`` (released when it is closed or
    the process ends, however it ends); ``ValueError`` naming ``what`` if another process holds
    it; None where the platform has no ``flock``."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: unprotected
        return None
    fh = open(path, "a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise ValueError(f"{what}: another process is writing it") from None
    return fh
