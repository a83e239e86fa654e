"""``probe_report``: the tail verdict of a probe run and, for adversarial runs, the mixture policy.

For a sampling run (random or LM), every finished reward goes through
:func:`catgoodhart.tails.tail_report` (γ̂ by Hill, Pickands and the moment estimator, the
Weibull-tail θ̂ and the heavy / light / inconclusive verdict with its reasons), and the
2 × 3 diagnostic figure is drawn.

A reward model's reward is defined up to an additive constant and a unit; the verdict reads
only statistics that do not change under r -> a·r + b (a > 0), so it needs no choice of
origin. The log-based supporting estimates (Hill, moment, Weibull-tail) are those of the raw
rewards; the figure's log-scale panels use the median as origin, so that the upper half is
positive.

For an adversarial run, each found sequence x with reward r(x) and reference log q(x) gives
the mixture policy P = (1 − f) Q + f δ_x: KL(P‖Q) (exact, and ≈ f log(f/q)) and reward gain
f (r(x) − E_Q[r]) (Kwa et al., arXiv 2407.14503, §5). E_Q[r] is the mean reward of an LM
run with the same reward model when one is given, else the mean starting reward of the
searches (random tokens). For each f the sequence with the largest gain per nat of KL is
reported.
"""

import math
import os
from dataclasses import dataclass

import numpy as np

from catgoodhart._results import Result
from catgoodhart.probe.mixture import mixture_gain, mixture_kl, mixture_kl_approx
from catgoodhart.probe.store import RunStore, write_json

FRACTIONS = (1e-3, 1e-2, 1e-1)


@dataclass(frozen=True, repr=False)
class MixturePolicy(Result):
    """The policy emitting sequence ``index`` with probability ``f`` and the base policy otherwise."""

    f: float
    index: int
    reward: float  # r(x)
    logq: float  # log q(x) under the reference LM
    base_reward: float  # E_Q[r]
    base_source: str
    kl: float  # exact KL(P‖Q), nats
    kl_approx: float  # f log(f / q)
    gain: float  # f (r(x) − E_Q[r])


@dataclass(frozen=True, repr=False)
class ProbeReport(Result):
    """Summary of one run: reward statistics, tail verdict (sampling runs), mixture policies
    (adversarial runs), and where the figure was written."""

    path: str
    probe: str
    n: int
    complete: bool
    rm: str
    lm: str | None
    mean: float
    std: float
    min: float
    max: float
    verdict: str  # heavy / light / inconclusive, or "not assessed"
    reasons: list
    tail: object  # TailReport, or None with ``tail_reason``
    tail_reason: str
    figure: str | None
    start_mean: float | None  # adversarial: mean reward of the random starting sequences
    mixtures: list

    def summary(self):
        """Lines for people: the run, its rewards, the verdict and its reasons, the mixtures."""
        state = "complete" if self.complete else "incomplete"
        lines = [f"{self.path}: {self.probe} probe, {self.n} rewards ({state})",
                 f"  reward model: {self.rm}" + (f"; language model: {self.lm}" if self.lm else ""),
                 f"  reward mean {self.mean:.4g}, sd {self.std:.4g}, range [{self.min:.4g}, {self.max:.4g}]"]
        if self.tail is not None:
            lines += ["  " + line for line in self.tail.summary().splitlines()]
        else:
            lines.append(f"  tail verdict not assessed: {self.tail_reason}")
        if self.figure:
            lines.append(f"  figure: {self.figure}")
        if self.start_mean is not None:
            lines.append(f"  searches: mean start reward {self.start_mean:.4g}, "
                         f"best final reward {self.max:.4g}")
        for m in self.mixtures:
            lines.append(f"  mixture f = {m.f:g}: sequence {m.index} "
                         f"(r = {m.reward:.4g}, log q = {m.logq:.6g}): "
                         f"KL = {m.kl:.4g} nats (≈ f log(f/q) = {m.kl_approx:.4g}), reward gain "
                         f"{m.gain:.4g} over E r = {m.base_reward:.4g} ({m.base_source})")
        return "\n".join(lines)


def probe_report(path, *, figure=True, base_runs=(), fractions=FRACTIONS, seed=0):
    """Report on the run folder ``path``; writes ``report.json``, ``report.txt`` and (sampling
    runs, ``figure=True``) ``tails.png`` into it. ``base_runs`` are other run folders; an LM run
    among them with the same reward model gives E_Q[r] for the mixture policies."""
    store = RunStore.open(path)
    meta = store.meta
    values = store.rewards()
    if values.size == 0:
        raise ValueError(f"{store.path}: no finished batches yet")
    models = meta.get("models", {})
    rm_spec = (models.get("rm") or {}).get("spec", "?")
    lm_spec = (models.get("lm") or {}).get("spec")
    finite = values[np.isfinite(values)]
    tail, reason, fig_path = None, "", None
    verdict, reasons = "not assessed", []
    mixtures, start_mean = [], None
    if meta["probe"] == "adversarial":
        reason = "adversarial rewards are optimized, not sampled"
        arrays = store.arrays()
        start_mean = float(np.mean(arrays["start_rewards"]))
        base, source = _base_reward(meta, base_runs, start_mean)
        mixtures = mixture_policies(arrays["rewards"], arrays["logq"], base, source, fractions)
    elif finite.size < 50:
        reason = f"{finite.size} finite rewards; the tail estimators need at least 50"
    else:
        from catgoodhart.tails.report import tail_report

        tail = tail_report(finite, seed=seed)
        verdict, reasons = tail.verdict, list(tail.reasons)
        if figure:
            from catgoodhart.tails.diagnostics import save_diagnostic_figure

            fig_path = os.path.join(store.path, "tails.png")
            save_diagnostic_figure(finite, fig_path, center="median",
                                   title=f"{meta['probe']} probe: {rm_spec} (n = {finite.size:,})")
    report = ProbeReport(store.path, meta["probe"], int(values.size), bool(meta.get("complete")), rm_spec,
                         lm_spec, float(np.mean(finite)), float(np.std(finite)), float(np.min(finite)),
                         float(np.max(finite)), verdict, reasons, tail, reason,
                         fig_path, start_mean, mixtures)
    write_json(os.path.join(store.path, "report.json"), _json_safe(report.to_dict()))
    with open(os.path.join(store.path, "report.txt"), "w", encoding="utf-8") as f:
        f.write(report.summary() + "\n")
    return report


def mixture_policies(rewards, logq, base_reward, base_source, fractions=FRACTIONS):
    """For each f, the sequence with the largest gain per nat of exact KL, as MixturePolicy."""
    rewards = np.asarray(rewards, dtype=float)
    logq = np.asarray(logq, dtype=float)
    ok = np.isfinite(rewards) & np.isfinite(logq)
    out = []
    if not ok.any():
        return out
    for f in fractions:
        kl = mixture_kl(f, np.where(ok, logq, 0.0))
        gain = mixture_gain(f, rewards, base_reward)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ok & (kl > 0), gain / kl, -np.inf)
        i = int(np.argmax(ratio))
        out.append(MixturePolicy(float(f), i, float(rewards[i]), float(logq[i]), float(base_reward),
                                 base_source, float(kl[i]), float(mixture_kl_approx(f, logq[i])),
                                 float(gain[i])))
    return out


def _base_reward(meta, base_runs, start_mean):
    rm = (meta.get("models", {}).get("rm") or {})
    for other in base_runs:
        try:
            o = RunStore.open(other)
        except ValueError:
            continue
        if o.meta.get("probe") == "lm" and (o.meta.get("models", {}).get("rm") or {}) == rm:
            values = o.rewards()
            if values.size:
                return float(np.mean(values)), f"mean of {values.size} LM samples in {o.path}"
    return start_mean, "mean start reward of the searches (random tokens)"


def _json_safe(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj
