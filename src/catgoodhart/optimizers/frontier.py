"""Compare optimizers at matched KL (or matched maximum odds ratio).

For each method the strength is solved so that the policy's KL(π‖π0) (or sup dπ/dπ0) equals each
target exactly: in closed form where the map is explicit (quantilizer q = e^{-KL}, capped odds
takes the KL as its strength), otherwise by a vectorized regula falsi (Illinois) on a monotone
parameterization x of the strength, all targets at once. Targets a method cannot reach (a fixed
threshold spends at most -log F̄_U(t); the cap c at most log c; a heavy-tailed tilt does not
exist) are nan with the reason.
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart._results import Result
from catgoodhart.optimizers import policy
from catgoodhart.optimizers._solve import illinois
from catgoodhart.optimizers._table import level_for_log_mass, table_for, tail_at
from catgoodhart.optimizers.best_of_n import best_of_n
from catgoodhart.optimizers.bounded_tilt import bounded_tilt
from catgoodhart.optimizers.capped_odds import capped_odds
from catgoodhart.optimizers.conditioning import conditioning
from catgoodhart.optimizers.kl_tilt import kl_tilt
from catgoodhart.optimizers.quantilizer import quantilizer
from catgoodhart.optimizers.threshold import threshold

DEFAULT_METHODS = ("kl_tilt", "best_of_n", "quantilizer", "capped_odds", "bounded_tilt", "threshold")
DEFAULT_OPTIONS = {"capped_odds": {"cap": 1e3}, "bounded_tilt": {"bound": "tanh", "c": 3.0},
                   "threshold": {"mass": 1e-6}}


@dataclass(frozen=True, repr=False)
class Frontier(Result):
    """What each method reaches at the matched values of ``matched`` ("kl" or "max_odds_ratio"):
    dicts keyed by method, arrays aligned with ``target``."""

    model: str
    matched: str
    target: np.ndarray
    methods: list
    options: dict
    strength: dict
    kl: dict
    mean_utility: dict
    mean_proxy: dict
    max_odds_ratio: dict
    reason: dict

    def plot(self, ax=None, *, proxy=False):
        """Utility (or proxy, with ``proxy=True``) reached against the matched quantity."""
        from catgoodhart.viz import style

        if ax is None:
            fig = style.new_figure(6.0)
            ax = fig.subplots()
        values = self.mean_proxy if proxy else self.mean_utility
        for name in self.methods:
            ax.plot(self.target, values[name], label=name, lw=1.6)
        ax.set_xscale("log")
        ax.set_xlabel("KL(π‖π0) [nats]" if self.matched == "kl" else "max dπ/dπ0")
        ax.set_ylabel("E_π[U] (proxy)" if proxy else "E_π[V] (utility)")
        ax.legend(fontsize=8)
        return ax


def _spec(method):
    if isinstance(method, str):
        return method, {}
    name, options = method
    return name, dict(options)


def frontier(model, methods=DEFAULT_METHODS, *, kl=None, odds=None, options=None):
    """Each method's policy at exactly the KL values ``kl`` (or maximum odds ratios ``odds``).

    ``methods``: names from ``DEFAULT_METHODS`` and "conditioning", or (name, {option: value})
    pairs; ``options`` maps names to options too. Options: capped_odds ``cap`` (default 1e3),
    bounded_tilt ``bound``/``c`` (tanh, 3), threshold ``t`` or ``mass`` (the level where
    F̄_U(t) = mass, default 1e-6); at matched odds capped_odds takes the odds as its cap and
    ``kl`` (default: no budget, the quantilizer)."""
    model = policy.check_model(model)
    if (kl is None) == (odds is None):
        raise ValueError("give exactly one of `kl` and `odds`")
    matched = "kl" if kl is not None else "max_odds_ratio"
    if kl is not None:
        target, _ = policy.strengths("kl", kl, low=0.0, low_open=True)
    else:
        target, _ = policy.strengths("odds", odds, low=1.0, low_open=True)
    specs = [_spec(m) for m in methods]
    for name, _ in specs:
        if name not in METHODS:
            raise ValueError(f"`methods`: unknown method {name!r}; known: {', '.join(METHODS)}")
    fields = {k: {} for k in ("strength", "kl", "mean_utility", "mean_proxy", "max_odds_ratio", "reason")}
    used = {}
    for name, opts in specs:
        merged = {**DEFAULT_OPTIONS.get(name, {}), **(options or {}).get(name, {}), **opts}
        used[name] = merged
        result, strength = METHODS[name](model, target, matched, merged)
        reached = np.asarray(getattr(result, matched), dtype=float)
        ok = np.asarray(result.exists) & (np.abs(reached - target) <= 1e-9 * target)
        reasons = np.broadcast_to(np.asarray(result.reason, dtype=object), target.shape).copy()
        reasons = np.where(ok, reasons, np.where(np.asarray(result.exists), f"{matched} not reachable: " +
                                                  _unreachable(name, merged, matched), reasons))
        fields["strength"][name] = np.where(ok, strength, math.nan)
        for key in ("kl", "mean_utility", "mean_proxy", "max_odds_ratio"):
            fields[key][name] = np.where(ok, np.asarray(getattr(result, key), dtype=float), math.nan)
        fields["reason"][name] = reasons
    return Frontier(repr(model), matched, target, [n for n, _ in specs], used, **fields)


def _unreachable(name, opts, matched):
    if name == "threshold":
        return "a fixed level t spends at most -log F̄_U(t)" if matched == "kl" else "p/F̄_U(t) <= 1/F̄_U(t)"
    if name == "capped_odds":
        return "the cap c allows at most KL = log c"
    if name == "bounded_tilt" and opts.get("bound") == "clip":
        return "the clipped tilt tends to π0(· | U >= c) as β -> 0"
    if name == "conditioning":
        return "a pool's levels give only its own tail masses"
    return "the method's range ends before this value"


def _solve(run, target, matched, x_lo, x_max):
    """(result, x): ``run(x)`` gives an OptimizedPolicy, increasing in x in the matched field."""
    x = illinois(lambda x: getattr(run(x), matched), target, x_lo, x_max)
    return run(x), x


def _kl_tilt(model, target, matched, _opts):
    def run(x):
        return kl_tilt(model, beta=np.exp(-x), probabilities=False)

    if model.continuous and model.heavy_tailed:
        r = run(np.zeros(target.size))
        return r, np.full(target.size, math.nan)
    if matched == "max_odds_ratio" and math.isinf(model.upper_end):
        r = run(np.zeros(target.size))
        return _all_inf_odds(r), np.full(target.size, math.nan)
    r, x = _solve(run, target, matched, -20.0, 20.0)
    return r, np.exp(-x)


def _all_inf_odds(r):
    import dataclasses

    return dataclasses.replace(r, exists=np.zeros(np.shape(r.kl), dtype=bool),
                               reason=np.full(np.shape(r.kl), "the tilt's odds ratio e^{λu - K} is "
                                              "unbounded on an unbounded proxy", dtype=object))


def _best_of_n(model, target, matched, _opts):
    if matched == "kl":
        r = best_of_n(model, kl=target, probabilities=False)
        return r, r.strength
    if model.continuous:
        return best_of_n(model, n=target, probabilities=False), target

    def run(x):
        return best_of_n(model, n=np.exp(x), probabilities=False)

    r, x = _solve(run, target, matched, 1e-9, 30.0)
    return r, np.exp(x)


def _quantilizer(model, target, matched, _opts):
    if model.continuous:
        q = np.exp(-target) if matched == "kl" else 1.0 / target
        return quantilizer(model, q=q, probabilities=False), q

    def run(x):
        return quantilizer(model, q=np.exp(-x), probabilities=False)

    r, x = _solve(run, target, matched, 1e-12, 40.0)
    return r, np.exp(-x)


def _conditioning(model, target, matched, _opts):
    r, q = _quantilizer(model, target, matched, _opts)
    if model.continuous:
        t = level_for_log_mass(table_for(model), np.log(q))
        return conditioning(model, t=t, probabilities=False), t
    # a pool: the levels are its values; only their own tail masses are matched
    j = np.searchsorted(-model.upper_mass, -q, side="right") - 1
    t = model.values[np.clip(j, 0, model.values.size - 1)]
    return conditioning(model, t=t, probabilities=False), t


def _capped_odds(model, target, matched, opts):
    if matched == "kl":
        return capped_odds(model, kl=target, cap=opts["cap"], probabilities=False), target
    budget = opts.get("kl", math.inf)
    results = [capped_odds(model, kl=min(budget, 1e300), cap=c, probabilities=False) for c in target]
    return _stack(results), target


def _stack(results):
    import dataclasses

    first = results[0]
    arrays = {k: np.array([getattr(r, k) for r in results]) for k in
              ("strength", "exists", "kl", "mean_proxy", "mean_utility", "max_odds_ratio")}
    arrays["reason"] = np.array([r.reason for r in results], dtype=object)
    return dataclasses.replace(first, **arrays)


def _bounded_tilt(model, target, matched, opts):
    def run(x):
        return bounded_tilt(model, beta=np.exp(-x), bound=opts["bound"], c=opts["c"], probabilities=False)

    r, x = _solve(run, target, matched, -25.0, 12.0)  # λ up to 1.6e5
    return r, np.exp(-x)


def _threshold(model, target, matched, opts):
    if "t" in opts:
        t = float(opts["t"])
    elif model.continuous:
        t = float(level_for_log_mass(table_for(model), np.array([math.log(opts["mass"])]))[0])
    else:
        k = int(np.searchsorted(-model.upper_mass, -opts["mass"], side="left"))
        t = float(model.values[min(max(k - 1, 0), model.values.size - 2)])
    opts["t"] = t
    base = threshold(model, t=t, p=0.5, probabilities=False)
    if not base.exists:
        nothing = np.full(target.size, math.nan)
        return threshold(model, t=t, p=np.full(target.size, 0.5), probabilities=False), nothing
    if model.continuous:
        sf = float(np.exp(tail_at(model, np.array([t]))[0][0]))
    else:
        sf = float(model.upper_mass[np.searchsorted(model.values, t, side="right")])

    def p_of(x):  # x > 0 moves p from F̄(t) towards 1
        return sf + (1.0 - sf) * -np.expm1(-x)

    def run(x):
        return threshold(model, t=t, p=np.minimum(p_of(x), 1.0 - 1e-16), probabilities=False)

    r, x = _solve(run, target, matched, 1e-12, 40.0)
    return r, p_of(x)


METHODS = {"kl_tilt": _kl_tilt, "best_of_n": _best_of_n, "quantilizer": _quantilizer,
           "capped_odds": _capped_odds, "bounded_tilt": _bounded_tilt, "threshold": _threshold,
           "conditioning": _conditioning}
