"""``catgoodhart probe``: run the reward probes and report on their runs.

    catgoodhart probe random|lm|adversarial --rm SPEC [--lm SPEC] -n N --length L
        --batch-size B --seed S --out RUN [--resume] [--device cpu|cuda]
    catgoodhart probe report RUN... [--json]

SPEC is a model folder, a GGUF file, ``judge:<lm spec>`` or ``callable:module:function``.
torch and transformers are imported only when a probe runs, so ``--help`` stays fast.
"""

import json
import os
import sys

from catgoodhart._commandline import UsageError as error
from catgoodhart._commandline import command_group
from catgoodhart._commandline import positive as _positive
from catgoodhart._commandline import seed as _seed


def _add_common(p, *, lm_help, length_default, n_default, batch_default, unit="sequences"):
    p.add_argument("--rm", required=True, metavar="SPEC",
                   help="reward model: a model folder, judge:<folder or .gguf>, or callable:module:function")
    p.add_argument("--lm", metavar="SPEC", help=lm_help)
    p.add_argument("-n", type=_positive, default=n_default, help=f"number of {unit} (default {n_default})")
    p.add_argument("--length", type=_positive, default=length_default,
                   help=f"tokens per sequence (default {length_default})")
    p.add_argument("--batch-size", type=_positive, default=batch_default,
                   help=f"sequences scored per forward pass (default {batch_default})")
    p.add_argument("--seed", type=_seed, default=None, help="integer seed (default: drawn and recorded)")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder to create (or --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out with the same settings")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="torch device (default cpu)")
    p.add_argument("--threads", type=_positive, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--max-batches", type=_positive, default=None,
                   help="stop after this many batches (continue later with --resume)")
    p.add_argument("--judge-prompt", help="judging prompt with {text} once (judge: reward models)")
    p.add_argument("--judge-yes", help="answer word whose log-probability counts for (default ' Yes')")
    p.add_argument("--judge-no", help="answer word whose log-probability counts against (default ' No')")


def register(subparsers):
    """Add the ``probe`` subcommand and its sub-subcommands to an argparse ``subparsers``."""
    sub = command_group(
        subparsers, "probe", help="reward-model tail probes: random, lm, adversarial, report",
        description="Score random tokens, LM samples or adversarial token sequences with a reward "
                    "model; report tail verdicts. Needs: pip install 'catgoodhart[lm]'.")

    p = sub.add_parser("random", help="rewards of uniformly random token sequences (paper: 30,000 x 1,024)")
    _add_common(p, lm_help="tokenizer source when --rm is a callable", length_default=1024, n_default=1000,
                batch_default=8)
    p.set_defaults(func=_cmd_probe_run)

    p = sub.add_parser("lm", help="rewards of LM samples (paper: 16,000 x 133 tokens at temperature 1)")
    _add_common(p, lm_help="language model to sample from (required)", length_default=133, n_default=1000,
                batch_default=8)
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1)")
    p.add_argument("--prompt", help="fixed prompt text (default: --prompt-tokens random tokens)")
    p.add_argument("--prompt-tokens", type=_positive, default=5,
                   help="random tokens that start each sample (default 5)")
    p.set_defaults(func=_cmd_probe_run)

    p = sub.add_parser("adversarial", help="coordinate-gradient search (GCG/ACG) for high-reward sequences")
    _add_common(p, lm_help="reference LM for log q(x) (default: the judge's LM)", length_default=133,
                n_default=1, batch_default=32, unit="independent searches")
    p.add_argument("--steps", type=_positive, default=100, help="search steps (default 100; paper 1000)")
    p.add_argument("--candidates", type=_positive, default=32, help="candidates per step (default 32)")
    p.add_argument("--top-k", type=_positive, default=16, help="tokens per position (default 16; paper 3)")
    p.add_argument("--coords-start", type=_positive, default=1,
                   help="coordinates changed per candidate at the first step (default 1 = GCG; paper 9)")
    p.add_argument("--coords-end", type=_positive, default=1,
                   help="... at the last step, annealed linearly (default 1; paper 2)")
    p.set_defaults(func=_cmd_probe_run)

    p = sub.add_parser("report", help="tail verdicts of runs; mixture-policy KL for adversarial runs")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.add_argument("--no-figure", action="store_true", help="skip the diagnostic figure")
    p.set_defaults(func=_cmd_probe_report)


def _cmd_probe_run(args):
    from catgoodhart.probe.models import MissingExtraError, parse_spec, require_lm

    try:
        require_lm()
    except MissingExtraError as e:
        raise error(str(e)) from e
    kind = args.probe_command
    try:
        rm_spec = parse_spec(args.rm)
        lm_spec = parse_spec(args.lm) if args.lm else None
    except ValueError as e:
        raise error(str(e)) from e
    if lm_spec is not None and lm_spec.kind not in ("folder", "gguf"):
        raise error(f"--lm {args.lm}: a language model must be a model folder or a GGUF file")
    if kind == "lm" and lm_spec is None:
        raise error("--lm is required for the lm probe")
    if os.path.lexists(args.out) and not args.resume:
        raise error(f"{args.out}: already exists; pass --resume to continue it, or choose another --out")
    if os.path.lexists(args.out):
        from catgoodhart.probe.store import RunStore

        try:
            found = RunStore.open(args.out).meta.get("probe")
        except ValueError as e:
            raise error(str(e)) from e
        if found != kind:
            raise error(f"{args.out}: holds a {found} run, not a {kind} run")
    if kind == "lm" and not args.temperature > 0:
        raise error(f"--temperature must be > 0, got {args.temperature}")
    from catgoodhart._validation import physical_memory, size_text

    need = 8 * args.n * (args.length + 1)  # a finished run's tokens and rewards, read at once
    if need > physical_memory():
        raise error(f"-n {args.n} sequences of --length {args.length} tokens would need {size_text(need)} "
                    f"at 8 bytes a token and a reward, more than this machine's "
                    f"{size_text(physical_memory(), exact=False)} of memory")

    import torch

    from catgoodhart.probe import adversarial, sampling
    from catgoodhart.probe.models import load_language_model, load_reward_model

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        lm = load_language_model(lm_spec, device=args.device) if lm_spec is not None else None
        rm = load_reward_model(rm_spec, device=args.device, judge_prompt=args.judge_prompt,
                               judge_yes=args.judge_yes, judge_no=args.judge_no, lm=lm)
        common = dict(n=args.n, length=args.length, out=args.out, batch_size=args.batch_size, seed=args.seed,
                      resume=args.resume, quiet=args.quiet, max_batches=args.max_batches)
        if kind == "random":
            run = sampling.random_probe(rm, lm=lm, **common)
        elif kind == "lm":
            run = sampling.lm_probe(rm, lm, temperature=args.temperature, prompt=args.prompt,
                                    prompt_tokens=args.prompt_tokens, **common)
        else:
            run = adversarial.adversarial_probe(rm, lm=lm, steps=args.steps, candidates=args.candidates,
                                                top_k=args.top_k, coords_start=args.coords_start,
                                                coords_end=args.coords_end, **common)
    except ValueError as e:
        raise error(str(e)) from e
    except KeyboardInterrupt:
        print(f"interrupted; finished batches are kept in {args.out}: continue with --resume",
              file=sys.stderr)
        return 130
    state = "complete" if run.complete else f"{run.n_done} of {run.n} done; continue with --resume"
    print(f"{run.path}: {run.probe} probe, {run.batches_run} batches in {run.seconds:.1f} s ({state}); "
          f"seed {run.seed}", file=sys.stderr)
    return 0


def _cmd_probe_report(args):
    from catgoodhart.probe.report import probe_report

    reports = []
    try:
        for run in args.runs:
            others = [r for r in args.runs if r != run]
            reports.append(probe_report(run, figure=not args.no_figure, base_runs=others))
    except (ValueError, OSError) as e:
        text = str(e)
        raise error(text if text.startswith(os.fspath(run)) else f"{run}: {text}") from e
    if args.json:
        from catgoodhart.probe.report import _json_safe

        print(json.dumps([_json_safe(r.to_dict()) for r in reports], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(r.summary() for r in reports))
    return 0
