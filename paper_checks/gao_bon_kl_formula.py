"""Gao, Schulman & Hilton, best-of-n method: KL_bon(n) = log n − (n − 1)/n for a continuous reward
(from Stiennon et al. 2020). Checked against direct quadrature of the best-of-n density
g(x) = n Φ(x)^{n−1} φ(x) for a normal base, KL = ∫ g log(g/φ); for a discrete base the exact KL
is smaller (the formula is an upper bound there)."""

import math

import numpy as np
from scipy import integrate, stats

from catgoodhart.bon import bon_kl, bon_kl_exact
from catgoodhart.reproduce import ClaimCheck, print_check

N = np.array([1, 2, 4, 16, 64, 256, 1024, 4096])


def kl_by_quadrature(n):
    """∫ n Φ^{n−1} φ · log(n Φ^{n−1}) dx for the standard normal, by scipy's adaptive quadrature."""
    def integrand(x):
        log_ratio = math.log(n) + (n - 1) * stats.norm.logcdf(x)
        return math.exp(log_ratio) * stats.norm.pdf(x) * log_ratio

    value, _ = integrate.quad(integrand, -12.0, 12.0, points=[0.0, 2.0, 3.0, 4.0], limit=400, epsabs=1e-13)
    return value


def check():
    formula = bon_kl(N)
    quadrature = np.array([kl_by_quadrature(int(n)) for n in N])
    worst = float(np.max(np.abs(quadrature - formula)))
    values = np.arange(10.0)
    probs = np.full(10, 0.1)
    discrete = np.array([bon_kl_exact(values, probs, int(n)) for n in (2, 16, 256)])
    below = bool(np.all(discrete < bon_kl(np.array([2, 16, 256]))))
    ok = worst < 1e-8 and below
    details = {f"n = {n}: log n − (n−1)/n, quadrature": f"{f:.10f}, {q:.10f}"
               for n, f, q in zip(N, formula, quadrature, strict=True)}
    details["max |formula − quadrature|"] = worst
    details["uniform base on 10 values, n = 2, 16, 256: exact KL vs formula"] = ", ".join(
        f"{e:.4f} vs {f:.4f}" for e, f in zip(discrete, bon_kl(np.array([2, 16, 256])), strict=True))
    return ClaimCheck(
        paper="Gao et al.", location="method: best-of-n sampling, KL formula",
        claim="The KL divergence of best-of-n from the initial policy is log n − (n − 1)/n.",
        computed="direct quadrature of the best-of-n density for a continuous (normal) reward, n = 1 … 4096, "
                 "and the exact KL for a discrete base",
        verdict="AGREES" if ok else "DISAGREES",
        reason=(f"the formula matches the quadrature to {worst:.1e} for a continuous reward; for a reward "
                "with ties (discrete base) the exact KL is smaller, so there it is an upper bound")
        if ok else "the formula misses the quadrature or the discrete exact value exceeds it",
        details=details)


if __name__ == "__main__":
    print_check(check())
