"""``lab report``: Gao et al.'s forms fitted to a finished lab run, and its seven claims measured.

Curves are averaged over groups, one group per (seed, prompt); intervals are percentile
bootstraps over the groups (:func:`catgoodhart.scaling.bootstrap_fit`). For best-of-n every
group shares the grid of n, and d = sqrt(KL) is the square root of the groups' mean exact KL
on the pool (the KL of the policy over prompts). An RL run is read as early stopping: its
gold at distance d is the gold at the first step whose KL reaches d².
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import scaling
from catgoodhart._results import Result
from catgoodhart.lab.config import LabConfig
from catgoodhart.lab.proxies import AGGREGATIONS, parameter_count
from catgoodhart.lab.run import NOISE_KINDS, Cell, load_cell, read_meta

#: a proxy is "near chance" when its held-out accuracy is below 0.5 + this
CHANCE_BAND = 0.05
#: claim 2: a coefficient moves smoothly when a quadratic in log10(size), weighted by the
#: bootstrap standard errors, leaves a χ² with p-value at least this
SMOOTH_P = 0.01
#: claim 2: α_RL is roughly constant when (max - min)/mean over sizes is at most this
ALPHA_RL_SPREAD = 0.25
#: claim 4: a penalized run's end point matches early stopping within this fraction of the
#: RL run's peak gold gain
FRONTIER_TOLERANCE = 0.1
#: a fitted form "holds" beyond the fitted range when its RMS error there is at most this
#: fraction of the largest gold gain measured
FORM_TOLERANCE = 0.1
#: claim 7: best-of-n gold "returns to the baseline" when at the largest n it is below this
#: fraction of its peak, and "does not" when it keeps at least ``KEPT`` of it
RETURNED = 0.25
KEPT = 0.9
_RL_POINTS = 30


@dataclass(frozen=True, repr=False)
class Claim(Result):
    """One of the lab's claims, its verdict (``AGREES``, ``DISAGREES`` or ``NOT CHECKABLE``),
    why, and the numbers behind it."""

    number: int
    title: str
    claim: str
    verdict: str
    reason: str
    numbers: dict


@dataclass(frozen=True, repr=False)
class LabAnalysis(Result):
    """The fits and claims of one lab run: ``bon`` and ``rl`` hold one row (a dict) per
    proxy configuration, ``noise`` one per injected error kind, ``ensembles`` one per
    aggregation and the single members."""

    path: str
    config: dict
    n: np.ndarray
    bon: list
    rl: list
    noise: list
    ensembles: list
    claims: list


def _peak(gold):
    """(index of the peak of the mean curve, whether gold falls after it by more than two
    standard errors of the per-group drop)."""
    mean = gold.mean(axis=0)
    k = int(np.argmax(mean))
    drop = gold[:, k] - gold[:, -1]
    se = drop.std(ddof=1) / math.sqrt(drop.size)
    return k, bool(k < mean.size - 1 and drop.mean() > 2 * se)


def _bon_row(config, n, kl, gold, seed):
    d = np.sqrt(np.maximum(kl.mean(axis=0), 0.0))
    inside = n <= config.n_fit
    boot = scaling.bootstrap_fit(d[inside], gold[:, inside], "bon", n_boot=config.bootstrap, seed=seed)
    predictions, best = scaling.compare_forms(d, gold.mean(axis=0), d_fit=float(d[inside].max()))
    k, peaked = _peak(gold)
    mean = gold.mean(axis=0)
    return {"d": d, "gold": mean, "bon_kl_formula": np.log(n) - (n - 1) / n,
            "alpha": boot.fit.alpha, "alpha_interval": boot.alpha_interval,
            "beta": boot.fit.beta, "beta_interval": boot.beta_interval, "peak_d": boot.fit.peak.d,
            "peak_d_interval": boot.peak_interval, "rms_in": predictions["bon"].rms_in,
            "rms_out": predictions["bon"].rms_out, "best_form": best,
            "form_holds": bool(predictions["bon"].rms_out <= FORM_TOLERANCE * float(np.max(mean))),
            "rms_out_by_form": {f: p.rms_out for f, p in predictions.items()},
            "measured_peak_n": float(n[k]), "measured_peak_gold": float(mean[k]),
            "gold_at_n_max": float(mean[-1]),
            "falls_after_peak": peaked, "groups": int(gold.shape[0])}


def early_stopping(kl, gold, levels):
    """Gold at the first step whose KL reaches each level, per run (rows); nan beyond a run's
    reach."""
    levels = np.asarray(levels, dtype=float)
    out = np.full((kl.shape[0], levels.size), np.nan)
    reach = np.maximum.accumulate(kl, axis=1)
    for r in range(kl.shape[0]):
        first = np.searchsorted(reach[r], levels, side="left")
        ok = first < kl.shape[1]
        out[r, ok] = gold[r, first[ok]]
    return out


def _rl_row(config, kl, gold, pen_kl, pen_gold, seed):
    # d up to 0.95 of the least of the runs' largest d, where every run contributes
    levels = (np.linspace(1.0 / _RL_POINTS, 0.95, _RL_POINTS) ** 2) * float(np.max(kl, axis=1).min())
    d = np.sqrt(levels)
    curves = early_stopping(kl, gold, levels)
    boot = scaling.bootstrap_fit(d, curves, "rl", n_boot=config.bootstrap, seed=seed)
    mean = curves.mean(axis=0)
    tail = max(1, pen_kl.shape[-1] // 10)  # a penalized run's end: the mean of its last tenth
    end_kl, end_gold = pen_kl[..., -tail:].mean(axis=-1), pen_gold[..., -tail:].mean(axis=-1)
    stopped = np.array([[early_stopping(kl[g:g + 1], gold[g:g + 1], end_kl[g, j:j + 1])[0, 0]
                         for j in range(end_kl.shape[1])] for g in range(end_kl.shape[0])])
    return {"d": d, "gold": mean, "alpha": boot.fit.alpha, "alpha_interval": boot.alpha_interval,
            "beta": boot.fit.beta, "beta_interval": boot.beta_interval, "peak_d": boot.fit.peak.d,
            "peak_d_interval": boot.peak_interval, "rms_in": boot.fit.residual_rms,
            "penalty": list(config.rl_penalties), "penalty_kl": end_kl.mean(axis=0),
            "penalty_gold": end_gold.mean(axis=0), "early_stopping_gold": np.nanmean(stopped, axis=0),
            "peak_gold": float(np.max(mean)), "groups": int(kl.shape[0])}


def _kl_at_gold(kl, gold, level):
    """KL at which a mean curve (KL ascending) first reaches ``level``, by linear interpolation;
    nan if it never does."""
    above = np.nonzero(gold >= level)[0]
    if above.size == 0:
        return math.nan
    i = int(above[0])
    if i == 0:
        return float(kl[0])
    t = (level - gold[i - 1]) / (gold[i] - gold[i - 1])
    return float(kl[i - 1] + t * (kl[i] - kl[i - 1]))


def analyze(path):
    """Fits and claims of the finished lab run in ``path`` (``ValueError`` if it is not complete)."""
    meta = read_meta(path)
    config = LabConfig(**meta["settings"])
    n = None
    bon, rl = [], []
    top = max(config.data_sizes)
    seeds = range(config.seeds)
    for i, (data, width) in enumerate((dn, w) for dn in config.data_sizes for w in config.widths):
        group = [Cell("proxy", s, width=width, data=data) for s in seeds]
        cells = [load_cell(path, c) for c in group]
        n = cells[0]["n"]
        kl = np.concatenate([c["bon_kl"] for c in cells])
        gold = np.concatenate([c["bon_gold"] for c in cells])
        accuracy = np.array([float(c["accuracy"]) for c in cells])
        row = {"width": width, "data": data, "parameters": parameter_count(config.dim, width),
               "accuracy": float(accuracy.mean()),
               "accuracy_se": float(accuracy.std(ddof=1) / math.sqrt(accuracy.size)),
               "error_tails": [str(c["error_tail"]) for c in cells],
               "tilt_gold": np.concatenate([c["tilt_gold"] for c in cells]).mean(axis=0),
               "quantilizer_gold": np.concatenate([c["quantilizer_gold"] for c in cells]).mean(axis=0),
               "bon_kl": kl.mean(axis=0),
               # the proxy's error along best-of-n: E_π[proxy] - E_π[gold] gained over π0
               "error_gain": np.concatenate([c["bon_proxy"] - c["bon_gold"] for c in cells]).mean(axis=0),
               **_bon_row(config, n, kl, gold, seed=i)}
        bon.append(row)
        if data == top:
            arrays = {k: np.concatenate([c[k] for c in cells]) for k in
                      ("rl_kl", "rl_gold", "rl_penalty_kl", "rl_penalty_gold")}
            rl.append({"width": width, "parameters": row["parameters"],
                       **_rl_row(config, arrays["rl_kl"], arrays["rl_gold"], arrays["rl_penalty_kl"],
                                 arrays["rl_penalty_gold"], seed=1000 + i)})
    noise = []
    for j, kind in enumerate(NOISE_KINDS):
        cells = [load_cell(path, Cell("noise", s, noise=kind)) for s in seeds]
        kl = np.concatenate([c["bon_kl"] for c in cells])
        gold = np.concatenate([c["bon_gold"] for c in cells])
        noise.append({"kind": kind, "error_tails": [str(c["error_tail"]) for c in cells],
                      **_bon_row(config, n, kl, gold, seed=2000 + j)})
    ensembles = []
    cells = [load_cell(path, Cell("ensemble", s)) for s in seeds]
    names = [*AGGREGATIONS, *(f"member{k}" for k in range(config.ensemble_size))]
    for name in names:
        kl = np.concatenate([c[f"{name}_bon_kl"] for c in cells])
        gold = np.concatenate([c[f"{name}_bon_gold"] for c in cells])
        k, peaked = _peak(gold)
        mean = gold.mean(axis=0)
        ensembles.append({"name": name, "bon_kl": kl.mean(axis=0), "gold": mean,
                          "gold_at_n_max": float(mean[-1]), "peak_gold": float(mean[k]),
                          "overoptimization": float(mean[k] - mean[-1]), "falls_after_peak": peaked})
    claims = _claims(config, n, bon, rl, noise, ensembles)
    return LabAnalysis(str(path), config.to_dict(), n, bon, rl, noise, ensembles, claims)


# -- the seven claims -------------------------------------------------------------------------

def _claim1(config, bon):
    peaked = [r for r in bon if r["falls_after_peak"]]
    share = len(peaked) / len(bon)
    noise = f"label flip rate {config.label_flip:g}" + (" (clean labels)" if config.label_flip == 0 else "")
    numbers = {"configurations with a peak": f"{len(peaked)} of {len(bon)}",
               "labels": noise,
               "median peak n": (float(np.median([r["measured_peak_n"] for r in peaked])) if peaked
                                 else math.nan),
               "without a peak": ", ".join(f"w{r['width']}/n{r['data']}" for r in bon
                                           if not r["falls_after_peak"]) or "none"}
    verdict = "AGREES" if share >= 0.5 else "DISAGREES"
    reason = (f"best-of-n gold rises, peaks and then falls by more than two standard errors in {len(peaked)} "
              f"of {len(bon)} proxy configurations ({noise})")
    return Claim(1, "gold rises then falls",
                 "Gold reward first rises, then falls as the proxy is optimized harder (overoptimization).",
                 verdict, reason, numbers)


def smooth_p_value(size, value, interval, level=0.95):
    """p-value of the χ² of a weighted quadratic fit of ``value`` in log10(size), the weights
    from the bootstrap intervals (standard error = half-width / z_level); 1.0 when there are
    no more points than parameters."""
    from scipy import stats

    x = np.log10(np.asarray(size, dtype=float))
    y = np.asarray(value, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.array([(hi - lo) / (2 * z) for lo, hi in interval])
    if x.size <= 3 or not np.all(np.isfinite(y)) or not np.all(se > 0):
        return 1.0 if x.size <= 3 else math.nan
    design = np.column_stack([np.ones_like(x), x, x * x]) / se[:, None]
    coef, *_ = np.linalg.lstsq(design, y / se, rcond=None)
    chi2 = float(np.sum((design @ coef - y / se) ** 2))
    return float(stats.chi2.sf(chi2, x.size - 3))


def _claim2(config, bon, rl):
    top_data, top_width = max(config.data_sizes), max(config.widths)
    by_size = [r for r in bon if r["data"] == top_data]
    by_data = [r for r in bon if r["width"] == top_width]
    def p_value(rows, size, key):
        return smooth_p_value([r[size] for r in rows], [r[key] for r in rows],
                              [r[f"{key}_interval"] for r in rows])

    tests = {"β_bon vs proxy size": p_value(by_size, "parameters", "beta"),
             "d*_bon vs proxy size": p_value(by_size, "parameters", "peak_d"),
             "β_bon vs data size": p_value(by_data, "data", "beta"),
             "β_RL vs proxy size": p_value(rl, "parameters", "beta")}
    alphas = np.array([r["alpha"] for r in rl])
    spread = float((alphas.max() - alphas.min()) / abs(alphas.mean()))
    numbers = {f"p({k})": v for k, v in tests.items()}
    numbers["α_RL spread (max-min)/mean"] = spread
    numbers.update({f"β_bon at {r['parameters']} params": r["beta"] for r in by_size})
    numbers.update({f"β_bon at {r['data']} comparisons": r["beta"] for r in by_data})
    numbers.update({f"α_RL at {r['parameters']} params": r["alpha"] for r in rl})
    rough = [k for k, p in tests.items() if not p >= SMOOTH_P]
    constant = spread <= ALPHA_RL_SPREAD
    verdict = "AGREES" if not rough and constant else "DISAGREES"
    parts = [f"{'no' if not rough else ', '.join(rough)} coefficient{'s' if len(rough) != 1 else ''} "
             f"{'departs' if len(rough) == 1 else 'depart'} from a smooth (quadratic in log size) trend "
             f"at p < {SMOOTH_P}",
             f"α_RL varies by {spread:.2f} of its mean across sizes ({'within' if constant else 'beyond'} "
             f"{ALPHA_RL_SPREAD})"]
    return Claim(2, "coefficients scale smoothly",
                 "β_bon and the peak move smoothly with proxy size and data size; α_RL is roughly constant "
                 "across proxy sizes.", verdict, "; ".join(parts), numbers)


def _claim3(bon, rl):
    ratios = {}
    for r in rl:
        b = next(x for x in bon if x["width"] == r["width"] and x["data"] == max(y["data"] for y in bon))
        level = 0.5 * min(b["measured_peak_gold"], r["peak_gold"])
        kl_rl = _kl_at_gold(r["d"] ** 2, r["gold"], level)
        ratios[r["parameters"]] = kl_rl / _kl_at_gold(b["bon_kl"], b["gold"], level)
    values = np.array(list(ratios.values()))
    more = int(np.sum(values > 1))
    verdict = "AGREES" if more > values.size / 2 else "DISAGREES"
    numbers = {f"KL_RL/KL_bon at {p} params": v for p, v in ratios.items()}
    reason = (f"to reach half of the smaller of the two peaks, RL spends more KL than best-of-n for {more} "
              f"of {values.size} proxy sizes (median ratio {np.median(values):.3g})")
    return Claim(3, "RL spends more KL than best-of-n",
                 "RL needs more KL than best-of-n for the same gold gain.", verdict, reason, numbers)


def _claim4(rl):
    worst = 0.0
    numbers = {}
    for r in rl:
        gap = (r["penalty_gold"] - r["early_stopping_gold"]) / r["peak_gold"]
        finite = gap[np.isfinite(gap)]
        worst = max(worst, float(np.max(np.abs(finite)))) if finite.size else worst
        for beta, kl, g in zip(r["penalty"], r["penalty_kl"], gap, strict=True):
            numbers[f"{r['parameters']} params, penalty {beta:g}: KL, gap/peak"] = f"{kl:.3g}, {g:+.3f}"
    verdict = "AGREES" if worst <= FRONTIER_TOLERANCE else "DISAGREES"
    reason = (f"the end points of the KL-penalized runs lie within {worst:.3f} of the peak gold gain of the "
              f"early-stopped unpenalized run at the same KL (tolerance {FRONTIER_TOLERANCE})")
    return Claim(4, "a KL penalty acts as early stopping",
                 "A KL penalty traces the same gold-KL frontier as early stopping of the unpenalized run.",
                 verdict, reason, numbers)


def _claim5(config, bon):
    by_data = {}
    for r in bon:
        by_data.setdefault(r["data"], []).append(r["accuracy"])
    accuracy = {k: float(np.mean(v)) for k, v in sorted(by_data.items())}
    near = [k for k, a in accuracy.items() if a < 0.5 + CHANCE_BAND]
    sizes = list(accuracy)
    numbers = {f"accuracy at {k} comparisons": a for k, a in accuracy.items()}
    if near and near[-1] < sizes[-1]:
        verdict = "AGREES"
        reason = (f"proxies trained on {near[-1]} comparisons or fewer are near chance (held-out accuracy "
                  f"< {0.5 + CHANCE_BAND}); with {sizes[-1]} they reach {accuracy[sizes[-1]]:.3f}")
    else:
        verdict = "DISAGREES"
        reason = (f"no data size in {sizes} leaves the proxies near chance: even {sizes[0]} comparisons give "
                  f"held-out accuracy {accuracy[sizes[0]]:.3f} (>= {0.5 + CHANCE_BAND})"
                  if not near else "the proxies are near chance at every data size")
    return Claim(5, "small data is near chance",
                 "Below some amount of comparison data the proxies are near chance.", verdict, reason,
                 numbers)


def _claim6(ensembles):
    rows = {r["name"]: r for r in ensembles}
    single = np.mean([r["overoptimization"] for r in ensembles if r["name"].startswith("member")])
    single_end = np.mean([r["gold_at_n_max"] for r in ensembles if r["name"].startswith("member")])
    numbers = {"single proxy: peak - gold at n_max": float(single),
               "single proxy: gold at n_max": float(single_end)}
    better = []
    for how in ("min", "uncertainty"):
        numbers[f"{how}: peak - gold at n_max"] = rows[how]["overoptimization"]
        numbers[f"{how}: gold at n_max"] = rows[how]["gold_at_n_max"]
        if rows[how]["overoptimization"] < single and rows[how]["gold_at_n_max"] > single_end:
            better.append(how)
    numbers["mean: gold at n_max"] = rows["mean"]["gold_at_n_max"]
    verdict = "AGREES" if len(better) == 2 else "DISAGREES"
    reason = (f"{' and '.join(better) or 'neither'} of worst-case and uncertainty-weighted aggregation "
              "both lower the fall from the peak and raise the gold at the largest n, against the average "
              "single member")
    return Claim(6, "ensembles reduce overoptimization",
                 "Worst-case and uncertainty-weighted ensembles reduce overoptimization.", verdict, reason,
                 numbers)


def _claim7(config, noise):
    rows = {r["kind"]: r for r in noise}
    numbers, error = {}, {}
    for kind, r in rows.items():
        error[kind] = r["rms_out"] / max(abs(r["measured_peak_gold"]), 1e-12)
        numbers[f"{kind}: error tail verdicts"] = ", ".join(r["error_tails"])
        numbers[f"{kind}: peak gold, gold at n_max"] = (f"{r['measured_peak_gold']:.3g}, "
                                                         f"{r['gold_at_n_max']:.3g}")
        numbers[f"{kind}: bon-form error beyond n_fit / peak"] = error[kind]
        numbers[f"{kind}: best form beyond n_fit"] = r["best_form"]
    heavy, light = rows["heavy"], rows["light"]
    returns = heavy["gold_at_n_max"] < RETURNED * heavy["measured_peak_gold"]
    light_keeps = light["gold_at_n_max"] >= KEPT * light["measured_peak_gold"]
    mispredicts = error["heavy"] > error["light"]
    verdict = "AGREES" if returns and light_keeps and mispredicts else "DISAGREES"
    reason = (f"heavy-tailed error: gold at the largest n {'falls below' if returns else 'stays above'} "
              f"{RETURNED:g} of its peak; light-tailed: it "
              f"{'stays within' if light_keeps else 'falls below'} "
              f"{KEPT:g} of its peak; the best-of-n form fitted on n <= {config.n_fit:g} mispredicts large n "
              f"{'more' if mispredicts else 'less'} under heavy error")
    return Claim(7, "heavy-tailed error returns best-of-n to baseline",
                 "With heavy-tailed proxy error, best-of-n gold returns to the baseline and Gao's best-of-n "
                 f"form fitted on n <= {config.n_fit:g} mispredicts large n; with light-tailed error it does "
                 "not (Kwa et al.).", verdict, reason, numbers)


def _claims(config, n, bon, rl, noise, ensembles):
    return [_claim1(config, bon), _claim2(config, bon, rl), _claim3(bon, rl), _claim4(rl),
            _claim5(config, bon), _claim6(ensembles), _claim7(config, noise)]
