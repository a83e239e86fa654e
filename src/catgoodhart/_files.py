"""Writing files so that an interrupted write never leaves a half-written one behind."""

import os
import tempfile
from pathlib import Path


def write_text_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder, renamed over
    ``path`` only when complete: an interrupted write leaves any existing file as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
