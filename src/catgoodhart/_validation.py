"""Argument checks shared by the public functions.

Every check raises ``ValueError`` whose message names the argument in backticks and the
allowed range, e.g. ``"`beta` must be > 0, got -1.0"``.
"""

import math
import numbers
import os

import numpy as np

#: Memory assumed where the machine's cannot be read (no ``os.sysconf``, as on Windows):
#: 2**47 bytes, the user address space of a 64-bit process with 48-bit virtual addresses
#: (x86-64, arm64), so no array larger than this can exist on such a machine.
MEMORY_CAP = 1 << 47


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


def count(name, value, *, item_bytes=None):
    """Return ``value`` as a non-negative int (numpy integers accepted, bools refused).

    With ``item_bytes``, ``value`` counts the items of an array about to be allocated, and a
    count whose array would need more bytes than the machine's physical memory
    (:func:`physical_memory`) is refused before anything is allocated, with the bytes it would
    need. Physical memory rather than the memory free at the moment: the bound is then the
    same on every call, and an array larger than it cannot be held however the memory is
    shared out. Python ints of any size are compared exactly (no int64 overflow).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0, got {_int_text(int(value))}")
    value = int(value)
    if item_bytes is not None:
        memory = physical_memory()
        if value * item_bytes > memory:
            raise ValueError(
                f"`{name}` must be an integer in [0, {memory // item_bytes}], got {_int_text(value)}: "
                f"{item_bytes} bytes each would need {size_text(value * item_bytes)}, more than this "
                f"machine's {size_text(memory, exact=False)} of memory")
    return value


def physical_memory():
    """Bytes of physical memory of this machine (``SC_PHYS_PAGES * SC_PAGE_SIZE``), or
    ``MEMORY_CAP`` where the system does not say."""
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return MEMORY_CAP
    return pages * page if pages > 0 and page > 0 else MEMORY_CAP


def size_text(nbytes, *, exact=True):
    """``8e+20 bytes (694 EiB)``: a byte count in bytes and in binary units (those alone
    with ``exact=False``); ints of any size."""
    in_bytes = f"{nbytes:,} bytes" if nbytes < 10**15 else f"{_scientific(nbytes)} bytes"
    if nbytes < 1024:
        return in_bytes
    if nbytes.bit_length() > 1000:  # beyond floats
        readable = f"{_scientific(nbytes // 1024**6)} EiB"
    else:
        units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
        value, i = nbytes / 1024, 0
        while value >= 1024 and i < len(units) - 1:
            value, i = value / 1024, i + 1
        readable = f"{value:,.0f} {units[i]}" if 1000 <= value < 1e6 else f"{value:.3g} {units[i]}"
    return f"{in_bytes} ({readable})" if exact else readable


def _scientific(n):
    """``8e+20``, ``1e+400``: three digits of an int >= 1 of any size (no float overflow)."""
    if n.bit_length() <= 1000:
        return f"{float(n):.3g}"
    e = int(n.bit_length() * 0.3010299956639812) - 1  # log10(2): e <= floor(log10 n)
    while n >= 10 ** (e + 1):
        e += 1
    return f"{n // 10 ** (e - 2) / 100:.3g}e+{e}"


def _int_text(n):
    """All digits of an int, or three of them where there are too many to print."""
    return str(n) if n.bit_length() <= 4000 else f"about {'-' if n < 0 else ''}{_scientific(abs(n))}"


def probabilities(name, q):
    """Return ``q`` as a float array after checking every entry lies in [0, 1]."""
    arr = np.asarray(q, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"`{name}` must lie in [0, 1]")
    return arr


def real_array(name, value):
    """``value`` as a float array; strings, booleans and other non-numbers are refused (Python
    integers beyond int64 are accepted and converted)."""
    arr = np.asarray(value)
    if arr.dtype.kind == "O" and all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                     for v in arr.reshape(-1)):
        arr = arr.astype(float)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be a real number or an array of real numbers, got {value!r}")
    return arr.astype(float)
