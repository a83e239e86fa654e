"""Timing shared by the benchmark scripts."""

import time


def best_time(fn, repeat):
    """(best wall-clock seconds over ``repeat`` calls, the last result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out
