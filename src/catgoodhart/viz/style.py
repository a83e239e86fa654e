"""One look for every figure: the Okabe–Ito palette, fonts sized for a README column.

Okabe & Ito, "Color universal design" (2008): eight colours that stay distinct under every
common colour-vision deficiency. Figures are 8 inches wide and saved at 150 dpi (1200 px),
so that at a README width of about 800 px a 10 pt label still reads as about 14 px.

No pyplot: ``new_figure`` builds a ``matplotlib.figure.Figure`` on its own Agg canvas, and
the rc settings apply only inside ``style_context()``.
"""

#: Okabe–Ito colours by name
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7F7F7F"

#: the order in which series take colours (yellow last: weak on white)
CYCLE = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, BLACK, YELLOW)

#: heavy-tailed laws are drawn in vermillion, light-tailed ones in blue, in every figure
HEAVY = VERMILLION
LIGHT = BLUE

WIDTH_IN = 8.0  # inches; every figure is this wide
SAVE_DPI = 150  # PNG stills: 1200 px wide
FRAME_DPI = 100  # animation frames: 800 px wide

RC = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10.0,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.titlesize": 12.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 4.5,
    "axes.unicode_minus": True,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}


def style_context():
    """A context in which matplotlib's rc settings are ``RC`` and the colour cycle ``CYCLE``;
    figures must be both drawn and saved inside it."""
    import matplotlib
    from cycler import cycler

    return matplotlib.rc_context({**RC, "axes.prop_cycle": cycler(color=list(CYCLE))})


def new_figure(height_in, *, width_in=WIDTH_IN, dpi=FRAME_DPI):
    """A constrained-layout ``Figure`` with an Agg canvas, not registered with pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def panel_title(ax, letter, title):
    """The panel's title, prefixed with its letter: "(a) title"."""
    ax.set_title(f"({letter}) {title}")


__all__ = ["BLACK", "BLUE", "CYCLE", "FRAME_DPI", "GREEN", "GREY", "HEAVY", "LIGHT", "ORANGE",
           "PURPLE", "RC", "SAVE_DPI", "SKY_BLUE", "VERMILLION", "WIDTH_IN", "YELLOW", "new_figure",
           "panel_title", "style_context"]
