"""Calibration of ``tail_report``: verdicts and interval coverage on laws of known class.

Run: catgoodhart sweep calibration [--seeds 100] [--sizes 1000 10000 100000]
                                   [--table paper_checks/tail_calibration.md] [--run DIR]
     (or python -m catgoodhart.tails.calibrate with the same options)

For each law below and each sample size, ``--seeds`` samples are drawn with the
distributions' samplers, each seeded by its own child of ``SeedSequence(--seed)`` (a sweep:
``catgoodhart.sweep``, on Dask or in this process). Each sample goes to ``tail_report`` (its defaults)
three times: as drawn, standardized ((x - mean)/sd), and scaled by 10^-3 and shifted by
10^3 of its own interquartile ranges (x -> 10^-3 x + 10^3 IQR(10^-3 x)). The table gives,
per transform, the fraction of heavy / light / inconclusive verdicts (a wrong verdict is
heavy for a light law or light for a heavy one); beside them, the verdict of the
origin-dependent rule (the moment γ̂ and the Weibull-tail θ̂ on log X, 2.5 standard errors
from 0 and 1) shows what a verdict that reads the raw values would say; and, where the
true value is known, how often each estimator's nominal 95% interval covers it: γ for the
moment, Hill, Pickands and GPD estimates, θ for the Weibull-tail coefficient and its
bias-reduced version. γ and θ do not change under a·x + b; the log-based estimates do.
"""

import math
import os
import sys

import numpy as np
from scipy import stats

from catgoodhart import distributions as D


class _NormalScaleMixture:
    """0.9 N(0, 1) + 0.1 N(0, 9): light (its tail is the wider normal's), but its hazard
    decreases where the wider component takes over, between its 1% and 5% quantiles."""

    def sample(self, n, seed):
        rng = np.random.default_rng(seed)
        wide = rng.random(n) < 0.1
        return rng.standard_normal(n) * np.where(wide, 3.0, 1.0)


#: (name, law, class, γ, θ); None where the value is not a finite number the estimators target
LAWS = [
    ("normal", D.Normal(), "light", 0.0, 0.5),
    ("exponential", D.Exponential(), "light", 0.0, 1.0),
    ("Gumbel", D.Gumbel(), "light", 0.0, 1.0),
    ("Laplace", D.Laplace(), "light", 0.0, 1.0),
    ("uniform", D.Uniform(), "light", -1.0, None),
    ("Weibull(2)", D.Weibull(shape=2.0), "light", 0.0, 0.5),
    ("Gamma(0.5)", D.ScipyDistribution(stats.gamma(0.5), heavy_tailed=False, mgf_radius=1.0, gamma=0.0),
     "light", 0.0, 1.0),
    ("0.9 N(0,1) + 0.1 N(0,9)", _NormalScaleMixture(), "light", 0.0, 0.5),
    ("lognormal(0, 1)", D.LogNormal(), "heavy", 0.0, None),
    ("Weibull(0.5)", D.Weibull(shape=0.5), "heavy", 0.0, 2.0),
    ("Student-t(3)", D.StudentT(nu=3.0), "heavy", 1 / 3, None),
    ("Student-t(10)", D.StudentT(nu=10.0), "heavy", 0.1, None),
    ("Pareto(1.5)", D.Pareto(alpha=1.5), "heavy", 1 / 1.5, None),
    ("Pareto(4)", D.Pareto(alpha=4.0), "heavy", 0.25, None),
    ("GPD(0.2)", D.GPD(xi=0.2), "heavy", 0.2, None),
    ("Fréchet(3)", D.Frechet(alpha=3.0), "heavy", 1 / 3, None),
]
#: laws outside the log-concave light family the verdict's light side is calibrated on
NOT_LOG_CONCAVE = ("Gamma(0.5)", "0.9 N(0,1) + 0.1 N(0,9)")
ESTIMATORS = ("moment", "hill", "pickands", "gpd", "weibull_tail", "weibull_tail_reduced_bias")
VERDICT_NAMES = ("heavy", "light", "inconclusive")


def _standardized(x):
    return (x - np.mean(x)) / np.std(x)


def _scaled_and_shifted(x):
    y = 1e-3 * x
    q75, q25 = np.percentile(y, [75, 25])
    return y + 1e3 * (q75 - q25)


#: (label, function): the transforms x -> a·x + b every sample is reported under
TRANSFORMS = [("as drawn", lambda x: x), ("standardized", _standardized),
              ("10⁻³x + 10³ IQR", _scaled_and_shifted)]


def _covers(low, high, truth):
    if truth is None or not (math.isfinite(low) and math.isfinite(high)):
        return math.nan
    return float(low <= truth <= high)


def log_rule_verdict(report, z=2.5, veto=1.0):
    """The verdict of the origin-dependent rule, from the report's moment γ̂ and θ̂ on log X:
    heavy where γ̂ > 2.5 SE above 0 or θ̂ > 2.5 SE above 1, light where γ̂ or θ̂ lies 2.5 SE
    below its boundary (θ's vote counted only while γ̂'s z is not beyond ∓1 the other way),
    inconclusive otherwise or when the two disagree."""
    g, t = report.moment, report.weibull_tail
    zg = g.gamma / g.standard_error if not g.reason and g.standard_error > 0 else math.nan
    zt = (t.theta - 1.0) / t.standard_error if not t.reason and t.standard_error > 0 else math.nan
    heavy = zg > z or (zt > z and not zg < -veto)
    light = zg < -z or (zt < -z and not zg > veto)
    return "heavy" if heavy and not light else "light" if light and not heavy else "inconclusive"


def calibration_cells(seeds, sizes):
    """One cell per sample: every law at every size, ``seeds`` samples each, size first."""
    return [{"law": i, "n": int(n), "sample": s}
            for n in sizes for i in range(len(LAWS)) for s in range(seeds)]


def calibration_cell(cell, seed, settings=None):
    """A sweep's work (``catgoodhart.sweep``): one sample of ``cell["n"]`` draws of law
    ``cell["law"]``, seeded by ``seed``, through ``tail_report`` under each transform. Returns
    the verdicts, the origin-dependent rule's verdicts and, per estimator, whether its 95%
    interval covers the true value (nan where there is none), one row per transform."""
    from catgoodhart.tails.report import tail_report

    _, law, _, gamma, theta = LAWS[cell["law"]]
    x = np.asarray(law.sample(cell["n"], seed=seed), dtype=float)
    verdicts, log_verdicts, covered = [], [], []
    for _, transform in TRANSFORMS:
        r = tail_report(transform(x))
        verdicts.append(r.verdict)
        log_verdicts.append(log_rule_verdict(r))
        covered.append([_covers(r.moment.ci_low, r.moment.ci_high, gamma),
                        _covers(r.hill.ci_low, r.hill.ci_high, gamma if gamma and gamma > 0 else None),
                        _covers(r.pickands.ci_low, r.pickands.ci_high, gamma),
                        _covers(r.gpd.xi_ci_low, r.gpd.xi_ci_high, gamma),
                        _covers(r.weibull_tail.ci_low, r.weibull_tail.ci_high, theta),
                        _covers(r.weibull_tail_reduced_bias.ci_low, r.weibull_tail_reduced_bias.ci_high,
                                theta)])
    return {"verdict": np.array(verdicts), "log_verdict": np.array(log_verdicts),
            "covered": np.array(covered)}


def calibrate(seeds=100, sizes=(1_000, 10_000, 100_000), *, out=None, seed=0, resume=False,
              scheduler=None, workers=None, quiet=True):
    """{(law index, n, transform index): {"heavy"|"light"|"inconclusive": fraction,
    "log rule": {verdict: fraction}, "coverage": {estimator: fraction}}}, and under the key
    "agree" the fraction of samples whose verdict was the same under every transform.

    The samples are a sweep (``catgoodhart.sweep.run_sweep``, run folder ``out``, a temporary
    one by default): sample c of ``calibration_cells`` is drawn with child c of
    ``SeedSequence(seed)``, on a Dask LocalCluster, an existing ``scheduler``, or in this
    process (``workers=1``)."""
    import tempfile

    from catgoodhart.sweep import load_results, run_sweep

    cells = calibration_cells(seeds, sizes)
    settings = {"seeds": int(seeds), "sizes": [int(n) for n in sizes]}
    with tempfile.TemporaryDirectory(prefix="catgoodhart-calibration-") as folder:
        run = os.path.join(folder, "run") if out is None else out
        result = run_sweep(calibration_cell, cells, run, kind="tail-calibration", seed=seed,
                           settings=settings, resume=resume, scheduler=scheduler, workers=workers,
                           quiet=quiet)
        if not result.complete:
            return None
        rows = load_results(run)
    groups, same = {}, []
    for cell, row in zip(cells, rows, strict=True):
        same.append(len(set(row["verdict"].tolist())) == 1)
        for t in range(len(TRANSFORMS)):
            group = groups.setdefault((cell["law"], cell["n"], t),
                                      {"verdicts": [], "log": [], "coverage": []})
            group["verdicts"].append(str(row["verdict"][t]))
            group["log"].append(str(row["log_verdict"][t]))
            group["coverage"].append(row["covered"][t])
    table = {"agree": float(np.mean(same))}
    for key, group in groups.items():
        v, lv, cov = group["verdicts"], group["log"], np.array(group["coverage"])
        table[key] = {name: v.count(name) / len(v) for name in VERDICT_NAMES}
        table[key]["log rule"] = {name: lv.count(name) / len(lv) for name in VERDICT_NAMES}
        table[key]["coverage"] = {
            e: float(np.nanmean(cov[:, k])) if np.any(np.isfinite(cov[:, k])) else math.nan
            for k, e in enumerate(ESTIMATORS)}
    return table


#: what the verdict columns show and why the coverage columns that miss 90-98% miss it
_NOTES = [
    "Verdict. With 100 samples per cell a rate of 5% has a binomial standard error of 2.2 points. The "
    "verdict reads the generalized Pareto shape ξ̂ of the excesses over X_(k+1) at k = max(√n, 50), "
    "n^0.6 and n^0.7, highest threshold first (`catgoodhart.tails.report`), on the excesses divided "
    "by their own scale: its rows are the same for the three transforms.",
    "",
    "* Log-concave light laws (normal, exponential, Gumbel, Laplace, uniform, Weibull(2)): their "
    "excesses are no heavier than exponential over every threshold (ξ(u) <= 0), so a heavy verdict "
    "needs a 2.5-standard-error excursion at one of three thresholds: 0-3% of the samples in every "
    "cell, highest for the exponential and the Laplace, whose excesses are exactly exponential "
    "(ξ = 0) and which stay inconclusive at every n. The Gumbel approaches ξ = 0 from below and is "
    "rarely called light; the normal and Weibull(2) are light for 27-28% of the samples at n = 1,000, "
    "69-87% at 10,000 and all at 100,000.",
    "* Light laws whose hazard decreases over the observed range are outside that family: Gamma(0.5) "
    "(hazard falling to its limit 1) reads heavy for 3% of the samples at n = 10^4 and 13% at 10^5, "
    "and the normal scale mixture, whose hazard falls where the wider component takes over, for 58% "
    "at n = 1,000 and 23% at 10^4; at 10^5 the highest threshold lies beyond that stretch and reads it "
    "light for 98%. A sample that does not reach beyond such a stretch cannot tell it from a heavy "
    "tail; these rows show that limit, they are not a tuning target.",
    "* Heavy laws. The excesses of the lognormal (θ = ∞) and of Weibull(0.5) (θ = 2) have a "
    "penultimate shape ξ(u) ≈ (θ - 1)/log(n/k), about 0.25-0.45 at these n, so at n = 1,000 "
    "(k = 50-126 excesses) ξ̂ is 2.5 standard errors above 0 for only 60% and 69% of the samples, "
    "Student-t(3) 60%, GPD(0.2) 51%. The origin-dependent rule calls them heavy more often as "
    "drawn (86%, 99%, 81%, 54%) because it uses the origin 0 of the raw values, which a reward does "
    "not have: standardized or shifted, its verdicts change (for the shifted lognormal, light for 49%). "
    "From n = 10^4 the heavy rates are 97-100%. Pareto(4) and Fréchet(3), whose excesses are "
    "GPD-like at every threshold, gain (n = 1,000: 56% and 69%, against 8% and 31%). Student-t(10) "
    "has ξ(u) <= 0 above its 1% quantile, so it is mostly inconclusive up to n = 10^5 (heavy for 23% "
    "there).",
    "",
    "Coverage concerns the estimators, which do not vote. Pickands' estimator and the GPD fit are "
    "invariant under a·x + b, so their coverage is the same in the three rows of a cell; Hill, the "
    "moment estimator and both θ estimators read log X, so theirs changes with the origin (θ on the "
    "exponential: 95-97% as drawn, 0-12% standardized, 0% shifted). As drawn, where coverage falls "
    "short of 90-98%, the cause is second-order bias, which the intervals (noise only) do not contain:",
    "",
    "* θ (plain Weibull-tail coefficient) on the normal: the slowly varying factor of "
    "-log F̄(x) = x² ℓ(x)/2 biases θ̂ upwards by b(log(n/k)) ≈ 0.2 at n = 10^5 (θ̂ ≈ 0.71 for "
    "θ = 1/2), decaying like log log n / log n. θ_RB fits that term (index ρ = -1) jointly with θ and "
    "covers. On the Laplace (-log F̄(x) = x + log 2) and Gamma(0.5) (x + ½ log x + O(1)) the "
    "additive terms bias θ̂ the same way; θ_RB covers them at 85-96%.",
    "* Hill on GPD(0.2) and Student-t(10): second-order index ρ = -0.2, so the bias at k = √n decays "
    "like (n/k)^-0.2 and is several standard errors at every n here. A reduced-bias Hill needs an "
    "estimate of ρ; the Fraga Alves-Gomes-de Haan estimator returns ρ̂ ≈ -0.3 to -0.7 on these "
    "samples at n <= 10^5, so the correction does not restore coverage and is not used. The same "
    "slow bias holds the moment, Pickands and GPD intervals on Student-t(10) at 91-92% at n = 10^5.",
    "* moment, Pickands and GPD on the normal, Weibull(2), lognormal and Weibull(0.5): γ = 0 with "
    "second-order index ρ = 0, so the bias decays only logarithmically (like 1/log(n/k)) while the "
    "standard error shrinks like k^-1/2: coverage falls as n grows, and no principled correction "
    "exists without a parametric model of the slowly varying term.",
    "* The normal scale mixture: its tail is the wider normal's only beyond about its 1% quantile, so "
    "every estimator reads a stretch that is not yet the limit, and none covers at every n (Pickands' "
    "wide interval reaches 92% at n = 1,000).",
    "* GPD on the uniform (ξ = -1): the maximum-likelihood estimator is not regular for ξ < -1/2, "
    "and the profile-likelihood interval over-covers (98-100%).",
]


def _percent(x):
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def markdown(table, seeds, sizes, seed=0):
    """The calibration table as Markdown."""
    lines = [
        "# Calibration of `tail_report`",
        "",
        f"Generated by `catgoodhart sweep calibration --seeds {seeds} --sizes "
        f"{' '.join(map(str, sizes))} --seed {seed}`: {seeds} samples per law and n, drawn with the "
        f"package's samplers (sample c seeded by child c of SeedSequence({seed})), each passed to "
        "`tail_report` with its defaults as drawn, standardized ((x - mean)/sd), and as "
        "10⁻³x + 10³ IQR(10⁻³x).",
        "",
        f"The verdicts of the three transforms of a sample agreed for {_percent(table['agree'])} of "
        f"the {seeds * len(sizes) * len(LAWS):,} samples.",
        "",
        "Verdicts: fraction heavy / light / inconclusive; **bold** where the verdict is wrong for "
        "more than 5% of the samples. Log rule: the heavy / light fractions of the origin-dependent "
        "rule (moment γ̂ and Weibull-tail θ̂ on log X, 2.5 standard errors from 0 and 1), which does "
        "not vote. Coverage: how often the nominal 95% interval holds the true γ (moment, Hill "
        "where γ > 0, Pickands, GPD ξ) or θ (Weibull-tail θ and its bias-reduced version θ_RB); – "
        "where the true value is not a finite target.",
        "",
        "| law | class | n | transform | heavy | light | inconclusive | log rule heavy / light "
        "| moment | Hill | Pickands | GPD | θ | θ_RB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        for i, (name, _, cls, _, _) in enumerate(LAWS):
            for t, (label, _) in enumerate(TRANSFORMS):
                cell = table[(i, n, t)]
                wrong = cell["light"] if cls == "heavy" else cell["heavy"]
                verdicts = [_percent(cell[v]) for v in VERDICT_NAMES]
                wrong_col = 0 if cls == "light" else 1
                if wrong > 0.05:
                    verdicts[wrong_col] = f"**{verdicts[wrong_col]}**"
                log = cell["log rule"]
                cov = [_percent(cell["coverage"][e]) for e in ESTIMATORS]
                law_class = cls + (" (not log-concave)" if name in NOT_LOG_CONCAVE else "")
                lines.append(f"| {name} | {law_class} | {n:,} | {label} | " + " | ".join(verdicts)
                             + f" | {_percent(log['heavy'])} / {_percent(log['light'])} | "
                             + " | ".join(cov) + " |")
    return "\n".join([*lines, "", *_NOTES]) + "\n"


def main(argv=None):
    """``python -m catgoodhart.tails.calibrate [options]``: ``catgoodhart sweep calibration``."""
    from catgoodhart.cli import main as cli_main

    return cli_main(["sweep", "calibration", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
