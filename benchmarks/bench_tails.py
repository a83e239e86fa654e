"""Tail estimation: catgoodhart.tails against the `powerlaw` and `tailestim` packages.

Run: python benchmarks/bench_tails.py [--sizes 10000 100000 1000000] [--timeout 300]

The sample: the positive values of Student-t(3) draws (seed 0). For each size,
(a) ``tail_report`` (every estimator and the verdict) and ``powerlaw_fit`` alone;
(b) ``powerlaw.Fit`` (KS-chosen x_min; its α range widened to [1, 20], since its default
(0, 3) excludes the t(3) tail, α ≈ 4) with its likelihood-ratio comparisons against the
exponential and the lognormal; (c) ``tailestim.HillEstimator`` with its double bootstrap.
Each baseline runs in a subprocess capped at ``--timeout`` seconds ("timeout" if it does not
finish). Printed: seconds, the ratio to ``tail_report``, and the tail estimates side by side
(power-law density exponent α = 1 + 1/γ).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from catgoodhart.tails.evi import hill
from catgoodhart.tails.powerlaw import powerlaw_fit
from catgoodhart.tails.report import tail_report

_POWERLAW = """
import json, sys, time, warnings
import numpy as np
import powerlaw
x = np.load(sys.argv[1])
warnings.simplefilter("ignore")
start = time.perf_counter()
fit = powerlaw.Fit(x, parameter_ranges={"alpha": [1, 20]}, verbose=False)
r_exp, p_exp = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
r_ln, p_ln = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
print(json.dumps({"seconds": time.perf_counter() - start, "alpha": fit.power_law.alpha,
                  "xmin": fit.power_law.xmin, "p_exponential": p_exp, "p_lognormal": p_ln}))
"""

_TAILESTIM = """
import json, sys, time
import numpy as np
from tailestim import HillEstimator
x = np.load(sys.argv[1])
start = time.perf_counter()
est = HillEstimator(bootstrap=True, base_seed=0)
est.fit(x)
result = est.get_result()
print(json.dumps({"seconds": time.perf_counter() - start, "exponent": float(result.gamma_)}))
"""


def run_baseline(code, path, timeout):
    try:
        done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return f"failed: {lines[-1] if lines else done.returncode}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    powerlaw_fit(rng.standard_t(3, 1000))  # compile and cache the numba scan
    for n in args.sizes:
        draws = rng.standard_t(3, size=2 * n)
        x = draws[draws > 0][:n]
        start = time.perf_counter()
        report = tail_report(x)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        fit = powerlaw_fit(x)
        ours_fit = time.perf_counter() - start
        our_hill = hill(x)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.npy")
            np.save(path, x)
            pl = run_baseline(_POWERLAW, path, args.timeout)
            te = run_baseline(_TAILESTIM, path, args.timeout)
        print(f"n = {n:,} positive Student-t(3) values; verdict: {report.verdict}")
        print(f"  tail_report (all estimators)  {ours:8.2f} s")
        print(f"  powerlaw_fit                  {ours_fit:8.3f} s   α = {fit.alpha:.4f}, "
              f"x_min = {fit.xmin:.4g}")
        if isinstance(pl, dict):
            print(f"  powerlaw.Fit + 2 comparisons  {pl['seconds']:8.2f} s   α = {pl['alpha']:.4f}, "
                  f"x_min = {pl['xmin']:.4g}   ratio to tail_report {pl['seconds'] / ours:,.0f}x, "
                  f"to powerlaw_fit {pl['seconds'] / ours_fit:,.0f}x")
        else:
            print(f"  powerlaw.Fit + 2 comparisons  {pl} (cap {args.timeout:g} s: ratio > "
                  f"{args.timeout / ours:,.0f}x)")
        if isinstance(te, dict):
            ours_exponent = 1 + 1 / our_hill.gamma
            ours_se = our_hill.standard_error / our_hill.gamma**2
            print(f"  tailestim HillEstimator       {te['seconds']:8.2f} s   "
                  f"α = 1 + 1/γ = {te['exponent']:.4f} "
                  f"(ours, Hill at k = {our_hill.k}: {ours_exponent:.4f} ± {ours_se:.4f})   "
                  f"ratio to tail_report {te['seconds'] / ours:,.1f}x")
        else:
            print(f"  tailestim HillEstimator       {te}")


if __name__ == "__main__":
    main()
