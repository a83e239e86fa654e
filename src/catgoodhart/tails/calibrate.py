"""Calibration of ``tail_report``: verdicts and interval coverage on laws of known class.

Run: python -m catgoodhart.tails.calibrate [--seeds 100] [--sizes 1000 10000 100000]
                                          [--out paper_checks/tail_calibration.md]

For each law below and each sample size, ``--seeds`` samples are drawn with the
distributions' samplers (seed = index) and passed to ``tail_report`` with its defaults. The
table gives the fraction of heavy / light / inconclusive verdicts (a wrong verdict is heavy
for a light law or light for a heavy one) and, where the true value is known, how often each
estimator's nominal 95% interval covers it: γ for the moment, Hill, Pickands and GPD
estimates, θ for the Weibull-tail coefficient and its bias-reduced version. γ and θ are the
limits of the tail; at finite n second-order terms bias the estimates of most laws, and the
coverage shows by how much.
"""

import argparse
import math
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from catgoodhart import distributions as D

#: (name, law, class, γ, θ); None where the value is not a finite number the estimators target
LAWS = [
    ("normal", D.Normal(), "light", 0.0, 0.5),
    ("exponential", D.Exponential(), "light", 0.0, 1.0),
    ("Gumbel", D.Gumbel(), "light", 0.0, 1.0),
    ("uniform", D.Uniform(), "light", -1.0, None),
    ("Weibull(2)", D.Weibull(shape=2.0), "light", 0.0, 0.5),
    ("lognormal(0, 1)", D.LogNormal(), "heavy", 0.0, None),
    ("Weibull(0.5)", D.Weibull(shape=0.5), "heavy", 0.0, 2.0),
    ("Student-t(3)", D.StudentT(nu=3.0), "heavy", 1 / 3, None),
    ("Student-t(10)", D.StudentT(nu=10.0), "heavy", 0.1, None),
    ("Pareto(1.5)", D.Pareto(alpha=1.5), "heavy", 1 / 1.5, None),
    ("Pareto(4)", D.Pareto(alpha=4.0), "heavy", 0.25, None),
    ("GPD(0.2)", D.GPD(xi=0.2), "heavy", 0.2, None),
    ("Fréchet(3)", D.Frechet(alpha=3.0), "heavy", 1 / 3, None),
]
ESTIMATORS = ("moment", "hill", "pickands", "gpd", "weibull_tail", "weibull_tail_reduced_bias")


def _covers(low, high, truth):
    if truth is None or not (math.isfinite(low) and math.isfinite(high)):
        return math.nan
    return float(low <= truth <= high)


def _one(args):
    """Verdict and coverage indicators of one sample (runs in a worker process)."""
    from catgoodhart.tails.report import tail_report

    index, n, seed = args
    _, law, _, gamma, theta = LAWS[index]
    r = tail_report(law.sample(n, seed=seed))
    covered = {
        "moment": _covers(r.moment.ci_low, r.moment.ci_high, gamma),
        "hill": _covers(r.hill.ci_low, r.hill.ci_high, gamma if gamma and gamma > 0 else None),
        "pickands": _covers(r.pickands.ci_low, r.pickands.ci_high, gamma),
        "gpd": _covers(r.gpd.xi_ci_low, r.gpd.xi_ci_high, gamma),
        "weibull_tail": _covers(r.weibull_tail.ci_low, r.weibull_tail.ci_high, theta),
        "weibull_tail_reduced_bias": _covers(r.weibull_tail_reduced_bias.ci_low,
                                             r.weibull_tail_reduced_bias.ci_high, theta),
    }
    return index, n, r.verdict, covered


def calibrate(seeds=100, sizes=(1_000, 10_000, 100_000), *, workers=None, progress=None):
    """{(law index, n): {"heavy"|"light"|"inconclusive": fraction, "coverage": {estimator: fraction}}}."""
    jobs = [(i, n, s) for n in sizes for i in range(len(LAWS)) for s in range(seeds)]
    counts = {}
    # spawned, not forked: a fork of a process whose numba threads are running can die
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=context) as pool:
        for done, (i, n, verdict, covered) in enumerate(pool.map(_one, jobs, chunksize=4), start=1):
            cell = counts.setdefault((i, n), {"verdicts": [], "coverage": {e: [] for e in ESTIMATORS}})
            cell["verdicts"].append(verdict)
            for e, value in covered.items():
                cell["coverage"][e].append(value)
            if progress is not None:
                progress(done, len(jobs))
    table = {}
    for key, cell in counts.items():
        v = cell["verdicts"]
        table[key] = {name: v.count(name) / len(v) for name in ("heavy", "light", "inconclusive")}
        table[key]["coverage"] = {e: (float(np.nanmean(c)) if np.any(np.isfinite(c)) else math.nan)
                                  for e, c in cell["coverage"].items()}
    return table


#: why the coverage columns that miss 90-98% miss it (second-order bias, not noise)
_NOTES = [
    "With 100 samples per cell a coverage of 95% has a binomial standard error of 2.2 points, so "
    "90-98% is about the band that noise alone allows. Where coverage falls short of it, the cause is "
    "second-order bias, which the intervals (noise only) do not contain:",
    "",
    "* θ (plain Weibull-tail coefficient) on the normal: the slowly varying factor of "
    "-log F̄(x) = x² ℓ(x)/2 biases θ̂ upwards by b(log(n/k)) ≈ 0.2 at n = 10^5 (θ̂ ≈ 0.71 for "
    "θ = 1/2), decaying like log log n / log n. θ_RB fits that term (index ρ = -1) jointly with θ and "
    "covers; it is reported beside θ but does not vote, because its standard error is 2-4 times larger.",
    "* Hill on GPD(0.2) and Student-t(10): second-order index ρ = -0.2, so the bias at k = √n decays "
    "like (n/k)^-0.2 and is several standard errors at every n here. A reduced-bias Hill needs an "
    "estimate of ρ; the Fraga Alves-Gomes-de Haan estimator returns ρ̂ ≈ -0.3 to -0.7 on these "
    "samples at n <= 10^5, so the correction does not restore coverage and is not used. The same "
    "slow bias holds the moment, Pickands and GPD intervals on Student-t(10) at 85-88% at n = 10^5.",
    "* moment, Pickands and GPD on the normal, Weibull(2), lognormal and Weibull(0.5): γ = 0 with "
    "second-order index ρ = 0, so the bias decays only logarithmically (like 1/log(n/k)) while the "
    "standard error shrinks like k^-1/2: coverage falls as n grows, and no principled correction "
    "exists without a parametric model of the slowly varying term.",
    "* GPD on the uniform (ξ = -1): the maximum-likelihood estimator is not regular for ξ < -1/2, "
    "and the profile-likelihood interval over-covers (98-100%).",
    "* Pareto(4) at n = 1,000: the wrong (light) verdicts come from θ̂, which is below 1 for a power "
    "law with a large index at small n (θ̂ grows like log n), while γ̂ is not yet one standard error "
    "above 0.",
]


def _percent(x):
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def markdown(table, seeds, sizes):
    """The calibration table as Markdown."""
    lines = [
        "# Calibration of `tail_report`",
        "",
        f"Generated by `python -m catgoodhart.tails.calibrate --seeds {seeds} --sizes "
        f"{' '.join(map(str, sizes))}`: {seeds} samples per cell, drawn with the package's samplers "
        "(seed = sample index), `tail_report` with its defaults (no centring, k = √n rule for γ, "
        "k = n^0.6 for θ, n^0.7 for the bias-reduced θ_RB).",
        "",
        "Verdicts: fraction heavy / light / inconclusive; **bold** where the verdict is wrong for "
        "more than 5% of the samples. Coverage: how often the nominal 95% interval holds the "
        "true γ (moment, Hill where γ > 0, Pickands, GPD ξ) or θ (Weibull-tail θ and its "
        "bias-reduced version θ_RB); – where the true value is not a finite target.",
        "",
        "| law | class | n | heavy | light | inconclusive | moment | Hill | Pickands | GPD | θ | θ_RB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        for i, (name, _, cls, _, _) in enumerate(LAWS):
            cell = table[(i, n)]
            wrong = cell["light"] if cls == "heavy" else cell["heavy"]
            verdicts = [_percent(cell[v]) for v in ("heavy", "light", "inconclusive")]
            wrong_col = 0 if cls == "light" else 1
            if wrong > 0.05:
                verdicts[wrong_col] = f"**{verdicts[wrong_col]}**"
            cov = [_percent(cell["coverage"][e]) for e in ESTIMATORS]
            lines.append(f"| {name} | {cls} | {n:,} | " + " | ".join(verdicts + cov) + " |")
    return "\n".join([*lines, "", *_NOTES]) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m catgoodhart.tails.calibrate",
                                     description="Calibrate tail_report on laws of known class.")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default=os.path.join("paper_checks", "tail_calibration.md"))
    args = parser.parse_args(argv)
    if args.seeds < 1 or any(n < 50 for n in args.sizes):
        parser.error("--seeds must be >= 1 and every size >= 50")
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("calibrating", total=args.seeds * len(LAWS) * len(args.sizes))
        table = calibrate(args.seeds, args.sizes, workers=args.workers,
                          progress=lambda done, total: bar.update(task, completed=done))
    from catgoodhart._files import write_text_atomically

    text = markdown(table, args.seeds, args.sizes)
    write_text_atomically(args.out, text)  # a finished table or none: an interruption overwrites nothing
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
