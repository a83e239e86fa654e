"""Theorem 1 animated (Kwa, Thomas & Garriga-Alonso, arXiv 2407.14503, Figure 3).

Left: the heavy-tailed base Q = Student-t(ν = 3) and the threshold member
P_t = Q (1 - p)/F(t) on x <= t, Q p/F̄(t) on x > t with p = t^-0.8 (the paper's choice):
E_P[X] grows without bound while KL(P_t‖Q) -> 0.
Right: the same construction on Q = Normal(0, 1) at the *same* KL as the left panel (p solved
from KL(P_t‖Q) = KL_left(t)); its mean obeys the Donsker–Varadhan ceiling
E_P[X] - μ <= σ√(2 KL) (DESIGN.md, KL-constrained) and collapses as KL -> 0.

Every mean and KL comes from ``catgoodhart.threshold`` (exact, log space).
"""

import math
from dataclasses import dataclass

import numpy as np

from catgoodhart import distributions as D
from catgoodhart import threshold
from catgoodhart._results import Result
from catgoodhart.viz import _io, style

HEAVY_BASE = D.StudentT(nu=3.0)
LIGHT_BASE = D.Normal()
EXPONENT = 0.8  # p = t^-0.8 (Figure 3)
T_RANGE = (1.5, 1e4)
STILL_T = (2.0, 100.0, 1e4)
FRAMES = 72
FAST_FRAMES = 6
FPS = 12
HOLD_LAST = 18  # extra copies of the last frame: a 1.5 s pause before the loop restarts

GIF_NAME = "threshold_animation.gif"
MP4_NAME = "threshold_animation.mp4"
STILL_NAMES = tuple(f"threshold_t{t:g}.png" for t in STILL_T)
FILES = (GIF_NAME, MP4_NAME, *STILL_NAMES)

_BISECTIONS = 200
_LOG_P_FLOOR = math.log(1e-300)  # below this p contributes nothing to the KL in doubles


def upper_mass(t):
    """p = t^-0.8, the mass the paper's Figure 3 puts above t."""
    return np.asarray(t, dtype=float) ** -EXPONENT


def threshold_mass_for_kl(dist, t, kl):
    """The upper mass p >= F̄(t) at which KL(P_{t,p}‖Q) = kl, for arrays t, kl (broadcast).

    KL(p) = (1 - p) log((1 - p)/F(t)) + p log(p/F̄(t)) rises from 0 at p = F̄(t) to -log F̄(t)
    as p -> 1, so p is found by bisection on log p; ``nan`` where kl >= -log F̄(t).
    """
    t, kl = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(kl, dtype=float))
    log_sf = np.asarray(dist.logsf(t), dtype=float)
    lo = np.maximum(log_sf, _LOG_P_FLOOR)
    hi = np.full(t.shape, math.log1p(-2.0**-52))
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = threshold.threshold_curve(dist, t=t, p=np.exp(mid)).kl > kl
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.where(kl < -log_sf, np.exp(0.5 * (lo + hi)), math.nan)


@dataclass(frozen=True, repr=False)
class ThresholdFrames(Result):
    """The numbers behind each frame: the heavy member (p = t^-0.8) and the light member with
    the same KL, its mean, and the Donsker–Varadhan ceiling σ√(2 KL) above the light mean μ."""

    t: np.ndarray
    heavy_p: np.ndarray
    heavy_mean: np.ndarray  # E_{P_t}[X], Student-t(3) base
    heavy_kl: np.ndarray  # KL(P_t‖Q) in nats
    light_p: np.ndarray
    light_mean: np.ndarray  # E_{P_t}[X], Normal(0, 1) base, KL = heavy_kl
    light_kl: np.ndarray
    dv_ceiling: np.ndarray  # μ + σ√(2 KL) for the Normal base


def threshold_frames(t):
    """Exact means and KLs of both panels at the thresholds ``t`` (see ``ThresholdFrames``)."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    heavy = threshold.threshold_curve(HEAVY_BASE, t=t, p=upper_mass)
    light_p = threshold_mass_for_kl(LIGHT_BASE, t, heavy.kl)
    light = threshold.threshold_curve(LIGHT_BASE, t=t, p=light_p)
    ceiling = LIGHT_BASE.mu + LIGHT_BASE.sigma * np.sqrt(2.0 * light.kl)
    return ThresholdFrames(t, heavy.p, heavy.mean, heavy.kl, light.p, light.mean, light.kl, ceiling)


def frame_thresholds(fast=False):
    """The animation's thresholds: geomspace over ``T_RANGE``."""
    return np.geomspace(*T_RANGE, FAST_FRAMES if fast else FRAMES)


# ----- drawing ------------------------------------------------------------------------
def _format_threshold(t):
    """3 significant digits below 100, whole numbers with thousands separators above."""
    return f"{t:.3g}" if t < 100 else f"{t:,.0f}"


_LINEAR_X = (-5.0, 12.0)
_LOG_X = (1.0, 1e5)
_LOG_Y = (1e-16, 3.0)
_CEILING_LABEL = r"DV ceiling $\mu + \sigma\sqrt{2\,\mathrm{KL}}$"


def _grid(t, lo, hi, n, log):
    """An x grid on [lo, hi] that also resolves the jump at t (points just below and above)."""
    base = np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)
    near = t * (1.0 + np.geomspace(1e-9, 0.3, 60)) if t > 0 else t + np.geomspace(1e-9, 1.0, 60)
    x = np.concatenate([base, [np.nextafter(t, -math.inf), t], near])
    return np.unique(x[(x >= lo) & (x <= hi)])


def _density(dist, x):
    return np.exp(np.asarray(dist.logpdf(x), dtype=float))


class _Column:
    """One base law's three panels: linear density, log–log density, bars of mean and KL."""

    def __init__(self, axes, base, colour, title, with_ceiling, linear_top, bar_top):
        self.base, self.colour = base, colour
        lin, log, bars = axes
        self.axes = axes
        lin.set_title(title)
        x = np.linspace(*_LINEAR_X, 600)
        lin.plot(x, _density(base, x), color=style.BLACK, ls="--", lw=1.2, label="Q")
        (self.lin_p,) = lin.plot([], [], color=colour, label=r"$P_t$")
        self.lin_t = lin.axvline(0.0, color=style.GREY, ls=":", lw=1.2)
        self.lin_note = lin.text(0.98, 0.95, "", transform=lin.transAxes, ha="right", va="top",
                                 fontsize=8.5)
        lin.set_xlim(*_LINEAR_X)
        lin.set_ylim(0.0, 1.1 * linear_top)
        lin.set_xlabel("x")
        lin.set_ylabel("density")
        lin.legend(loc="upper left")

        xl = np.geomspace(*_LOG_X, 600)
        log.plot(xl, _density(base, xl), color=style.BLACK, ls="--", lw=1.2, label="Q")
        (self.log_p,) = log.plot([], [], color=colour, label=r"$P_t$")
        self.log_t = log.axvline(1.0, color=style.GREY, ls=":", lw=1.2)
        log.set_xscale("log")
        log.set_yscale("log")
        log.set_xlim(*_LOG_X)
        log.set_ylim(*_LOG_Y)
        log.set_xlabel("x (log scale)")
        log.set_ylabel("density (log scale)")
        log.legend(loc="lower left")

        self.rects = bars.bar([0, 1], [0.0, 0.0], width=0.6, color=[colour, style.ORANGE])
        self.values = [bars.text(i, 0.0, "", ha="center", va="bottom", fontsize=9) for i in (0, 1)]
        bars.set_xticks([0, 1], [r"$E_{P_t}[X]$", r"KL$(P_t\,\|\,Q)$ [nats]"])
        bars.set_xlim(-0.6, 1.6)
        bars.set_ylim(0.0, bar_top)
        bars.axhline(base.mean, color=style.BLACK, lw=0.8)
        bars.grid(axis="x", visible=False)
        self.ceiling = None
        if with_ceiling:
            (self.ceiling,) = bars.plot([-0.4, 0.4], [0.0, 0.0], color=style.BLACK, ls="--", lw=1.4,
                                        label=_CEILING_LABEL)
            self.ceiling_label = bars.legend(loc="upper right").get_texts()[0]

    def update(self, t, p, mean, kl, ceiling=None):
        member = threshold.threshold_distribution(self.base, t=float(t), p=float(p))
        x = _grid(t, *_LINEAR_X, 600, log=False)
        self.lin_p.set_data(x, _density(member, x))
        inside = _LINEAR_X[0] <= t <= _LINEAR_X[1]
        self.lin_t.set_visible(inside)
        self.lin_t.set_xdata([t, t])
        self.lin_note.set_text("" if inside else f"t = {_format_threshold(t)} →\nmass {p:.3g} above t")
        xl = _grid(t, *_LOG_X, 700, log=True)
        self.log_p.set_data(xl, _density(member, xl))
        self.log_t.set_xdata([t, t])
        for rect, text, value, unit in zip(self.rects, self.values, (mean, kl), ("", " nats"),
                                           strict=True):
            rect.set_height(value)
            text.set_text(f"{value:.3g}{unit}")
            text.set_position((rect.get_x() + rect.get_width() / 2, value))
        if self.ceiling is not None:
            self.ceiling.set_ydata([ceiling, ceiling])
            self.values[0].set_y(max(mean, ceiling))
            self.ceiling_label.set_text(_CEILING_LABEL + f" = {ceiling:.3g}")


class _Animation:
    """The two-column figure, updated in place frame by frame."""

    def __init__(self, *frames):
        bar_top = _bar_top(*frames)
        t = np.concatenate([f.t for f in frames])
        heavy_top = _linear_top(HEAVY_BASE, t, np.concatenate([f.heavy_p for f in frames]))
        light_top = _linear_top(LIGHT_BASE, t, np.concatenate([f.light_p for f in frames]))
        self.fig = style.new_figure(6.4, dpi=style.FRAME_DPI)
        grid = self.fig.subplot_mosaic([["lin_h", "lin_l"], ["log_h", "log_l"], ["bar_h", "bar_l"]],
                                       height_ratios=[1.0, 1.0, 0.95])
        self.heavy = _Column([grid["lin_h"], grid["log_h"], grid["bar_h"]], HEAVY_BASE, style.HEAVY,
                             r"Heavy tail: Student-t($\nu$=3), $p = t^{-0.8}$", False, heavy_top, bar_top)
        self.light = _Column([grid["lin_l"], grid["log_l"], grid["bar_l"]], LIGHT_BASE, style.LIGHT,
                             "Light tail: Normal(0, 1), same KL as left", True, light_top, bar_top)

    def draw(self, frames, i):
        t = float(frames.t[i])
        self.heavy.update(t, frames.heavy_p[i], frames.heavy_mean[i], frames.heavy_kl[i])
        self.light.update(t, frames.light_p[i], frames.light_mean[i], frames.light_kl[i],
                          frames.dv_ceiling[i])
        self.fig.suptitle(f"Threshold family $P_t$ (Theorem 1) at t = {_format_threshold(t)}")


def _linear_top(base, t, p):
    """The largest density the linear panel shows over all frames: Q's mode, and P_t on both
    sides of each threshold t in view (P_t = Q times a constant on each side of t)."""
    top = float(_density(base, base.ppf(0.5)))
    for ti, pi in zip(t, p, strict=True):
        if _LINEAR_X[0] <= ti <= _LINEAR_X[1]:
            member = threshold.threshold_distribution(base, t=float(ti), p=float(pi))
            top = max(top, float(np.max(_density(member, np.array([ti, np.nextafter(ti, math.inf)])))))
    return top


def _bar_top(*frames):
    """A fixed bar axis for the whole animation: the largest mean, KL or ceiling shown, +25%."""
    values = np.concatenate([np.concatenate([f.heavy_mean, f.heavy_kl, f.light_mean, f.dv_ceiling])
                             for f in frames])
    return 1.25 * float(np.max(values))


def render(stage, *, fast=False):
    """Write the GIF, the MP4 and the three stills through ``stage`` (a ``Staging``)."""
    frames = threshold_frames(frame_thresholds(fast))
    stills = threshold_frames(STILL_T)
    animation = _Animation(frames, stills)
    pixels = []
    for i in range(frames.t.size):
        animation.draw(frames, i)
        pixels.append(_io.rgb_frame(animation.fig))
        if i == 0:  # axes limits are fixed: keep the first frame's layout for all of them
            animation.fig.set_layout_engine("none")
    pixels += [pixels[-1]] * (2 if fast else HOLD_LAST)
    _io.save_gif(pixels, stage.path(GIF_NAME), FPS)
    _io.save_mp4(pixels, stage.path(MP4_NAME), FPS)
    for i, name in enumerate(STILL_NAMES):
        animation.draw(stills, i)
        _io.save_png(animation.fig, stage.path(name))
