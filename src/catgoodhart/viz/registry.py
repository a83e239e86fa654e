"""The figures this package draws, their files and captions, and ``make_figures``.

Renderers are imported only when a figure is made, so importing the registry (e.g. to list
figures in the CLI) loads neither matplotlib nor the numerical modules.
"""

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from catgoodhart.viz import _io


@dataclass(frozen=True)
class _Entry:
    module: str
    files: tuple
    description: str
    caption: str


_ENTRIES = {
    "threshold": _Entry(
        "threshold_animation",
        ("threshold_animation.gif", "threshold_animation.mp4", "threshold_t2.png", "threshold_t100.png",
         "threshold_t10000.png"),
        "Theorem 1 animated: the threshold family P_t on Student-t(3) (p = t^-0.8) beside a Normal "
        "base at the same KL (GIF, MP4 and stills at t = 2, 100, 10^4)",
        "As the threshold t grows, the Student-t(3) base (left) moves mass p = t^-0.8 above t: "
        "E_P[X] grows without bound while KL(P_t‖Q) falls towards 0. A Normal base given the same KL "
        "budget (right) gains almost nothing: its mean stays under the Donsker–Varadhan ceiling "
        "σ√(2·KL) (dashed), which shrinks to 0 with the KL."),
    "frontier": _Entry(
        "frontier", ("kl_frontier.png",),
        "Best attainable mean gain at KL <= ε for light and heavy bases of variance 1 (log-log)",
        "For light tails the best mean gain at KL ≤ ε is finite and vanishes as ε → 0 (normal: "
        "exactly √(2ε)). For the heavy Student-t(3) there is no such curve: threshold members with "
        "KL exactly ε reach ever higher means as t grows (one line per t), so the supremum is ∞ at "
        "every ε."),
    "tilting": _Entry(
        "tilting_theorem4", ("tilting_theorem4.png",),
        "Theorem 4: utility gain and KL of the optimal KL-penalized policy against β, independent "
        "light-tailed X and V; the exponential error's missing optimum below β = 1/r",
        "With independent light-tailed error and unbounded utility, the optimal policy's utility "
        "grows without bound as the penalty β → 0 (a bounded utility saturates at its maximum). "
        "With exponential error of rate r = 2 the optimum does not exist for β ≤ 1/r (shaded), and "
        "its KL diverges as β approaches 1/r; where it exists its utility is the same as with "
        "normal error, since E_π*[V] = K_V′(1/β)."),
    "conditioning": _Entry(
        "conditioning_curves", ("conditioning.png",),
        "Theorems 5–6: E[V | X + V >= t] against t for heavy, exponential and normal error, and a "
        "dependent light-tailed example",
        "Conditioning on a high proxy U = X + V: with heavy-tailed Student-t(3) error the utility "
        "returns to E[V] = 0 as t grows (Theorem 5), with normal error it grows like t/2 (Theorem 6), "
        "and exponential error sits between (limit 1). (b) Unbiased light-tailed error that depends "
        "on V still caps the utility: its limit is 1, not ∞ (the paper's footnote states 0)."),
    "best_of_n": _Entry(
        "best_of_n", ("best_of_n_grid.png",),
        "The paper's synthetic best-of-n grid: exact E_bon[V] and E_bon[U] against n, with seeded "
        "Monte Carlo points",
        "Best-of-n on U = X + V for two utilities (columns) and five errors (rows): with normal error "
        "the utility keeps rising with n; with lognormal and Student-t errors it rises, peaks and "
        "declines while the proxy (dashed, right axis) keeps climbing (t(5) error with t(10) utility "
        "is still near its peak at n = 65,536); with Lévy error the utility barely leaves 0. Lines "
        "are exact, dots are Monte Carlo means of 100 seeded trials (±1 s.e.)."),
    "token_tree": _Entry(
        "token_tree", ("token_tree_policy.png",),
        "Theorem 3 on a binary token tree: mean return and per-state KL of the constructed policy "
        "as t grows; Normal-leaf soft-optimal frontier for contrast",
        "On a binary token tree with Student-t(1.5) leaf returns, the policy built from the "
        "reweighted trajectories reaches ever higher mean return while its expected per-state KL "
        "(equal to the trajectory KL by the chain rule) falls; the finite tree follows the "
        "infinite-tree curve until its sampled tail runs out. With Normal leaves even the best "
        "policy's mean goes to 0 with the KL (c)."),
    "gao_forms": _Entry(
        "gao_forms", ("gao_forms.png",),
        "Gao et al. functional forms R_bon(d) = d(α − βd) and R_RL(d) = d(α − β log d) with their peaks",
        "Gao et al.'s fitted forms for gold reward against d = √KL: both rise, peak at d* "
        "(best-of-n: α/(2β); RL: e^{α/β − 1}) and then fall, the RL form more slowly; a larger β "
        "moves the peak to smaller KL and lower reward."),
    "optimizers": _Entry(
        "optimizer_frontier", ("optimizer_frontier.png",),
        "The optimizers of catgoodhart.optimizers compared: utility E_π[V] at matched KL and at matched "
        "maximum odds ratio, Student-t(3) and Normal error, V ~ Normal(0, 1)",
        "Utility reached at matched KL (top) and matched maximum odds ratio (bottom). With Student-t(3) "
        "error (left) the KL-penalized tilt has no optimum at all; best-of-n, the quantilizer and the "
        "bounded (tanh) tilt gain up to 1.2–1.4 at a few nats and give it back as the KL or odds ratio "
        "grows further, where they select the proxy's far tail; the tilt truncated at odds ratio 1000 stays "
        "positive up to its largest KL, log 1000; Theorem 1's threshold member, which moves its mass far "
        "into the tail, gains almost nothing at any KL. With Normal error (right) every method's utility "
        "rises with the KL and the odds ratio, the tilt's highest at matched KL."),
    "lab": _Entry(
        "lab_curves", ("lab_gold_vs_kl.png", "lab_coefficients.png", "lab_heavy_light.png"),
        "The overoptimization lab (small preset): gold against d = √KL per optimizer, fitted coefficients "
        "against proxy and data size, and best-of-n under heavy- and light-tailed injected error",
        "Gao et al.'s synthetic setup on two cores: proxies trained by Bradley–Terry on a random gold "
        "network's comparisons. (a) Best-of-n, the exact KL tilt and the quantilizer rise, peak and fall; "
        "Gao's form d(α − βd), fitted on n ≤ 1000 (dotted line), is dashed. RL by policy gradient, read "
        "as early stopping, beside the end points of KL-penalized runs. The coefficients carry 95% "
        "bootstrap intervals over seeds and prompts. With Student-t(2) error injected into the proxy "
        "(tail verdict: heavy) best-of-n gold returns towards 0 at large n; with normal error (light) "
        "it does not."),
}

#: figure name -> one-line description
FIGURES = MappingProxyType({name: e.description for name, e in _ENTRIES.items()})
#: figure name -> caption (what to see), for the README
CAPTIONS = MappingProxyType({name: e.caption for name, e in _ENTRIES.items()})
#: figure name -> the file names it writes
FILES = MappingProxyType({name: e.files for name, e in _ENTRIES.items()})


def _selected(only):
    if only is None:
        return list(_ENTRIES)
    names = [only] if isinstance(only, str) else list(only)
    unknown = [n for n in names if n not in _ENTRIES]
    if unknown or not names:
        raise ValueError(f"`only` must name figures among {', '.join(_ENTRIES)}; got "
                         f"{', '.join(map(repr, unknown)) if unknown else 'no names'}")
    return list(dict.fromkeys(names))


def make_figures(out_dir="figures", only=None, *, fast=False, progress=None):
    """Draw the figures (all, or those named by ``only``) into ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files (created if missing); names are fixed, see ``FILES``.
    only : str or sequence of str, optional
        Figure names from ``FIGURES``; an unknown name raises ``ValueError`` listing them.
    fast : bool
        Fewer frames, points and Monte Carlo trials (for tests); the same code paths.
    progress : callable, optional
        Called as ``progress(done, total, name)`` after each figure.

    Returns
    -------
    list of pathlib.Path
        The files written, in registry order.

    Every file is written to a temporary file beside it and renamed over the old one only when
    all of that figure's files are complete; if drawing fails, the figure's existing files are
    left untouched, no temporary file remains, and the error propagates (figures finished
    earlier keep their new files).
    """
    names = _selected(only)
    out = Path(os.fspath(out_dir))
    out.mkdir(parents=True, exist_ok=True)
    from catgoodhart.viz import style

    written = []
    for done, name in enumerate(names, start=1):
        entry = _ENTRIES[name]
        renderer = importlib.import_module(f"catgoodhart.viz.{entry.module}")
        with style.style_context(), _io.Staging(out, entry.files) as stage:
            renderer.render(stage, fast=fast)
            written += stage.commit()
        if progress is not None:
            progress(done, len(names), name)
    return written
