"""Argument checks shared by the public functions.

Every check raises ``ValueError`` whose message names the argument in backticks and the
allowed range, e.g. ``"`beta` must be > 0, got -1.0"``.
"""

import math
import numbers

import numpy as np


def real(name, value, *, low=None, high=None, low_open=False, high_open=False,
         allow_inf=False):
    """Return ``value`` as a float after checking it is a real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r}")
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"`{name}` must be finite, got {x!r}")
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"`{name}` must be {bound_text(low, high, low_open, high_open)}, got {x!r}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"`{name}` must be {bound_text(low, high, low_open, high_open)}, got {x!r}")
    return x


def bound_text(low=None, high=None, low_open=False, high_open=False):
    """``> 0``, ``in [-700, 700]``, ...: the allowed range in words."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    return f"{'<' if high_open else '<='} {high:g}"


def count(name, value):
    """Return ``value`` as a non-negative int (numpy integers accepted, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0, got {value!r}")
    return int(value)


def probabilities(name, q):
    """Return ``q`` as a float array after checking every entry lies in [0, 1]."""
    arr = np.asarray(q, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"`{name}` must lie in [0, 1]")
    return arr
