"""The tail-verdict calibration sweep in this process against a Dask LocalCluster.

Run: python benchmarks/bench_sweep.py [--seeds 10] [--sizes 1000 10000 100000] [--workers 2]
                                      [--repeat 2]

The same cells (every law of ``catgoodhart.tails.calibrate`` at each size, ``--seeds`` samples
each) run twice into temporary folders: in this process (``workers=1``), then on a LocalCluster
of ``--workers`` single-threaded worker processes started and stopped by the sweep (its start-up
counted), ``--repeat`` times in alternating order; the best time of each is kept (this machine's
timings vary from run to run). Printed: both wall times, their ratio, and whether every cell's
arrays are identical.
"""

import argparse
import shutil
import tempfile
import time

import numpy as np

from catgoodhart.sweep import load_results, run_sweep
from catgoodhart.tails import calibrate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cells = calibrate.calibration_cells(args.seeds, args.sizes)
    settings = {"seeds": args.seeds, "sizes": args.sizes}
    folder = tempfile.mkdtemp(prefix="bench-sweep-")
    try:
        calibrate.calibration_cell(cells[0], np.random.SeedSequence(0))  # compiled (numba's cache)
        engines = [("in-process", 1), (f"LocalCluster, {args.workers} workers", args.workers)]
        seconds = {name: float("inf") for name, _ in engines}
        for r in range(args.repeat):
            for name, workers in engines[::-1] if r % 2 else engines:
                shutil.rmtree(f"{folder}/{workers}", ignore_errors=True)
                start = time.perf_counter()
                run_sweep(calibrate.calibration_cell, cells, f"{folder}/{workers}", kind="tail-calibration",
                          seed=0, settings=settings, workers=workers)
                seconds[name] = min(seconds[name], time.perf_counter() - start)
        same = all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")
                   for a, b in zip(load_results(f"{folder}/1"), load_results(f"{folder}/{args.workers}"),
                                   strict=True) for k in a)
    finally:
        shutil.rmtree(folder)
    (local, t_local), (cluster, t_cluster) = seconds.items()
    print(f"calibration sweep: {len(cells)} samples ({args.seeds} per law and size, sizes "
          f"{' '.join(map(str, args.sizes))})")
    print(f"  {local}: {t_local:.1f} s (best of {args.repeat})")
    print(f"  {cluster}: {t_cluster:.1f} s (start-up included; best of {args.repeat})")
    print(f"  ratio: {t_local / t_cluster:.2f}; identical results: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
