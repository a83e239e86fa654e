"""Input handling shared by the tail estimators: validation, order statistics, ties, centring.

Every estimator in :mod:`catgoodhart.tails` reads the sample through
:func:`upper_order_statistics`, which returns it sorted in descending order,
X_(1) >= X_(2) >= ... >= X_(n), so that the k largest values are ``xs[:k]`` and the
threshold X_(k+1) is ``xs[k]``.
"""

import math

import numpy as np

#: the smallest sample the tail estimators accept by default
MIN_SIZE = 50

CENTRES = ("mean", "median", "none")


def _finite_vector(samples, name):
    """``samples`` as a 1-D float64 array of finite numbers, or a ValueError naming it."""
    try:
        arr = np.asarray(samples)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{name}` must be a one-dimensional array of real numbers") from e
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must hold real numbers (integer or float), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"`{name}` must be finite, got {bad} nan or infinite value(s)")
    return arr


def upper_order_statistics(samples, *, name="samples", min_size=MIN_SIZE):
    """Validate a sample and return it sorted in descending order as float64.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of finite real numbers.
    name : str
        Argument name used in error messages.
    min_size : int
        The fewest values accepted.

    Returns
    -------
    numpy.ndarray
        ``xs`` with ``xs[0] = X_(1) >= xs[1] = X_(2) >= ...`` (a new array).

    Raises
    ------
    ValueError
        If ``samples`` is not one-dimensional, not real, holds nan or inf, or has fewer
        than ``min_size`` values.

    Examples
    --------
    >>> upper_order_statistics(range(50))[:3]
    array([49., 48., 47.])
    """
    arr = _finite_vector(samples, name)
    if arr.size < min_size:
        raise ValueError(f"`{name}` must hold at least {min_size} finite values, got {arr.size}")
    xs = np.sort(arr)[::-1]
    return np.ascontiguousarray(xs)


def tie_reason(xs, k):
    """Why the k largest values of the descending ``xs`` (and the threshold X_(k+1)) leave
    the tail's shape unidentifiable, or "" when they do not: the k largest are all equal
    (for k = 1: X_(1) = X_(2)), or the k + 1 largest take only two distinct values, so that
    the excesses over X_(k+1) are one value and zeros.

    Examples
    --------
    >>> tie_reason(np.array([3.0, 3.0, 3.0, 1.0]), 2)
    "all 2 largest values are equal (ties): the tail's shape is not identifiable"
    >>> tie_reason(np.array([3.0, 2.0, 1.0, 0.0]), 2)
    ''
    """
    k = min(int(k), xs.size - 1)
    if xs[0] == xs[max(k - 1, 1)]:
        return f"all {max(k, 2)} largest values are equal (ties): the tail's shape is not identifiable"
    if k >= 2 and np.count_nonzero(xs[1 : k + 1] != xs[:k]) <= 1:
        return (f"the {k + 1} largest values take only 2 distinct values (ties): the tail's shape is "
                "not identifiable")
    return ""


def _binary_exponent(arr):
    """e with max |arr| < 2^e: scaling by 2^-e (``np.ldexp``) is exact and keeps sums and
    differences of the scaled values below 2n in magnitude."""
    top = float(np.max(np.abs(arr))) if arr.size else 0.0
    return math.frexp(top)[1]


def center(samples, how):
    """Subtract the sample's mean or median (or nothing) from every value.

    Centring shifts the sample. Hill-type estimators (Hill, the moment estimator) work on
    log X and are *not* shift-invariant, so their estimates change with the centring;
    the tail class (heavy or light: whether E[e^{sX}] is finite for some s > 0) does not,
    since it is a property of the tail that a shift cannot change. Pickands' estimator
    and peaks-over-threshold fits are shift-invariant.

    Parameters
    ----------
    samples : array_like
        One-dimensional array of finite real numbers.
    how : {"mean", "median", "none"}
        Which location to subtract.

    Returns
    -------
    numpy.ndarray
        ``samples - location`` as float64, in the input's order.

    Raises
    ------
    ValueError
        For an unknown ``how``, a sample that is not a finite 1-D array, or values so
        large that the centred sample overflows double precision.

    Examples
    --------
    >>> center([1.0, 2.0, 6.0], "median")
    array([-1.,  0.,  4.])
    """
    if how not in CENTRES:
        raise ValueError(f"`how` must be one of {', '.join(map(repr, CENTRES))}, got {how!r}")
    arr = _finite_vector(samples, "samples")
    if how == "none" or arr.size == 0:
        return arr.copy()
    # scale by a power of two (exact) so that summing or averaging cannot overflow
    e = _binary_exponent(arr)
    scaled = np.ldexp(arr, -e)
    loc = float(np.mean(scaled)) if how == "mean" else float(np.median(scaled))
    with np.errstate(over="ignore"):
        out = np.ldexp(scaled - loc, e)
    if not np.all(np.isfinite(out)):
        raise ValueError("`samples` spans more than double precision can hold once centred "
                         f"(values up to {float(np.max(np.abs(arr))):.3g})")
    return out
