"""``catgoodhart lab``: the overoptimization lab.

    catgoodhart lab run [CONFIG.toml] --out DIR [--preset small|full] [--resume] [--quiet]
    catgoodhart lab report DIR [--json] [--figures FOLDER] [--force]
    catgoodhart lab score FILE --proxy COL --gold COL [--json] [--plot OUT.png] [--force]
"""

import json
import math
import os
import sys

from catgoodhart._commandline import UsageError as error
from catgoodhart._commandline import (
    add_engine_options,
    check_output,
    check_output_folder,
    command_group,
    engine,
    write_problem,
)
from catgoodhart._commandline import positive as _positive
from catgoodhart._commandline import seed as _seed


def register(subparsers):
    """Add ``lab`` and its sub-subcommands to an argparse ``subparsers``."""
    from catgoodhart.lab.config import PRESETS

    sub = command_group(
        subparsers, "lab", help="reward-model overoptimization lab (Gao et al.): run, report, score",
        description="Gao, Schulman & Hilton's synthetic setup on a CPU: train proxies of several sizes on "
                    "a gold reward's comparisons, optimize them (best-of-n, KL tilt, quantilizer, RL), "
                    "fit the gold-vs-KL forms and measure the paper's claims. Training needs torch: "
                    "pip install -e '.[lab]'.")

    p = sub.add_parser("run", help="train the proxies and compute every curve into a run folder")
    p.add_argument("config", nargs="?", metavar="CONFIG.toml",
                   help="settings (a flat TOML table; see catgoodhart.lab.LabConfig); default: the preset")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder to create (or --resume)")
    p.add_argument("--preset", choices=tuple(PRESETS),
                   help="start from this preset (overrides the file's `preset`; default full)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out with the same settings")
    p.add_argument("--max-cells", type=_positive, default=None,
                   help="stop after this many cells (continue later with --resume)")
    add_engine_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_lab_run)

    p = sub.add_parser("report", help="fits with bootstrap intervals, the claim table and the figures")
    p.add_argument("run", metavar="DIR", help="a finished run folder")
    p.add_argument("--json", action="store_true", help="print fits and claims as JSON")
    p.add_argument("--figures", metavar="FOLDER", help="write the three figures here (default DIR/figures)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--force", action="store_true", help="overwrite existing figures")
    p.set_defaults(func=_cmd_lab_report)

    p = sub.add_parser("score", help="exact curves, fitted forms and tail verdict of your own scored pool")
    p.add_argument("file", help="responses with named columns: .csv, .tsv, .npz, .json or .parquet "
                                  "(Parquet needs pyarrow)")
    p.add_argument("--proxy", required=True, metavar="COL", help="column of your reward model's scores")
    p.add_argument("--gold", required=True, metavar="COL", help="column of the gold scores")
    p.add_argument("--n-fit", type=float, default=1000.0, help="fit Gao's form on n <= this (default 1000)")
    p.add_argument("--n-max", type=float, default=60_000.0, help="largest n (default 60000)")
    p.add_argument("--bootstrap", type=_positive, default=200, help="bootstrap resamples (default 200)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the bootstrap (default 0)")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--plot", metavar="OUT", help="write gold against KL as a .png figure")
    p.add_argument("--force", action="store_true", help="overwrite --plot if it exists")
    p.set_defaults(func=_cmd_lab_score)


def _cmd_lab_run(args):
    from catgoodhart.lab.config import load_config, preset
    from catgoodhart.lab.run import run_lab

    try:
        if args.config is not None:
            config = load_config(args.config, preset_name=args.preset)
        else:
            config = preset(args.preset or "full")
        scheduler, workers = engine(args)
        result = run_lab(config, args.out, resume=args.resume, quiet=args.quiet, max_cells=args.max_cells,
                         scheduler=scheduler, workers=workers)
    except (ValueError, ImportError) as e:
        raise error(str(e)) from e
    except OSError as e:
        raise error(write_problem("--out", args.out, e)) from e
    state = "complete" if result.complete else "not complete (continue with --resume)"
    print(f"{result.path}: {result.cells_done} of {result.cells} cells done ({result.cells_run} this run, "
          f"{result.seconds:.1f} s, {result.engine}); {state}")
    return 0


def _fmt(x):
    return f"{x:.3g}"


def _with_interval(row, key):
    low, high = row[f"{key}_interval"]
    return f"{_fmt(row[key])} [{_fmt(low)}, {_fmt(high)}]"


def report_text(analysis):
    """The analysis as plain text: fits per configuration, then the claims."""
    from catgoodhart.lab.analysis import FORM_TOLERANCE

    lines = [f"lab run {analysis.path}", "",
             "best-of-n: R(d) = d(α − βd) fitted on n <= n_fit, 95% bootstrap intervals over seeds × "
             "prompts;", f"beyond n_fit the form holds where its RMS error is at most {FORM_TOLERANCE:g} of "
             "the peak gain"]
    head = f"{'params':>7} {'data':>6} {'accuracy':>9} {'α':>22} {'β':>22} {'d*':>22} {'rms in':>7} " \
           f"{'rms out':>7} {'beyond':>6} {'best form':>9} {'error@n_max':>11}  error tail under π0"
    lines.append(head)
    for r in analysis.bon:
        cells = [_with_interval(r, k) for k in ("alpha", "beta", "peak_d")]
        lines.append(f"{r['parameters']:>7} {r['data']:>6} {r['accuracy']:>9.3f} {cells[0]:>22} "
                     f"{cells[1]:>22} {cells[2]:>22} {r['rms_in']:>7.3f} {r['rms_out']:>7.3f} "
                     f"{'holds' if r['form_holds'] else 'fails':>6} {r['best_form']:>9} "
                     f"{r['error_gain'][-1]:>11.3f}  {', '.join(r['error_tails'])}")
    lines += ["", "RL (policy gradient, early stopping): R(d) = d(α − β log d)"]
    for r in analysis.rl:
        lines.append(f"{r['parameters']:>7} params: α = {_with_interval(r, 'alpha')}, "
                     f"β = {_with_interval(r, 'beta')}, rms {r['rms_in']:.3f}")
    lines += ["", "claims"]
    for c in analysis.claims:
        lines.append(f"{c.number}. {c.title}: {c.verdict}: {c.reason}")
        lines += [f"     {k} = {_fmt(v) if isinstance(v, float) else v}" for k, v in c.numbers.items()]
    return "\n".join(lines)


def _cmd_lab_report(args):
    from catgoodhart.lab.analysis import analyze

    folder = args.figures or os.path.join(args.run, "figures")
    if not args.no_figures:
        from catgoodhart.viz.lab_curves import FILES

        check_output_folder("--figures", folder, FILES, force=args.force)
    try:
        analysis = analyze(args.run)
    except ValueError as e:
        raise error(str(e)) from e
    if not args.no_figures:
        from pathlib import Path

        from catgoodhart.viz import _io, lab_curves, style

        try:
            os.makedirs(folder, exist_ok=True)
            with style.style_context(), _io.Staging(Path(folder), lab_curves.FILES) as stage:
                lab_curves.draw(analysis, stage.path)
                written = stage.commit()
        except OSError as e:
            raise error(write_problem("--figures", folder, e)) from e
        print(f"wrote {len(written)} figures to {folder}", file=sys.stderr)
    if args.json:
        print(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report_text(analysis))
    return 0


def _cmd_lab_score(args):
    from catgoodhart.cli import _read_pool_column
    from catgoodhart.lab.score import score_pool

    if args.plot is not None:
        if not args.plot.lower().endswith(".png"):
            raise error(f"--plot must name a .png file, got {args.plot!r}")
        check_output("--plot", args.plot, force=args.force)
    columns = {}
    for option, column in (("--proxy", args.proxy), ("--gold", args.gold)):
        try:
            columns[option] = _read_pool_column(args.file, column)[0]
        except ValueError as e:
            raise error(f"{option} {column}: {e}") from e
    try:
        result = score_pool(columns["--proxy"], columns["--gold"], n_fit=args.n_fit, n_max=args.n_max,
                            n_boot=args.bootstrap, seed=args.seed)
    except ValueError as e:
        raise error(str(e)) from e
    if args.plot is not None:
        _save_score_plot(result, args.file, args.plot, overwrite=args.force)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    f = result.fit
    print(f"{args.file}: {result.responses} responses; proxy {args.proxy}, gold {args.gold} "
          "(both standardized)")
    print(f"error X = proxy − gold: tail verdict {result.error_tail}")
    print(f"best-of-n on n <= {args.n_fit:g}: R(d) = d(α − βd), α = {_fmt(f.alpha)} "
          f"[{_fmt(result.alpha_interval[0])}, {_fmt(result.alpha_interval[1])}], β = {_fmt(f.beta)} "
          f"[{_fmt(result.beta_interval[0])}, {_fmt(result.beta_interval[1])}] "
          "(95% bootstrap over responses)")
    if math.isfinite(f.peak.d):
        print(f"predicted peak: d* = {_fmt(f.peak.d)} [{_fmt(result.peak_interval[0])}, "
              f"{_fmt(result.peak_interval[1])}], KL* = {_fmt(f.peak.kl)} nats, n* = {_fmt(result.peak_n)}, "
              f"gold gain {_fmt(f.peak.reward)}")
    else:
        print(f"predicted peak: none ({f.peak.reason}); d* interval [{_fmt(result.peak_interval[0])}, "
              f"{_fmt(result.peak_interval[1])}]")
    errors = ", ".join(f"{k} {_fmt(v)}" for k, v in result.rms_out_by_form.items())
    print(f"error beyond n_fit by form: {errors}; best: {result.best_form}")
    print(f"{'n':>8} {'KL (pool)':>10} {'log n-(n-1)/n':>14} {'gold gain':>10} {'proxy gain':>10}")
    for n, kl, g, u in zip(result.n, result.bon_kl, result.bon_gold, result.bon_proxy, strict=True):
        print(f"{n:>8.0f} {kl:>10.4g} {math.log(n) - (n - 1) / n:>14.4g} {g:>10.4g} {u:>10.4g}")
    print(f"{'KL':>8} {'tilt gold':>10} {'quantilizer':>11}")
    for kl, t, q in zip(result.kl, result.tilt_gold, result.quantilizer_gold, strict=True):
        print(f"{kl:>8.4g} {t:>10.4g} {q:>11.4g}")
    return 0


def _save_score_plot(result, source, path, *, overwrite):
    import numpy as np

    from catgoodhart import scaling
    from catgoodhart._files import write_atomically
    from catgoodhart.viz import style
    from catgoodhart.viz._io import save_png

    with style.style_context():
        fig = style.new_figure(4.0)
        ax = fig.subplots()
        ax.plot(np.sqrt(result.bon_kl), result.bon_gold, "o-", ms=3, label="best-of-n (exact)")
        ax.plot(np.sqrt(result.kl), result.tilt_gold, "s-", ms=3, label="KL tilt (exact)")
        ax.plot(np.sqrt(result.kl), result.quantilizer_gold, "^-", ms=3, label="quantilizer")
        d = np.linspace(0.0, float(np.sqrt(result.bon_kl).max()), 200)
        ax.plot(d, scaling.gold_reward(d, result.fit.alpha, result.fit.beta, "bon"), "--", label="d(α − βd)")
        ax.set_xlabel("d = √KL")
        ax.set_ylabel("gold gain (standardized)")
        ax.set_title(f"{source}: error tail {result.error_tail}", fontsize=8)
        ax.legend(fontsize=7)
        try:
            write_atomically(path, lambda fh: save_png(fig, fh), overwrite=overwrite)
        except OSError as e:
            raise error(write_problem("--plot", path, e)) from e
