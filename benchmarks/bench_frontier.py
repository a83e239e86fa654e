"""frontier against a straightforward Monte Carlo of the same curves.

Run: python benchmarks/bench_frontier.py [--repeat 2] [--samples 1000000]

Model: error X ~ Student-t(3), utility V ~ Normal(0, 1). (a) ``optimizers.frontier`` for its six
default methods at 100 KL values from 1e-3 to 10 nats (exact; "cold" includes building the
model's tail table, "warm" reuses it). (b) the baseline: one seeded sample of (X, V), and for the
same 100 KL values the quantilizer (top e^-KL of the sample), best-of-n (n from the KL formula,
each sample's weight n F̂^(n-1) from its rank), and the tanh-bounded tilt (self-normalized
weights e^{b(U)/β}, β from (a)); its standard error is reported, and the sample size it would
need to match (a)'s accuracy (1e-9 of the utility) follows from s.e. ∝ 1/√N. (c) the same six
methods and 100 KL values on a pool of 10^6 responses (the sample itself as the model), exact;
(d) the straightforward route for one of those curves on the pool, the KL tilt: for each KL value
Brent's method on log λ with numpy sums over every response (as accurate as (c)).
"""

import argparse
import time
import warnings

import numpy as np
from _timing import best_time

from catgoodhart import distributions as D
from catgoodhart.optimizers import ProxyModel, frontier
from catgoodhart.optimizers.best_of_n import n_for_kl
from catgoodhart.optimizers.bounded_tilt import transform

KL = np.geomspace(1e-3, 10.0, 100)


def monte_carlo(x, v, betas):
    """Quantilizer, best-of-n and bounded-tilt utilities from one sample, with standard errors."""
    u = x + v
    order = np.argsort(u)
    u_sorted, v_sorted = u[order], v[order]
    size = u.size
    ranks = (np.arange(size) + 0.5) / size
    out, errors = {}, {}
    q = np.exp(-KL)
    tops = [v_sorted[size - max(int(k * size), 2):] for k in q]
    out["quantilizer"] = np.array([t.mean() for t in tops])
    errors["quantilizer"] = np.array([t.std() / np.sqrt(t.size) for t in tops])
    rows, errs = [], []
    for n in n_for_kl(KL):
        w = n * ranks ** (n - 1.0)
        w /= w.sum()
        mean = w @ v_sorted
        rows.append(mean)
        errs.append(np.sqrt(w**2 @ (v_sorted - mean) ** 2))
    out["best_of_n"], errors["best_of_n"] = np.array(rows), np.array(errs)
    gap = transform("tanh", 3.0, u_sorted)[0]  # b(u) - 3
    rows, errs = [], []
    for beta in betas:
        w = np.exp(gap / beta)
        w /= w.sum()
        mean = w @ v_sorted
        rows.append(mean)
        errs.append(np.sqrt(w**2 @ (v_sorted - mean) ** 2))
    out["bounded_tilt"], errors["bounded_tilt"] = np.array(rows), np.array(errs)
    return out, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    model = ProxyModel(D.StudentT(nu=3.0), D.Normal())
    start = time.perf_counter()
    exact = frontier(model, kl=KL)
    cold = time.perf_counter() - start
    warm, exact = best_time(lambda: frontier(model, kl=KL), args.repeat)
    x = D.StudentT(nu=3.0).sample(args.samples, seed=1)
    v = D.Normal().sample(args.samples, seed=2)
    betas = exact.strength["bounded_tilt"]
    mc_time, (mc, se) = best_time(lambda: monte_carlo(x, v, betas), args.repeat)
    print(f"(a) frontier, 6 methods x 100 KL values, (Student-t(3), Normal): cold {cold:.2f} s, "
          f"warm {warm:.2f} s")
    print(f"(b) Monte Carlo of 3 of those curves from {args.samples:.0e} samples: {mc_time:.2f} s")
    for name in mc:
        gap = np.nanmax(np.abs(mc[name] - exact.mean_utility[name]) / se[name])
        relative = se[name] / 1e-9 / np.maximum(np.abs(exact.mean_utility[name]), 1e-3)
        need = np.nanmax(relative**2) * args.samples
        print(f"    {name:13s} largest |MC - exact|/s.e. {gap:5.2f}, largest s.e. {np.nanmax(se[name]):.2e}; "
              f"1e-9 relative would need ~{need:.1e} samples")
    print(f"    ratio Monte Carlo / frontier (warm) at the sample size above: {mc_time / warm:.2f}")
    pool = ProxyModel.from_pool(x + v, v)
    start = time.perf_counter()
    pooled = frontier(pool, kl=KL)
    pool_cold = time.perf_counter() - start
    pool_time, pooled = best_time(lambda: frontier(pool, kl=KL), args.repeat)
    print(f"(c) frontier on a pool of {args.samples:.0e} responses, 6 methods x 100 KL values: "
          f"{pool_time:.2f} s warm, {pool_cold:.2f} s cold (first call on the pool)")
    plain_time, plain = best_time(lambda: plain_pool_tilt(x + v, v), 1)
    gap = np.nanmax(np.abs(plain - pooled.mean_utility["kl_tilt"]))
    print(f"(d) plain numpy KL tilt on the pool, 100 KL values: {plain_time:.2f} s "
          f"(largest difference from (c) {gap:.1e}); ratio plain / frontier's kl_tilt curve: "
          f"{plain_time / tilt_time(pool):.0f}")


def plain_pool_tilt(u, v):
    """E_π[V] of π ∝ e^{λu} at each KL, λ by Brent's method with sums over every response."""
    from scipy import optimize

    top = u.max()

    def moments(lam):
        w = np.exp(lam * (u - top))
        z = w.sum()
        mean_u = w @ u / z
        return lam * (mean_u - top) - np.log(z / u.size), w @ v / z

    out = []
    for kl in KL:
        ell = optimize.brentq(lambda e, kl=kl: moments(np.exp(e))[0] - kl, -20.0, 20.0, xtol=1e-13)
        out.append(moments(np.exp(ell))[1])
    return np.array(out)


def tilt_time(pool):
    return best_time(lambda: frontier(pool, ["kl_tilt"], kl=KL), 3)[0]


if __name__ == "__main__":
    main()
