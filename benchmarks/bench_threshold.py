"""Figure 3's threshold curve: the paper's scipy loop against catgoodhart.threshold_curve.

Run: python benchmarks/bench_threshold.py [--repeat 3] [--fast-repeat 200]

Student-t(ν = 3), 50 thresholds t = geomspace(1.5, 100, 50), p = t^-0.8 (Kwa et al.,
arXiv 2407.14503, Figure 3). (a) the paper's way: per t, E_P[X] = (1 − p) E[X | X ≤ t] +
p E[X | X > t] by ``scipy.stats.t(3).expect(..., conditional=True)`` and the KL from
scipy's cdf/sf, in a Python loop; (b) ``threshold_curve`` in one vectorized call. Both are
compared with mpmath references (mp.dps = 30, quadrature of the t density), and (b) is
also timed for 10^5 thresholds geomspace(1.5, 1e6, 10^5).
"""

import argparse
import warnings

import mpmath
import numpy as np
from _timing import best_time
from scipy import integrate, stats

from catgoodhart import distributions as D
from catgoodhart.threshold import threshold_curve

NU = 3


def p_of(t):
    return t**-0.8


def paper_curve(t_grid):
    """The paper's loop; returns (mean, kl, number of IntegrationWarnings caught)."""
    law = stats.t(NU)
    mean, kl = np.empty(t_grid.size), np.empty(t_grid.size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", integrate.IntegrationWarning)
        for i, t in enumerate(t_grid):
            p = p_of(t)
            lower = law.expect(lambda x: x, ub=t, conditional=True)
            upper = law.expect(lambda x: x, lb=t, conditional=True)
            mean[i] = (1 - p) * lower + p * upper
            F, sf = law.cdf(t), law.sf(t)
            kl[i] = (1 - p) * np.log((1 - p) / F) + p * np.log(p / sf)
    n_warn = sum(issubclass(w.category, integrate.IntegrationWarning) for w in caught)
    return mean, kl, n_warn


def package_curve(t_grid):
    curve = threshold_curve(D.StudentT(nu=NU), t=t_grid, p=p_of)
    return curve.mean, curve.kl


def mpmath_reference(t_grid):
    """E_P[X] and KL at 30 digits from mpmath quadrature of the Student-t(3) density."""
    mpmath.mp.dps = 30
    nu = mpmath.mpf(NU)
    const = mpmath.gamma((nu + 1) / 2) / (mpmath.gamma(nu / 2) * mpmath.sqrt(nu * mpmath.pi))

    def f(x):
        return const * (1 + x**2 / nu) ** (-(nu + 1) / 2)

    mean, kl = [], []
    for t in t_grid:
        t = mpmath.mpf(float(t))
        p = t ** mpmath.mpf(-0.8)
        sf = mpmath.quad(f, [t, 2 * t, mpmath.inf])
        F = mpmath.quad(f, [-mpmath.inf, -1, 0, 1, t])
        upper = mpmath.quad(lambda x: x * f(x), [t, 2 * t, mpmath.inf]) / sf
        lower = mpmath.quad(lambda x: x * f(x), [-mpmath.inf, -1, 0, 1, t]) / F
        mean.append(float((1 - p) * lower + p * upper))
        kl.append(float((1 - p) * mpmath.log((1 - p) / F) + p * mpmath.log(p / sf)))
    return np.array(mean), np.array(kl)


def max_rel(x, ref):
    return float(np.max(np.abs(x - ref) / np.abs(ref)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the scipy loop")
    parser.add_argument("--fast-repeat", type=int, default=200, help="repeats of threshold_curve")
    args = parser.parse_args()

    t_grid = np.geomspace(1.5, 100, 50)
    ref_mean, ref_kl = mpmath_reference(t_grid)

    t_a, (mean_a, kl_a, n_warn) = best_time(lambda: paper_curve(t_grid), args.repeat)
    package_curve(t_grid)  # warm-up (imports, first-call costs)
    t_b, (mean_b, kl_b) = best_time(lambda: package_curve(t_grid), args.fast_repeat)

    big = np.geomspace(1.5, 1e6, 10**5)
    package_curve(big)
    t_big, (mean_big, kl_big) = best_time(lambda: package_curve(big), 10)

    print(f"Figure 3 curve: Student-t(3), {t_grid.size} thresholds geomspace(1.5, 100), p = t^-0.8")
    print(f"reference: mpmath quadrature, mp.dps = {mpmath.mp.dps}")
    print()
    header = f"{'method':<34}{'best time':>12}{'max rel err mean':>19}{'max rel err KL':>17}"
    print(header)
    print("-" * len(header))
    print(f"{'(a) scipy expect loop (paper)':<34}{t_a * 1e3:>9.2f} ms{max_rel(mean_a, ref_mean):>19.2e}"
          f"{max_rel(kl_a, ref_kl):>17.2e}")
    print(f"{'(b) catgoodhart threshold_curve':<34}{t_b * 1e6:>9.1f} us{max_rel(mean_b, ref_mean):>19.2e}"
          f"{max_rel(kl_b, ref_kl):>17.2e}")
    print(f"{'(b) 10^5 thresholds to 1e6':<34}{t_big * 1e3:>9.2f} ms")
    print("-" * len(header))
    print(f"speed ratio (a)/(b): {t_a / t_b:,.0f}x   "
          f"(best of {args.repeat} for (a), {args.fast_repeat} for (b), 10 for 10^5)")
    print(f"IntegrationWarnings caught in (a): {n_warn} per run")
    print(f"10^5 curve: all finite = {bool(np.all(np.isfinite(mean_big)) and np.all(np.isfinite(kl_big)))}, "
          f"mean at t = 1e6: {mean_big[-1]:.6g}, KL at t = 1e6: {kl_big[-1]:.6g}")


if __name__ == "__main__":
    main()
