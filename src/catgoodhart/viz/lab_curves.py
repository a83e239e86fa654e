"""The overoptimization lab's figures, drawn from a ``LabAnalysis``
(:func:`catgoodhart.lab.analysis.analyze`):

* ``lab_gold_vs_kl.png``: gold gain against d = √KL: best-of-n for every proxy size with the fitted
  form, best-of-n, the KL tilt and the quantilizer for the proxy that overoptimizes most, and RL
  with and without a KL penalty;
* ``lab_coefficients.png``: β_bon, d*_bon and α_RL, β_RL against proxy size, and β_bon against
  data size, with bootstrap intervals;
* ``lab_heavy_light.png``: best-of-n gold under heavy- and light-tailed injected error, the error's
  tail verdicts, and Gao's best-of-n form fitted on n <= n_fit.
"""

import math

import numpy as np

from catgoodhart import scaling
from catgoodhart.viz import _io, style

FILES = ("lab_gold_vs_kl.png", "lab_coefficients.png", "lab_heavy_light.png")
_D_LABEL = r"$d = \sqrt{\mathrm{KL}(\pi\|\pi_0)}$"


def _fit_line(ax, row, form, colour, d_max):
    d = np.linspace(0.0, d_max, 200)
    ax.plot(d, scaling.gold_reward(d, row["alpha"], row["beta"], form), ls="--", lw=1.0, color=colour)


def draw_gold_vs_kl(analysis, path):
    fig = style.new_figure(4.4, dpi=style.SAVE_DPI)
    ax_size, ax_method, ax_rl = fig.subplots(1, 3)
    sizes = sorted({r["data"] for r in analysis.bon})
    middle = sizes[len(sizes) // 2]
    rows = [r for r in analysis.bon if r["data"] == middle]
    for row, colour in zip(rows, style.CYCLE, strict=False):
        ax_size.plot(row["d"], row["gold"], "o-", ms=2.5, color=colour, label=f"{row['parameters']} params")
        _fit_line(ax_size, row, "bon", colour, float(row["d"].max()))
    n_fit = analysis.config["n_fit"]
    d_fit = math.sqrt(math.log(n_fit) - 1 + 1 / n_fit)
    ax_size.axvline(d_fit, color=style.BLACK, lw=0.6, ls=":")
    ax_size.set_title(f"(a) best-of-n by proxy size ({middle} comparisons);\ndashed: d(α − βd) fitted "
                      f"on n ≤ {n_fit:g} (left of the dotted line)", fontsize=7)
    row = max(rows, key=lambda r: r["measured_peak_gold"] - r["gold_at_n_max"])
    kl = np.geomspace(1e-2, 0.95 * math.log(analysis.config["responses"]), len(row["tilt_gold"]))
    ax_method.plot(row["d"], row["gold"], "o-", ms=2.5, color=style.CYCLE[0], label="best-of-n")
    ax_method.plot(np.sqrt(kl), row["tilt_gold"], "s-", ms=2.5, color=style.CYCLE[1], label="KL tilt")
    ax_method.plot(np.sqrt(kl), row["quantilizer_gold"], "^-", ms=2.5, color=style.CYCLE[2],
                   label="quantilizer")
    ax_method.set_title(f"(b) exact optimizers on the pool\n({row['parameters']} params, {middle} "
                        "comparisons)", fontsize=7)
    for r, colour in zip(analysis.rl, style.CYCLE, strict=False):
        ax_rl.plot(r["d"], r["gold"], "-", color=colour, label=f"{r['parameters']} params")
        ax_rl.plot(np.sqrt(r["penalty_kl"]), r["penalty_gold"], "D", ms=4, color=colour)
    top_data = max(r["data"] for r in analysis.bon)
    ax_rl.set_title(f"(c) RL, {top_data} comparisons: early stopping\n(lines), end points with a KL penalty "
                    "(diamonds)", fontsize=7)
    for ax in (ax_size, ax_method, ax_rl):
        ax.axhline(0.0, color=style.BLACK, lw=0.6)
        ax.set_xlabel(_D_LABEL)
        ax.legend(fontsize=6.5)
    ax_size.set_ylabel("gold gain over π0")
    fig.suptitle("Overoptimization lab: gold reward against KL")
    _io.save_png(fig, path)


def _with_intervals(ax, x, rows, key, colour, label):
    y = np.array([r[key] for r in rows])
    lo, hi = np.array([r[f"{key}_interval"] for r in rows]).T
    ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", ms=4, capsize=3, color=colour, label=label)


def draw_coefficients(analysis, path):
    fig = style.new_figure(4.0, dpi=style.SAVE_DPI)
    axes = fig.subplots(1, 3)
    top_data = max(r["data"] for r in analysis.bon)
    top_width = max(r["width"] for r in analysis.bon)
    by_size = [r for r in analysis.bon if r["data"] == top_data]
    by_data = [r for r in analysis.bon if r["width"] == top_width]
    size = [r["parameters"] for r in by_size]
    _with_intervals(axes[0], size, by_size, "beta", style.CYCLE[0], "β_bon")
    _with_intervals(axes[0], size, by_size, "peak_d", style.CYCLE[1], "d*_bon")
    axes[0].set_title(f"(a) best-of-n, {top_data} comparisons", fontsize=8)
    axes[0].set_xlabel("proxy parameters")
    rl_size = [r["parameters"] for r in analysis.rl]
    _with_intervals(axes[1], rl_size, analysis.rl, "alpha", style.CYCLE[2], "α_RL")
    _with_intervals(axes[1], rl_size, analysis.rl, "beta", style.CYCLE[3], "β_RL")
    axes[1].set_title("(b) RL", fontsize=8)
    axes[1].set_xlabel("proxy parameters")
    _with_intervals(axes[2], [r["data"] for r in by_data], by_data, "beta", style.CYCLE[0], "β_bon")
    _with_intervals(axes[2], [r["data"] for r in by_data], by_data, "peak_d", style.CYCLE[1], "d*_bon")
    axes[2].set_title(f"(c) best-of-n, {by_data[0]['parameters']} params", fontsize=8)
    axes[2].set_xlabel("comparisons")
    for ax in axes:
        ax.set_xscale("log")
        ax.legend(fontsize=7)
    fig.suptitle(f"Fitted coefficients with {100 * 0.95:.0f}% bootstrap intervals over seeds × prompts")
    _io.save_png(fig, path)


def draw_heavy_light(analysis, path):
    fig = style.new_figure(3.8, dpi=style.SAVE_DPI)
    ax = fig.subplots()
    n = np.asarray(analysis.n)
    n_fit = analysis.config["n_fit"]
    for row, colour in zip(analysis.noise, style.CYCLE, strict=False):
        verdicts = ", ".join(sorted(set(row["error_tails"])))
        label = f"{row['kind']} error (tail verdict: {verdicts})"
        ax.plot(n, row["gold"], "o-", ms=3, color=colour, label=label)
        fitted = scaling.gold_reward(row["d"], row["alpha"], row["beta"], "bon")
        ax.plot(n, fitted, "--", lw=1.0, color=colour)
    ax.axvline(n_fit, color=style.BLACK, lw=0.6, ls=":")
    ax.axhline(0.0, color=style.BLACK, lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("n (best-of-n)")
    ax.set_ylabel("gold gain over π0")
    ax.legend(fontsize=7)
    ax.set_title(f"proxy = gold + {analysis.config['noise_scale']:g}·ε, ε ~ Student-t("
                 f"{analysis.config['noise_nu']:g}) or N(0, 1); dashed: d(α − βd) fitted on n ≤ {n_fit:g}",
                 fontsize=8)
    _io.save_png(fig, path)


def draw(analysis, path_of):
    """Write the three figures, each at ``path_of(file name)``."""
    draw_gold_vs_kl(analysis, path_of(FILES[0]))
    draw_coefficients(analysis, path_of(FILES[1]))
    draw_heavy_light(analysis, path_of(FILES[2]))


def render(stage, *, fast=False):
    """The figures of the reference lab run (the "small" preset; a tiny one with ``fast``)."""
    from catgoodhart.lab.reference import reference_analysis

    draw(reference_analysis(fast=fast), stage.path)
