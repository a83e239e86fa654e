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


_KL_GRID = (1e-3, 10.0, 50)  # frontier --kl by default: MIN MAX N (nats, log-spaced)
_MAX_KL_POINTS = 10_000
_POOL_SUFFIXES = (".csv", ".tsv", ".npz", ".json", ".parquet")


def _kl_grid(values):
    """The --kl MIN MAX N triple as a log-spaced grid; a UsageError naming what is wrong."""
    import argparse
    import math

    import numpy as np

    if values is None:
        low, high, n = _KL_GRID
    else:
        bounds = []
        for name, text in zip(("MIN", "MAX"), values[:2], strict=True):
            try:
                bounds.append(float(text))
            except ValueError:
                bounds.append(math.nan)
            if not (math.isfinite(bounds[-1]) and bounds[-1] > 0):
                raise _UsageError(f"--kl: {name} must be a finite number of nats > 0, got {text!r}")
        low, high = bounds
        if low > high:
            raise _UsageError(f"--kl: MIN must be <= MAX, got MIN {values[0]} and MAX {values[1]}")
        try:
            n = _count(values[2])
        except argparse.ArgumentTypeError:
            n = 0
        if not 1 <= n <= _MAX_KL_POINTS:
            raise _UsageError(f"--kl: N must be an integer from 1 to {_MAX_KL_POINTS}, got {values[2]!r}")
    return np.geomspace(low, high, n)


def _method_names(text):
    from catgoodhart.optimizers.frontier import DEFAULT_METHODS, METHODS

    if text is None:
        return list(DEFAULT_METHODS)
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if name not in METHODS:
            shown = f"unknown method {name!r}" if name else "an empty method name"
            raise _UsageError(f"--methods: {shown}; known: {', '.join(METHODS)}")
        if names.count(name) > 1:
            raise _UsageError(f"--methods: {name!r} given twice")
    return names


def _read_json_column(path, column):
    """``column`` of a JSON file: an object of arrays ({"proxy": [...], ...}) or a list of
    records ([{"proxy": 1.0, ...}, ...])."""
    import json
    import math

    import numpy as np

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot be read ({type(e).__name__}: {e})") from e
    source = f"{path}[{column}]"
    if isinstance(data, dict):
        if column not in data:
            raise ValueError(f"{path}: has no column {column!r}; its columns: {', '.join(data) or 'none'}")
        cells = data[column]
        if not isinstance(cells, list):
            raise ValueError(f"{source}: must be a list of numbers, got {type(cells).__name__}")
    elif isinstance(data, list) and all(isinstance(row, dict) for row in data):
        missing = next((i for i, row in enumerate(data) if column not in row), None)
        if missing is not None:
            keys = ", ".join(data[missing]) or "none"
            raise ValueError(f"{path}: record {missing} has no column {column!r}; its columns: {keys}")
        cells = [row[column] for row in data]
    else:
        raise ValueError(f"{path}: must hold an object of columns ({{\"name\": [numbers], ...}}) or a "
                         "list of records ([{\"name\": number, ...}, ...])")
    values = np.empty(len(cells))
    for i, cell in enumerate(cells):
        if isinstance(cell, bool) or not isinstance(cell, (int, float)):
            raise ValueError(f"{source}: entry {i} is not a number: {json.dumps(cell)[:40]}")
        try:
            values[i] = float(cell)
        except OverflowError:  # an integer beyond any float
            values[i] = math.inf
    return _finite_column(values, source), source


def _finite_column(values, source, missing="NaN or infinite"):
    """``values``, or a ``ValueError`` naming ``source`` if it is empty or not all finite."""
    import numpy as np

    if values.size == 0:
        raise ValueError(f"{source}: contains no values")
    bad = int(np.sum(~np.isfinite(values)))
    if bad:
        raise ValueError(f"{source}: {bad} of {values.size} values are {missing}")
    return values


def _read_parquet_column(path, column):
    """``column`` of a Parquet file (needs pyarrow: pip install pyarrow)."""
    import numpy as np

    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise ValueError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow, or "
                         "pip install -e '.[parquet]')") from e
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        names = pq.read_schema(path).names
        data = pq.read_table(path, columns=[column]).column(column) if column in names else None
    except Exception as e:  # pyarrow's errors for damaged files are its own classes
        raise ValueError(f"{path}: not a readable Parquet file ({type(e).__name__}: {e})") from e
    if data is None:
        raise ValueError(f"{path}: has no column {column!r}; its columns: {', '.join(names) or 'none'}")
    source = f"{path}[{column}]"
    try:
        values = np.asarray(data.to_numpy(zero_copy_only=False), dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{source}: not a column of numbers ({data.type})") from e
    return _finite_column(values, source, "missing, NaN or infinite"), source


def _read_pool_column(path, column):
    """(values, source) of one named column of a pool file; every value must be finite, since
    the columns are matched row by row."""
    from catgoodhart.tails.io import read_samples

    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".parquet":
        return _read_parquet_column(path, column)
    if suffix == ".json":
        if not os.path.isfile(path):
            raise ValueError(f"{path}: no such file")
        return _read_json_column(path, column)
    if suffix == ".npz":
        loaded = read_samples(path, key=column, drop_nonfinite=True)
    else:
        loaded = read_samples(path, column=column, drop_nonfinite=True)
    if loaded.dropped:
        raise ValueError(f"{loaded.source}: {loaded.dropped} values are empty, NaN or infinite; every "
                         "response needs a finite number in every column")
    return loaded.values, loaded.source


def _frontier_model(args):
    """(ProxyModel, one line describing it) from --error/--utility or --pool and its columns."""
    import numpy as np

    from catgoodhart.optimizers import ProxyModel

    laws = [o for o, v in (("--error", args.error), ("--utility", args.utility)) if v is not None]
    pool = [o for o, v in (("--pool", args.pool), ("--proxy", args.proxy),
                           ("--utility-column", args.utility_column), ("--weights", args.weights))
            if v is not None]
    if laws and pool:
        raise _UsageError(f"{' and '.join(laws)} cannot be combined with {' and '.join(pool)}: give the "
                          "laws (--error SPEC --utility SPEC) or a pool (--pool FILE --proxy COL "
                          "--utility-column COL), not both")
    if not laws and not pool:
        raise _UsageError("give the model: --error SPEC --utility SPEC, or --pool FILE --proxy COL "
                          "--utility-column COL")
    if laws:
        from catgoodhart.distributions import parse_spec

        if len(laws) == 1:
            other = "--utility" if laws[0] == "--error" else "--error"
            raise _UsageError(f"{laws[0]} needs {other} SPEC too")
        dists = {}
        for option, spec in (("--error", args.error), ("--utility", args.utility)):
            try:
                dists[option] = parse_spec(spec)
            except ValueError as e:
                raise _UsageError(f"{option} {spec}: {e}") from e
        try:
            model = ProxyModel(dists["--error"], dists["--utility"])
        except ValueError as e:
            raise _UsageError(str(e)) from e
        return model, f"U = X + V, error X ~ {dists['--error']!r}, utility V ~ {dists['--utility']!r}"
    missing = [o for o in ("--pool", "--proxy", "--utility-column") if o not in pool]
    if missing:
        raise _UsageError(f"{pool[0]} needs {' and '.join(missing)} too (a pool: --pool FILE --proxy COL "
                          "--utility-column COL)")
    if os.path.splitext(args.pool)[1].lower() not in _POOL_SUFFIXES:
        raise _UsageError(f"--pool {args.pool}: must be a .csv, .tsv, .npz, .json or .parquet file, whose "
                          "columns have names")
    columns = {}
    for option, column in (("--proxy", args.proxy), ("--utility-column", args.utility_column),
                           ("--weights", args.weights)):
        if column is None:
            continue
        try:
            values, source = _read_pool_column(args.pool, column)
        except ValueError as e:
            raise _UsageError(f"{option} {column}: {e}") from e
        n = columns["--proxy"].size if columns else values.size
        if values.size != n:
            raise _UsageError(f"{option} {column}: {source} has {values.size} values but the --proxy "
                              f"column has {n}; a pool needs one value per response in each column")
        columns[option] = values
    weights = columns.get("--weights")
    if weights is not None and (np.any(weights < 0) or not weights.sum() > 0):
        raise _UsageError(f"--weights {args.weights}: weights must be >= 0 and not all 0")
    try:
        model = ProxyModel.from_pool(columns["--proxy"], columns["--utility-column"], weights)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    text = (f"pool of {columns['--proxy'].size} responses in {args.pool}: proxy U = {args.proxy}, "
            f"utility V = {args.utility_column}")
    return model, text + (f", weights {args.weights}" if args.weights else "")


def _number(value):
    return f"{value:.4g}"


def _frontier_table(result, model, description):
    """The frontier as text: one row per KL value, one column of E_π[V] per method, and why
    each nan is there."""
    import math

    import numpy as np

    lines = [description]
    if not model.continuous:  # the largest KL: all mass on the top proxy value
        lines[0] += f"; every policy on it has KL(π‖π0) <= {_number(-math.log(model.mass[-1]))} nats"
    base = model.mean_utility
    base = f"; under the base policy π0, E[V] = {_number(base)}" if math.isfinite(base) else ""
    lines.append(f"rows: KL(π‖π0) in nats; columns: E_π[V] (true utility) of each method at that KL{base}")
    head = ["KL [nats]", *result.methods]
    rows = [[_number(kl), *(_number(result.mean_utility[m][i]) for m in result.methods)]
            for i, kl in enumerate(result.target)]
    widths = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]
    lines.append("  ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    lines.extend("  ".join(f"{c:>{w}}" for c, w in zip(r, widths, strict=True)) for r in rows)
    notes = []
    for name in result.methods:
        missing = np.isnan(result.mean_utility[name])
        if not missing.any():
            continue
        reasons = np.asarray(result.reason[name], dtype=object)[missing]
        kls = result.target[missing]
        for reason in dict.fromkeys(reasons):
            at = kls[reasons == reason]
            where = (f"KL {_number(at[0])}" if at.size == 1 else
                     f"{at.size} KL values from {_number(at.min())} to {_number(at.max())}")
            notes.append(f"  {name} ({where}): {reason}")
    if notes:
        lines.append("nan: the method has no policy at that KL:")
        lines.extend(notes)
    options = "; ".join(f"{name} " + ", ".join(f"{k}={_number(v) if isinstance(v, float) else v}"
                                                for k, v in opts.items())
                        for name, opts in result.options.items() if opts)
    if options:
        lines.append(f"options: {options}")
    return "\n".join(lines)


def _save_frontier_plot(result, description, path, *, overwrite):
    from catgoodhart._files import write_atomically
    from catgoodhart.viz import style
    from catgoodhart.viz._io import save_png

    with style.style_context():
        fig = style.new_figure(4.5)
        ax = fig.subplots()
        result.plot(ax=ax)
        ax.set_title(description, fontsize=8)
        write_atomically(path, lambda fh: save_png(fig, fh), overwrite=overwrite)


def _cmd_frontier(args):
    import json

    from catgoodhart.optimizers import frontier

    if args.plot is not None:
        if not args.plot.lower().endswith(".png"):
            raise _UsageError(f"--plot must name a .png file, got {args.plot!r}")
        check_output("--plot", args.plot, force=args.force)
    grid = _kl_grid(args.kl)
    methods = _method_names(args.methods)
    model, description = _frontier_model(args)
    try:
        result = frontier(model, methods, kl=grid)
    except ValueError as e:
        raise _UsageError(str(e)) from e
    if args.plot is not None:
        check_output("--plot", args.plot, force=args.force)  # again: the frontier took a while
        try:
            _save_frontier_plot(result, description, args.plot, overwrite=args.force)
        except OSError as e:
            raise _UsageError(write_problem("--plot", args.plot, e)) from e
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(_frontier_table(result, model, description))
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

    p = sub.add_parser(
        "frontier", help="compare optimizers (KL tilt, best-of-n, quantilizer, ...) at matched KL",
        description="What each optimizer of the proxy U = X + V reaches in true utility E_π[V] at the same "
                    "KL(π‖π0). The model is two laws (--error X, --utility V, independent) or a pool of "
                    "responses with proxy and utility scores (--pool FILE --proxy COL --utility-column "
                    "COL). nan in the table: the method has no policy at that KL (the reason is printed "
                    "below the table).")
    p.add_argument("--error", metavar="SPEC", help="law of the error X, e.g. student_t:nu=3 (see "
                                                   "`catgoodhart distributions`)")
    p.add_argument("--utility", metavar="SPEC", help="law of the true utility V, e.g. normal")
    p.add_argument("--pool", metavar="FILE", help="responses with named columns instead of laws: .csv or "
                                                  ".tsv (header names), .npz (arrays), .json (an object "
                                                  "of lists, or a list of records) or .parquet (pyarrow)")
    p.add_argument("--proxy", metavar="COL", help="--pool column of the proxy score U")
    p.add_argument("--utility-column", metavar="COL", help="--pool column of the true utility V")
    p.add_argument("--weights", metavar="COL",
                   help="--pool column of base-policy weights (>= 0, normalized; default: equal)")
    p.add_argument("--kl", nargs=3, metavar=("MIN", "MAX", "N"),
                   help=f"N KL values from MIN to MAX nats, log-spaced (default {_KL_GRID[0]:g} "
                        f"{_KL_GRID[1]:g} {_KL_GRID[2]}; N at most {_MAX_KL_POINTS})")
    p.add_argument("--methods", metavar="NAME,...",
                   help="comma-separated optimizers (default: kl_tilt, best_of_n, quantilizer, "
                        "capped_odds, bounded_tilt, threshold; also: conditioning)")
    p.add_argument("--json", action="store_true", help="print the whole frontier as JSON")
    p.add_argument("--plot", metavar="OUT", help="write E_π[V] against KL as a .png figure")
    p.add_argument("--force", action="store_true", help="overwrite --plot if it exists")
    p.set_defaults(func=_cmd_frontier)

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

    from catgoodhart.lab.cli import register as register_lab
    from catgoodhart.probe.cli import register as register_probe
    from catgoodhart.sweep_cli import register as register_sweep

    register_probe(sub)
    register_lab(sub)
    register_sweep(sub)
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
