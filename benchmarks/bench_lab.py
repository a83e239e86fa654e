"""The overoptimization lab: the small preset's wall time, and exact best-of-n on a pool against
the unbiased estimator of Gao et al. (Nakano et al. 2021, App. I).

Run: python benchmarks/bench_lab.py [--repeat 2] [--pool 1000000] [--skip-preset]

(a) ``catgoodhart lab run --preset small`` into a temporary folder (every cell, cold process state
for the cells; torch and numba already imported).
(b) A pool of 10^6 responses (gold ~ N(0, 1), proxy = gold + N(0, 1)) and 100 values of n from 1 to
6·10^4: the exact route (``optimizers.best_of_n`` on ``ProxyModel.from_pool``: gold, proxy and exact
KL of best-of-n drawn with replacement from the pool), cold (sorting the pool) and warm; against the
baseline, the unbiased estimator of the best of n drawn without replacement, Σ_i C(i-1, n-1)/C(M, n)
g_(i) over the responses sorted by proxy, as a numpy loop over n with log-gamma weights. The two
estimate the same population quantity; their difference on the pool is reported, and each route's
error against 50-digit mpmath on a pool of 2,000 (where mpmath is affordable).
"""

import argparse
import math
import shutil
import tempfile
import time

import numpy as np
from _timing import best_time
from scipy.special import gammaln

from catgoodhart.optimizers import ProxyModel, best_of_n


def nakano(proxy, gold, ns):
    """The unbiased estimator: E[max of n without replacement] = Σ_i C(i-1, n-1)/C(M, n) g_(i)."""
    return nakano_sorted(gold[np.argsort(proxy, kind="stable")], ns)


def nakano_sorted(g, ns):
    """``nakano`` on the gold scores already sorted by proxy."""
    m = g.size
    i = np.arange(1, m + 1, dtype=float)
    out = np.empty(len(ns))
    for k, n in enumerate(ns):
        log_w = np.full(m, -np.inf)
        ok = i >= n
        log_w[ok] = (gammaln(i[ok]) - gammaln(n) - gammaln(i[ok] - n + 1)
                     - (gammaln(m + 1) - gammaln(n + 1) - gammaln(m - n + 1)))
        out[k] = np.exp(log_w) @ g
    return out


def _mpmath_references(proxy, gold, ns):
    """(with replacement, without replacement) gold means at 50 digits."""
    import mpmath

    mpmath.mp.dps = 50
    g = [mpmath.mpf(float(x)) for x in gold[np.argsort(proxy, kind="stable")]]
    m = len(g)
    exact, unbiased = [], []
    for n in ns:
        n = int(n)
        exact.append(float(mpmath.fsum(((mpmath.mpf(j) / m) ** n - (mpmath.mpf(j - 1) / m) ** n) * g[j - 1]
                                       for j in range(1, m + 1))))
        total = mpmath.binomial(m, n)
        unbiased.append(float(mpmath.fsum(mpmath.binomial(j - 1, n - 1) / total * g[j - 1]
                                          for j in range(n, m + 1))))
    return np.array(exact), np.array(unbiased)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pool", type=int, default=1_000_000)
    parser.add_argument("--skip-preset", action="store_true")
    args = parser.parse_args()

    if not args.skip_preset:
        from catgoodhart.lab import preset, run_lab

        folder = tempfile.mkdtemp(prefix="bench-lab-")
        try:
            start = time.perf_counter()
            run_lab(preset("small"), f"{folder}/run")
            print(f"(a) lab run --preset small: {time.perf_counter() - start:.1f} s")
        finally:
            shutil.rmtree(folder)

    rng = np.random.default_rng(0)
    gold = rng.standard_normal(args.pool)
    proxy = gold + rng.standard_normal(args.pool)
    ns = np.unique(np.round(np.geomspace(1, 6e4, 115)))  # 100 distinct integers

    best_of_n(ProxyModel.from_pool(proxy[:1000], gold[:1000]), n=ns[:2])  # compiled (numba's cache)
    start = time.perf_counter()
    model = ProxyModel.from_pool(proxy, gold)
    best_of_n(model, n=ns, probabilities=False)
    cold = time.perf_counter() - start
    warm, ours = best_time(lambda: best_of_n(model, n=ns, probabilities=False).mean_utility, args.repeat)
    start = time.perf_counter()
    nakano(proxy, gold, ns)
    base_cold = time.perf_counter() - start
    sorted_gold = gold[np.argsort(proxy, kind="stable")]
    base, theirs = best_time(lambda: nakano_sorted(sorted_gold, ns), args.repeat)
    print(f"(b) pool of {args.pool}, {ns.size} integers n from 1 to {ns.max():.0f}, log-spaced")
    print(f"    exact best-of-n (gold, proxy and KL): {cold:.2f} s cold (sorting the pool included), "
          f"{warm:.2f} s warm (the pool sorted)")
    print(f"    unbiased estimator, numpy loop (gold only): {base_cold:.2f} s cold (sorting included), "
          f"{base:.2f} s warm")
    print(f"    ratio baseline / exact: {base_cold / cold:.1f} cold, {base / warm:.1f} warm")
    print(f"    max |exact - unbiased| over n: {np.max(np.abs(ours - theirs)):.3g} "
          "(with vs without replacement)")

    small = 2000
    sub_proxy, sub_gold = proxy[:small], gold[:small]
    check_n = np.array([2.0, 30.0, 1000.0])
    ref_exact, ref_unbiased = _mpmath_references(sub_proxy, sub_gold, check_n)
    sub_model = ProxyModel.from_pool(sub_proxy, sub_gold)
    got_exact = best_of_n(sub_model, n=check_n, probabilities=False).mean_utility
    got_unbiased = nakano(sub_proxy, sub_gold, check_n)
    scale = float(np.max(np.abs(sub_gold)))
    err = np.max(np.abs(got_exact - ref_exact)) / scale
    err_b = np.max(np.abs(got_unbiased - ref_unbiased)) / scale
    shown = ", ".join(f"{n:g}" for n in check_n)
    print(f"    accuracy against 50-digit mpmath on {small} responses, n = {shown}: "
          f"exact {err:.2g}, unbiased estimator {err_b:.2g} (relative to max |gold|)")
    if not math.isfinite(err):
        raise SystemExit("exact route failed")


if __name__ == "__main__":
    main()
