"""One family of optimizers over a proxy model U = X + V.

Every optimizer is a function ``(model, *, strength, [parameters]) -> OptimizedPolicy``,
vectorized over the strength, exact on both kinds of ``ProxyModel`` (continuous laws by
quadrature on the model's tail table, pools by sorting), in its own module:

=================  ==========  =====================================================================
``kl_tilt``        β           argmax E_π[U] - β KL(π‖π0): π ∝ π0·e^{U/β} (Theorem 4's π*)
``best_of_n``      n           the best of n draws by proxy (real n >= 1 interpolates)
``quantilizer``    q           π0 restricted to the top q fraction by proxy (Taylor 2016)
``capped_odds``    kl, cap     best proxy mean with dπ/dπ0 <= cap and KL <= kl (a truncated tilt)
``bounded_tilt``   β, bound    the KL-penalized optimum for a bounded transform of the proxy
``threshold``      p, t        Theorem 1's family: mass p above the level t
``conditioning``   t           π0 conditioned on U >= t (Theorems 5 and 6)
=================  ==========  =====================================================================

``frontier(model, methods, kl=grid)`` solves each method's strength for exactly those KL values
(or maximum odds ratios) and compares what they reach.

To add an optimizer, add one module here with a function that returns ``policy.make(...)``
(an ``OptimizedPolicy``) and register how its strength maps to KL in ``frontier.METHODS``.
"""

from catgoodhart.optimizers.model import ProxyModel  # noqa: I001  (first: the others import it)
from catgoodhart.optimizers.policy import OptimizedPolicy
from catgoodhart.optimizers.best_of_n import best_of_n
from catgoodhart.optimizers.bounded_tilt import bounded_tilt
from catgoodhart.optimizers.capped_odds import capped_odds
from catgoodhart.optimizers.conditioning import conditioning
from catgoodhart.optimizers.kl_tilt import kl_tilt
from catgoodhart.optimizers.quantilizer import quantilizer
from catgoodhart.optimizers.threshold import threshold
from catgoodhart.optimizers.frontier import Frontier, frontier

__all__ = ["Frontier", "OptimizedPolicy", "ProxyModel", "best_of_n", "bounded_tilt", "capped_odds",
           "conditioning", "frontier", "kl_tilt", "quantilizer", "threshold"]
