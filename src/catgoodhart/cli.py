"""The ``catgoodhart`` command: maps subcommands to public functions and formats output.

Heavy modules are imported inside the handlers so that ``catgoodhart --help`` starts fast.
"""

import os
import sys

from catgoodhart import __version__
from catgoodhart._commandline import Parser, blocking_file, check_output, check_output_folder, write_problem
from catgoodhart._commandline import UsageError as _UsageError
from catgoodhart._commandline import count as _count
from catgoodhart._commandline import seed as _seed


def _cmd_distributions(args):
    from catgoodhart._validation import bound_text
    from catgoodhart.distributions import FAMILIES, spec_name
    from catgoodhart.distributions.spec import parameters

    rows = []
    for cls in FAMILIES:
        params = []
        for name, default in parameters(cls):
            domain = cls._domains.get(name)
            text = name if default is None else f"{name}={default:g}"
            if domain:
                text += f" ({bound_text(**domain)})"
            params.append(text)
        heavy = cls.heavy_tailed
        kind = ("heavy" if heavy else "light") if isinstance(heavy, bool) else "by shape"
        rows.append((spec_name(cls), ", ".join(params), kind, cls.tail_facts))
    widths = [max(len(r[i]) for r in [*rows, ("name", "parameters", "tail", "")]) for i in range(3)]
    print(f"{'name':<{widths[0]}}  {'parameters':<{widths[1]}}  {'tail':<{widths[2]}}  tail facts")
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    print("\nspec syntax: name:param=value,param=value   e.g. pareto:alpha=1.5,xm=1")
    return 0


def _cmd_sample(args):
    import numpy as np

    from catgoodhart.distributions import parse_spec

    if args.out is not None:
        if not args.out.endswith(".npy"):
            raise _UsageError(f"--out must name a .npy file, got {args.out!r}")
        check_output("--out", args.out, force=args.force)
    try:
        dist = parse_spec(args.spec)
        x = dist.sample(args.n, seed=args.seed)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    except MemoryError as e:  # under physical memory, but more than is free now
        from catgoodhart._validation import size_text

        raise _UsageError(f"-n {args.n}: not enough free memory for {size_text(8 * args.n)} of "
                          "samples") from e
    if args.out is None:
        np.savetxt(sys.stdout, x, fmt="%.17g")
        return 0
    from catgoodhart._files import write_atomically

    try:
        write_atomically(args.out, lambda f: np.save(f, x, allow_pickle=False), overwrite=args.force)
    except OSError as e:
        raise _UsageError(write_problem("--out", args.out, e)) from e
    print(f"wrote {len(x)} samples of {dist!r} to {args.out}", file=sys.stderr)
    return 0


def _format_value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cmd_check(args):
    import json

    from catgoodhart.theorems import Outcome, run_checks

    rows = run_checks(args.theorem, fast=args.fast)
    counts = {o: sum(row.outcome == o for row in rows) for o in Outcome}
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        colour = {Outcome.HOLDS: "green", Outcome.FAILS: "red", Outcome.DOES_NOT_APPLY: "yellow"}
        table = Table(title="Catastrophic Goodhart: numerical checks of Theorems 1-6", show_lines=True,
                      caption=f"{counts[Outcome.HOLDS]} hold, {counts[Outcome.FAILS]} fail, "
                              f"{counts[Outcome.DOES_NOT_APPLY]} do not apply (a hypothesis is not met, "
                              "so the theorem claims nothing)")
        for name in ("theorem", "case", "hypotheses met", "key numbers", "expected", "outcome"):
            table.add_column(name, overflow="fold")
        for row in rows:
            numbers = "\n".join(f"{k} = {_format_value(v)}" for k, v in row.values.items())
            outcome = f"[{colour[row.outcome]}]{row.outcome}[/{colour[row.outcome]}]"
            if row.outcome != Outcome.HOLDS:
                outcome += f"\n{escape(row.explanation)}"
            table.add_row(str(row.theorem), escape(f"{row.case}\n{row.setup}"),
                          _format_value(row.hypotheses_met), escape(numbers), escape(row.expected), outcome)
        Console().print(table)
    return 1 if counts[Outcome.FAILS] else 0


def _cmd_tails(args):
    import json

    from catgoodhart.tails.io import read_samples
    from catgoodhart.tails.report import tail_report

    if args.plot is not None:
        check_output("--plot", args.plot, force=args.force)
    try:
        loaded = read_samples(args.file, column=args.column, key=args.key,
                              drop_nonfinite=args.drop_nonfinite)
        report = tail_report(loaded.values)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    if loaded.dropped:
        print(f"dropped {loaded.dropped} NaN or infinite values from {loaded.source}", file=sys.stderr)
    if args.plot:
        from catgoodhart.tails.diagnostics import save_diagnostic_figure

        check_output("--plot", args.plot, force=args.force)  # again: the report took a while
        try:
            save_diagnostic_figure(loaded.values, args.plot, title=loaded.source,
                                   overwrite=args.force)
        except ValueError as e:
            raise _UsageError(str(e)) from e
        except OSError as e:
            raise _UsageError(write_problem("--plot", args.plot, e)) from e
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps({"source": loaded.source, "dropped": loaded.dropped, **report.to_dict()},
                         indent=2, ensure_ascii=False))
    else:
        print(f"{loaded.source}: {report.n} values")
        print(report.summary())
    return 0


def _cmd_figures(args):
    from catgoodhart._progress import progress_bar
    from catgoodhart.viz import FIGURES, FILES, make_figures

    names = [f for name in (args.only or FIGURES) for f in FILES.get(name, ())]
    check_output_folder("--out", args.out or "figures", names, force=args.force or args.out is None)
    with progress_bar(not args.quiet) as bar:
        task = bar.add_task("figures", total=len(args.only or FIGURES))

        def step(done, total, name):
            bar.update(task, completed=done, description=f"figure {name}")

        try:
            paths = make_figures(args.out or "figures", only=args.only, fast=args.fast, progress=step)
        except ValueError as e:
            raise _UsageError(str(e)) from e
        except OSError as e:
            raise _UsageError(write_problem("--out", args.out or "figures", e)) from e
    for path in paths:
        print(path)
    return 0


def _cmd_reproduce(args):
    from catgoodhart.reproduce import reproduce

    if args.report is not None:  # the default report is the repository's, rewritten on every run
        blocker = blocking_file(os.path.dirname(args.report) or ".")
        if blocker is not None:
            raise _UsageError(f"--report {args.report}: cannot be written: {blocker} is a file, not a folder")
        if os.path.isdir(args.report):
            raise _UsageError(f"--report {args.report}: cannot be written: is a folder, not a file")
        if os.path.lexists(args.report) and not args.force:
            raise _UsageError(write_problem("--report", args.report, FileExistsError()))
    if args.out is not None and not args.skip_figures:
        from catgoodhart.viz import FILES

        check_output_folder("--out", args.out, [f for files in FILES.values() for f in files],
                            force=args.force)
    try:
        result = reproduce(figures_dir=args.out, report=args.report, checks=args.checks,
                           figures=not args.skip_figures, fast=args.fast, progress=not args.quiet)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    except OSError as e:
        raise _UsageError(f"cannot write the figures or the report ({e})") from e
    width = max(len(o.name) for o in result.outcomes)
    for o in result.outcomes:
        print(f"{o.name:<{width}}  {o.verdict}")
    if result.figures:
        print(f"wrote {len(result.figures)} figure files")
    print(f"wrote {result.report}")
    for o in result.outcomes:
        if o.error:
            print(f"{o.name} raised:\n{o.error}", file=sys.stderr)
    return 1 if result.errors else 0


def build_parser():
    parser = Parser(
        prog="catgoodhart",
        description="Goodhart effects under KL regularization: exact theory checks and samplers.")
    parser.add_argument("--version", action="version", version=f"catgoodhart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("distributions", help="list every distribution, its parameters and tail facts")
    p.set_defaults(func=_cmd_distributions)

    p = sub.add_parser("sample", help="draw samples from a distribution spec")
    p.add_argument("spec", help="name:param=value,...  e.g. student_t:nu=3")
    p.add_argument("-n", type=_count, default=10, help="number of samples (default 10)")
    p.add_argument("--seed", type=_seed, default=None, help="integer seed (default: fresh entropy)")
    p.add_argument("--out", help="write a .npy file instead of printing one value a line")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("check", help="check Theorems 1-6 numerically (exit code 1 if a check fails)")
    p.add_argument("--theorem", type=int, action="append", choices=range(1, 7), metavar="N",
                   help="run only theorem N (1-6, the arXiv paper's numbering); repeat for several")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of the table")
    p.add_argument("--fast", action="store_true", help="smaller token trees and coarser grids")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("tails", help="is a sample's upper tail heavy or light? estimates and a verdict")
    p.add_argument("file", help=".npy, .npz, .csv, .tsv, or text with one number a line")
    p.add_argument("--column", help="column of a .csv/.tsv file (header name or 0-based index)")
    p.add_argument("--key", help="array of a .npz file")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--plot", metavar="OUT", help="write the 2x3 diagnostic figure (.png, .pdf, .svg)")
    p.add_argument("--force", action="store_true", help="overwrite --plot if it exists")
    p.add_argument("--drop-nonfinite", action="store_true",
                   help="drop NaN and infinite entries instead of refusing the file")
    p.set_defaults(func=_cmd_tails)

    p = sub.add_parser("figures", help="draw every figure and animation (PNG, GIF, MP4)")
    p.add_argument("--out", help="output folder (default figures/, whose figures are redrawn in place)")
    p.add_argument("--force", action="store_true", help="overwrite figure files already in --out")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="draw only this figure; repeat for several (names: see the README)")
    p.add_argument("--fast", action="store_true", help="fewer frames and points (a quick preview)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("reproduce", help="redraw every figure and check every paper claim (REPORT.md)")
    p.add_argument("--out", help="figure folder (default: the repository's figures/)")
    p.add_argument("--report", help="report file (default: the repository's paper_checks/REPORT.md, "
                                    "rewritten on every run)")
    p.add_argument("--checks", help="folder of check scripts (default: the repository's paper_checks/)")
    p.add_argument("--skip-figures", action="store_true", help="only run the paper checks")
    p.add_argument("--force", action="store_true", help="overwrite an existing --report or figures in --out")
    p.add_argument("--fast", action="store_true", help="figures at preview quality")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_reproduce)

    from catgoodhart.probe.cli import register as register_probe

    register_probe(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except _UsageError as e:
        print(f"catgoodhart {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of stdout went away (``| head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except MemoryError:
        print(f"catgoodhart {args.command}: error: not enough free memory; ask for less", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # files are written atomically: nothing half-written is left
        print(f"catgoodhart {args.command}: interrupted", file=sys.stderr)
        return 130
