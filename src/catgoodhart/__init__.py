"""catgoodhart: Goodhart effects under KL regularization, computed exactly.

Subpackages are imported on demand so that ``import catgoodhart`` and the command
line start quickly; use ``from catgoodhart import distributions``.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("catgoodhart")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_SUBMODULES = ("distributions",)


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", *_SUBMODULES]
