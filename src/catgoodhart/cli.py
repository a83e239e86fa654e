"""The ``catgoodhart`` command: maps subcommands to public functions and formats output.

Heavy modules are imported inside the handlers so that ``catgoodhart --help`` starts fast.
"""

import argparse
import math
import os
import sys

from catgoodhart import __version__


class _UsageError(Exception):
    """A user mistake: reported as one line on stderr, exit code 2."""


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

    try:
        dist = parse_spec(args.spec)
        x = dist.sample(args.n, seed=args.seed)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    if args.out:
        out = os.fspath(args.out)
        if not out.endswith(".npy"):
            raise _UsageError(f"--out must name a .npy file, got {out!r}")
        tmp = out + ".partial.npy"
        np.save(tmp, x)
        os.replace(tmp, out)  # nothing is overwritten unless the new file is complete
        print(f"wrote {len(x)} samples of {dist!r} to {out}", file=sys.stderr)
    else:
        np.savetxt(sys.stdout, x, fmt="%.17g")
    return 0


def _format_value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cmd_check(args):
    import json

    from catgoodhart.theorems import run_checks

    rows = run_checks(args.theorem, fast=args.fast)
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Catastrophic Goodhart: numerical checks of Theorems 1-6", show_lines=True)
        for name in ("theorem", "case", "hypotheses met", "key numbers", "expected", "result"):
            table.add_column(name, overflow="fold")
        for row in rows:
            numbers = "\n".join(f"{k} = {_format_value(v)}" for k, v in row.values.items())
            table.add_row(str(row.theorem), f"{row.case}\n{row.setup}", _format_value(row.hypotheses_met),
                          numbers, row.expected,
                          "[green]PASS[/green]" if row.passed else f"[red]FAIL[/red]\n{row.explanation}")
        Console().print(table)
    return 0 if all(row.passed for row in rows) else 1


def _cmd_tails(args):
    import json

    from catgoodhart.tails.io import read_samples
    from catgoodhart.tails.report import tail_report

    try:
        loaded = read_samples(args.file, column=args.column, key=args.key,
                              drop_nonfinite=args.drop_nonfinite)
        report = tail_report(loaded.values, center=args.center)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    if loaded.dropped:
        print(f"dropped {loaded.dropped} NaN or infinite values from {loaded.source}", file=sys.stderr)
    if args.plot:
        from catgoodhart.tails.diagnostics import save_diagnostic_figure

        try:
            save_diagnostic_figure(loaded.values, args.plot, center=args.center, title=loaded.source)
        except ValueError as e:
            raise _UsageError(str(e)) from e
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
    from catgoodhart.viz import FIGURES, make_figures

    with progress_bar(not args.quiet) as bar:
        task = bar.add_task("figures", total=len(args.only or FIGURES))

        def step(done, total, name):
            bar.update(task, completed=done, description=f"figure {name}")

        try:
            paths = make_figures(args.out, only=args.only, fast=args.fast, progress=step)
        except ValueError as e:
            raise _UsageError(str(e)) from e
    for path in paths:
        print(path)
    return 0


def _cmd_reproduce(args):
    from catgoodhart.reproduce import reproduce

    try:
        result = reproduce(figures_dir=args.out, report=args.report, checks=args.checks,
                           figures=not args.skip_figures, fast=args.fast, progress=not args.quiet)
    except ValueError as e:
        raise _UsageError(str(e)) from e
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


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be an integer >= 0, got {text!r}")
    return value


def _count(text):
    """An integer >= 0, also written like 1e6."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value >= 0 and value.is_integer()):
        raise argparse.ArgumentTypeError(f"n must be an integer >= 0, got {text!r}")
    return int(value)


def build_parser():
    parser = argparse.ArgumentParser(
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
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("check", help="check Theorems 1-6 numerically (exit code 0 only if all pass)")
    p.add_argument("--theorem", type=int, action="append", choices=range(1, 7), metavar="N",
                   help="run only theorem N (1-6); repeat for several")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of the table")
    p.add_argument("--fast", action="store_true", help="smaller token trees and coarser grids")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("tails", help="is a sample's upper tail heavy or light? estimates and a verdict")
    p.add_argument("file", help=".npy, .npz, .csv, .tsv, or text with one number a line")
    p.add_argument("--column", help="column of a .csv/.tsv file (header name or 0-based index)")
    p.add_argument("--key", help="array of a .npz file")
    p.add_argument("--center", choices=("none", "median", "mean"), default="none",
                   help="location subtracted before estimating (default none)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--plot", metavar="OUT", help="write the 2x3 diagnostic figure (.png, .pdf, .svg)")
    p.add_argument("--drop-nonfinite", action="store_true",
                   help="drop NaN and infinite entries instead of refusing the file")
    p.set_defaults(func=_cmd_tails)

    p = sub.add_parser("figures", help="draw every figure and animation (PNG, GIF, MP4)")
    p.add_argument("--out", default="figures", help="output folder (default figures/)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="draw only this figure; repeat for several (names: see the README)")
    p.add_argument("--fast", action="store_true", help="fewer frames and points (a quick preview)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("reproduce", help="redraw every figure and check every paper claim (REPORT.md)")
    p.add_argument("--out", help="figure folder (default: the repository's figures/)")
    p.add_argument("--report", help="report file (default: the repository's paper_checks/REPORT.md)")
    p.add_argument("--checks", help="folder of check scripts (default: the repository's paper_checks/)")
    p.add_argument("--skip-figures", action="store_true", help="only run the paper checks")
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
