"""Sampler throughput: catgoodhart's numba kernels against numpy's Generator (PCG64).

Run: python benchmarks/bench_samplers.py [-n 10000000] [--repeat 5]

For each law that numpy also samples, both draw n variates side by side in one run
(best of --repeat, allocation of the output included on both sides); catgoodhart is timed
single-threaded and with every numba thread, numpy is single-threaded by design.
"""

import argparse
import time

import numba
import numpy as np

from catgoodhart import distributions as D

CASES = [  # (label, catgoodhart distribution, numpy call)
    ("normal", D.Normal(), lambda g, n: g.standard_normal(n)),
    ("exponential", D.Exponential(), lambda g, n: g.standard_exponential(n)),
    ("standard_t(3)", D.StudentT(nu=3), lambda g, n: g.standard_t(3, n)),
    ("lognormal(0,1)", D.LogNormal(), lambda g, n: g.lognormal(0.0, 1.0, n)),
    ("pareto(1.5)", D.Pareto(alpha=1.5), lambda g, n: g.pareto(1.5, n)),
    ("weibull(1.5)", D.Weibull(shape=1.5), lambda g, n: g.weibull(1.5, n)),
    ("gumbel", D.Gumbel(), lambda g, n: g.gumbel(0.0, 1.0, n)),
    ("laplace", D.Laplace(), lambda g, n: g.laplace(0.0, 1.0, n)),
]


def best_time(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, threads = args.n, numba.config.NUMBA_NUM_THREADS
    gen = np.random.default_rng(0)
    print(f"n = {n:,}; numba threads available: {threads}; numpy {np.__version__}, numba {numba.__version__}")
    print(f"{'law':<16}{'numpy M/s':>11}{'cg 1 thr M/s':>14}{'ratio':>7}"
          f"{f'cg {threads} thr M/s':>15}{'ratio':>7}")
    for label, dist, numpy_call in CASES:
        dist.sample(1000, seed=0)  # compile or load the cached kernel
        t_numpy = best_time(lambda f=numpy_call: f(gen, n), args.repeat)
        numba.set_num_threads(1)
        t_one = best_time(lambda d=dist: d.sample(n, seed=1), args.repeat)
        numba.set_num_threads(threads)
        t_all = best_time(lambda d=dist: d.sample(n, seed=1), args.repeat)
        print(f"{label:<16}{n / t_numpy / 1e6:>11.1f}{n / t_one / 1e6:>14.1f}{t_numpy / t_one:>7.2f}"
              f"{n / t_all / 1e6:>15.1f}{t_numpy / t_all:>7.2f}")


if __name__ == "__main__":
    main()
