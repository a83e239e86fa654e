"""``catgoodhart sweep``: the toolkit's sweeps on Dask (``catgoodhart lab run`` is the third).

    catgoodhart sweep calibration [--seeds 100] [--sizes 1000 10000 100000] [--seed 0]
        [--table FILE] [--run DIR [--resume]] [--scheduler ADDRESS | --workers N | --no-dask]
    catgoodhart sweep bon-grid --run DIR [--n N ...] [--trials 100] [--seed 0] [--resume] [--json]
        [--scheduler ADDRESS | --workers N | --no-dask]
"""

import json
import os
import sys

from catgoodhart._commandline import UsageError as error
from catgoodhart._commandline import add_engine_options, command_group, engine, write_problem
from catgoodhart._commandline import positive as _positive
from catgoodhart._commandline import seed as _seed


def register(subparsers):
    """Add ``sweep`` and its sub-subcommands to an argparse ``subparsers``."""
    sub = command_group(
        subparsers, "sweep", help="sweeps of independent cells on Dask: tail calibration, best-of-n grid",
        description="Run a sweep's cells on a Dask LocalCluster (default, one worker per core), an "
                    "existing scheduler (--scheduler or DASK_SCHEDULER_ADDRESS) or in this process "
                    "(--no-dask). Each cell is seeded by its own child of SeedSequence(--seed) and written "
                    "to the run folder when it finishes; --resume skips finished cells.")

    p = sub.add_parser("calibration",
                       help="tail_report's verdicts and interval coverage on laws of known class")
    p.add_argument("--seeds", type=_positive, default=100, help="samples per law and size (default 100)")
    p.add_argument("--sizes", type=_positive, nargs="+", default=[1_000, 10_000, 100_000],
                   help="sample sizes, each >= 50 (default 1000 10000 100000)")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--table", default=os.path.join("paper_checks", "tail_calibration.md"),
                   help="the Markdown table to write (default paper_checks/tail_calibration.md)")
    p.add_argument("--run", metavar="DIR",
                   help="keep the cells in this run folder (default: a temporary one)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run")
    add_engine_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_calibration)

    p = sub.add_parser("bon-grid", help="the best-of-n grid of Kwa et al. (exact and Monte Carlo)")
    p.add_argument("--run", required=True, metavar="DIR", help="run folder to create (or --resume)")
    p.add_argument("--n", type=_positive, nargs="+", default=None,
                   help="values of n (default 9 from 1 to 4^8, log-spaced)")
    p.add_argument("--trials", type=_positive, default=100, help="Monte Carlo draws per n (default 100)")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run")
    add_engine_options(p)
    p.add_argument("--json", action="store_true", help="print the grid as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_bon_grid)


def _cmd_calibration(args):
    from catgoodhart._files import write_text_atomically
    from catgoodhart.tails import calibrate

    if any(n < 50 for n in args.sizes):
        raise error(f"--sizes: every size must be >= 50, got {' '.join(map(str, args.sizes))}")
    if args.resume and args.run is None:
        raise error("--resume needs --run DIR (the run to continue)")
    scheduler, workers = engine(args)
    try:
        table = calibrate.calibrate(args.seeds, args.sizes, out=args.run, seed=args.seed, resume=args.resume,
                                    scheduler=scheduler, workers=workers, quiet=args.quiet)
    except (ValueError, ImportError) as e:
        raise error(str(e)) from e
    text = calibrate.markdown(table, args.seeds, args.sizes, args.seed)
    try:
        write_text_atomically(args.table, text)  # a finished table or none: nothing half-written
    except OSError as e:
        raise error(write_problem("--table", args.table, e)) from e
    sys.stdout.write(text)
    return 0


def _cmd_bon_grid(args):
    import numpy as np

    from catgoodhart import bon
    from catgoodhart.sweep import load_results, run_sweep

    n = args.n or [int(k) for k in np.round(np.geomspace(1, 4**8, 9))]
    scheduler, workers = engine(args)
    try:
        result = run_sweep(bon.grid_cell, bon.grid_cells(), args.run, kind="bon-grid", seed=args.seed,
                           settings={"n": n, "trials": args.trials}, resume=args.resume, scheduler=scheduler,
                           workers=workers, quiet=args.quiet)
        grid = bon.assemble_grid(load_results(args.run), n, args.trials)
    except (ValueError, ImportError) as e:
        raise error(str(e)) from e
    if args.json:
        print(json.dumps(grid.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"{result.path}: {result.cells} cells ({result.cells_run} this run, {result.seconds:.1f} s, "
          f"{result.engine}); E_bon[V] exact, Monte Carlo ± standard error ({args.trials} draws per n)")
    for i, utility in enumerate(grid.utilities):
        for j, err in enumerate(grid.errors):
            print(f"utility {utility}, error {err}")
            for k, count in enumerate(grid.n):
                print(f"  n = {count:>6}: {grid.mean_utility[i, j, k]:9.4f}   "
                      f"{grid.mc_mean_utility[i, j, k]:9.4f} ± {grid.mc_standard_error[i, j, k]:.4f}")
    return 0
