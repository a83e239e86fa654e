"""Figures and animations for the papers' results (matplotlib Agg, no pyplot).

``make_figures(out_dir, only=None, fast=False)`` writes every figure in ``FIGURES``
(name -> description; ``CAPTIONS`` says what to see, ``FILES`` which files each writes).
The numbers behind each figure come from small pure functions in its module, e.g.
``threshold_animation.threshold_frames``.
"""

from catgoodhart.viz.registry import CAPTIONS, FIGURES, FILES, make_figures

__all__ = ["CAPTIONS", "FIGURES", "FILES", "make_figures"]
