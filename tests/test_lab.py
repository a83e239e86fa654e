"""Tests of the overoptimization lab (catgoodhart.lab): its settings, the synthetic world (gold
reward, pools, comparisons), the proxies (Bradley–Terry training, ensembles, injected error), the
curves (best-of-n, tilt, quantilizer, the policy-gradient optimizer) and the resumable run folder.

Every number is checked against an independent reference (brute force on the pool in mpmath,
scipy's root finders and distributions, math.fsum), with the origin of each tolerance stated.
The world module's ``test_pairs`` is used only as ``W.test_pairs`` so pytest does not collect it.
"""

import math
import os
import shutil
import zipfile

import mpmath
import numpy as np
import pytest
from scipy import optimize, special, stats

import catgoodhart.lab.run as lab_run
from catgoodhart import sweep
from catgoodhart.lab import curves, proxies
from catgoodhart.lab import world as W
from catgoodhart.lab.config import PRESETS, LabConfig, load_config, preset

EPS = np.finfo(float).eps

#: the tiny configuration of every run test: 14 cells, a few seconds in all
TINY = {"prompts": 2, "responses": 2000, "widths": (2, 4), "data_sizes": (10, 50), "seeds": 2,
        "train_steps": 20, "rl_steps": 30, "n_max": 3000.0, "n_fit": 100.0, "n_points": 8, "kl_points": 4,
        "ensemble_size": 2, "ensemble_width": 2, "ensemble_data": 10, "test_pairs": 500, "bootstrap": 20}


def tiny(**changes):
    return LabConfig(**{**TINY, **changes})


def clear_caches():
    """Forget the per-process world, as a fresh process would."""
    W.world.cache_clear()
    W.test_pairs.cache_clear()


# ---------------------------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------------------------

def test_defaults_are_valid_and_round_trip():
    config = LabConfig()
    assert config.ensemble_width in config.widths and config.ensemble_data in config.data_sizes
    assert 1.0 < config.n_fit < config.n_max
    assert LabConfig(**config.to_dict()) == config
    assert tiny() == LabConfig(**tiny().to_dict())


@pytest.mark.parametrize("key, value", [
    ("dim", -1),
    ("dim", 0),
    ("label_flip", 0.7),
    ("label_flip", -0.1),
    ("widths", (8, 2)),
    ("widths", (2, 2, 4)),
    ("widths", (4,)),
    ("seeds", True),
    ("prompts", 2.0),
    ("responses", 99),
    ("spread", math.nan),
    ("learning_rate", 0.0),
    ("rl_penalties", ()),
    ("rl_penalties", (1.0, -1.0)),
    ("noise_nu", "2"),
    ("ensemble_width", 3),
    ("ensemble_data", 20),
    ("n_fit", 3000.0),
    ("n_fit", 5000.0),
    ("n_fit", 1.0),
])
def test_bad_value_names_the_key(key, value):
    with pytest.raises(ValueError, match=f"`{key}`"):
        tiny(**{key: value})


def test_presets():
    small = preset("small")
    default = LabConfig()
    for key, value in small.to_dict().items():
        assert value == PRESETS["small"].get(key, default.to_dict()[key]), key
    assert preset("small", seeds=5).seeds == 5
    assert preset("full") == default
    with pytest.raises(ValueError, match="preset"):
        preset("huge")
    with pytest.raises(ValueError, match="`seeds`"):
        preset("small", seeds=1)


def test_load_config(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text('preset = "small"\nseeds = 4\nlabel_flip = 0.05\nrl_penalties = [0.5, 2]\n')
    assert load_config(path) == preset("small", seeds=4, label_flip=0.05, rl_penalties=(0.5, 2.0))
    full = LabConfig(seeds=4, label_flip=0.05, rl_penalties=(0.5, 2.0))
    assert load_config(path, preset_name="full") == full
    path.write_text("seeds = 4\n")  # no preset key: the default, "full"
    assert load_config(path) == LabConfig(seeds=4)


@pytest.mark.parametrize("text, words", [
    ("seeds = 4\nsedes = 3\n", ["sedes"]),
    ("seeds = [\n", ["TOML"]),
    ("label_flip = 0.7\n", ["`label_flip`"]),
    ("widths = [2.5, 8]\n", ["`widths`"]),
    ('preset = "huge"\n', ["preset"]),
])
def test_load_config_errors_name_the_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for word in words:
        with pytest.raises(ValueError, match=word) as info:
            load_config(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("text", ['preset = ["small"]\n', "preset = {name = 1}\n"], ids=["array", "table"])
def test_load_config_unhashable_preset_names_the_key(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match="`preset`"):
        load_config(path)


def test_load_config_missing_file(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(ValueError, match="cannot be read") as info:
        load_config(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------
# world
# ---------------------------------------------------------------------------------------------

def test_gold_is_calibrated_under_base_policy():
    config = tiny()
    gold = W.GoldReward(config)
    n = 200_000
    g = gold(W.sample_base(config, n, np.random.default_rng(20240601)))  # independent of the GOLD stream
    # the shift and scale came from another 200,000 draws; both samples' errors add, hence √2.
    kurtosis = float(np.mean(g ** 4) / np.mean(g ** 2) ** 2)
    se_mean = math.sqrt(2.0 / n)
    se_std = math.sqrt(2.0 * (kurtosis - 1.0) / (4.0 * n))  # delta method: sd of a sample std
    assert abs(g.mean()) < 5 * se_mean
    assert abs(g.std() - 1.0) < 5 * se_std


def test_pools_are_reproducible_and_per_prompt():
    config = tiny()
    p0, p1 = W.pool(config, 0), W.pool(config, 1)
    assert np.array_equal(p0, W.pool(tiny(), 0))
    assert not np.array_equal(p0, W.pool(tiny(seed=1), 0))
    assert p0.shape == (config.responses, config.dim)
    means = W.prompt_means(config)
    assert not np.allclose(means[0], means[1])
    # pool p is μ_p + N(0, I): column means within 5 SE (1/√M), column sds within 5 SE (1/√(2M))
    m = config.responses
    for x, mu in ((p0, means[0]), (p1, means[1])):
        assert np.all(np.abs(x.mean(axis=0) - mu) < 5 / math.sqrt(m))
        assert np.all(np.abs(x.std(axis=0) - 1.0) < 5 / math.sqrt(2 * m))
    gold, pools, golds = W.world(config)
    assert np.array_equal(pools[1], p1)
    assert np.array_equal(golds[0], gold(p0))


def test_sample_base_mixes_prompts_uniformly():
    config = tiny(prompts=3, spread=2.0)
    n = 100_000
    x = W.sample_base(config, n, np.random.default_rng(7))
    means = W.prompt_means(config)
    # a uniform mixture: mean = average μ_p, per coordinate variance 1 + Var_p(μ_p)
    se = np.sqrt((1.0 + means.var(axis=0)) / n)
    assert np.all(np.abs(x.mean(axis=0) - means.mean(axis=0)) < 5 * se)


def test_comparisons_labels_and_nesting():
    config = tiny()
    a, b, label = W.comparisons(config, 0)
    assert a.shape == b.shape == (max(config.data_sizes), config.dim)
    gold = W.world(config)[0]
    assert np.array_equal(label, (gold(a) > gold(b)).astype(float))
    a2, b2, label2 = W.comparisons(config, 0)
    assert np.array_equal(a, a2) and np.array_equal(b, b2) and np.array_equal(label, label2)
    assert not np.array_equal(a, W.comparisons(config, 1)[0])
    # the smaller sizes do not change the comparisons (only the largest is drawn)
    assert np.array_equal(a, W.comparisons(tiny(data_sizes=(5, 10, 50)), 0)[0])


def test_label_flip_fraction():
    config = tiny(label_flip=0.3, data_sizes=(10, 20_000))
    a, b, label = W.comparisons(config, 0)
    gold = W.world(config)[0]
    flipped = np.mean(label != (gold(a) > gold(b)))
    n = label.size
    assert abs(flipped - 0.3) < 5 * math.sqrt(0.3 * 0.7 / n)  # binomial standard error


# ---------------------------------------------------------------------------------------------
# proxies
# ---------------------------------------------------------------------------------------------

def test_proxy_matches_direct_silu_network():
    rng = np.random.default_rng(1)
    dim, width = 5, 7
    w, b, out, c = (rng.standard_normal((dim, width)) * 3, rng.standard_normal(width),
                    rng.standard_normal(width), 0.3)
    x = rng.standard_normal((400, dim)) * 4
    proxy = proxies.Proxy(w, b, out, c)
    h = x @ w + b
    silu = h * special.expit(h)
    ref = silu @ out + c
    # a sum of `width` products: a few ulps of the sum of absolute terms
    assert np.all(np.abs(proxy(x) - ref) <= 16 * EPS * (np.abs(silu) @ np.abs(out) + abs(c)))
    again = proxies.Proxy.from_arrays(proxy.arrays("p_"), "p_")
    assert np.array_equal(again(x), proxy(x))
    assert proxy.parameters == proxies.parameter_count(dim, width) == (dim + 2) * width + 1


def test_proxy_large_negative_preactivation():
    proxy = proxies.Proxy(np.array([[1.0]]), np.array([0.0]), np.array([1.0]), 0.0)
    # silu(-1000) = -1000 e^{-1000}/(1 + e^{-1000}): -0 in float64; no warning expected
    assert proxy(np.array([[-1000.0]]))[0] == 0.0


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_train_is_deterministic_and_seeded(torch):
    config = tiny()
    threads = torch.get_num_threads()
    first = proxies.train(config, 4, 50, 0)
    torch.manual_seed(12345)
    torch.rand(10)  # the global generator must not matter
    second = proxies.train(config, 4, 50, 0)
    assert torch.get_num_threads() == threads
    for key, value in first.arrays().items():
        assert np.array_equal(value, second.arrays()[key]), key
    for other in (proxies.train(config, 4, 50, 1), proxies.train(config, 4, 50, 0, member=1)):
        assert not np.array_equal(first.weights, other.weights)
    for width in config.widths:
        p = proxies.train(config, width, 10, 0)
        assert p.weights.shape == (config.dim, width)
        assert p.parameters == proxies.parameter_count(config.dim, width)
        assert p.parameters == sum(np.size(v) for v in p.arrays().values())


def test_train_uses_only_the_first_data_size_comparisons(torch, monkeypatch):
    config = tiny()
    expected = proxies.train(config, 2, 10, 0)
    a, b, label = W.comparisons(config, 0)
    rng = np.random.default_rng(3)
    scrambled = (np.concatenate([a[:10], rng.standard_normal(a[10:].shape)]),
                 np.concatenate([b[:10], rng.standard_normal(b[10:].shape)]),
                 np.concatenate([label[:10], 1.0 - label[10:]]))
    monkeypatch.setattr(W, "comparisons", lambda *args: scrambled)
    got = proxies.train(config, 2, 10, 0)
    for key, value in expected.arrays().items():
        assert np.array_equal(value, got.arrays()[key]), key
    # an intermediate data size elsewhere in the config changes nothing for this cell
    monkeypatch.undo()
    other = proxies.train(tiny(data_sizes=(10, 20, 50)), 2, 10, 0)
    assert np.array_equal(other.weights, expected.weights)


def test_accuracy():
    config = tiny(test_pairs=2000)
    gold = W.world(config)[0]
    a, b, prefers_a = W.test_pairs(config)
    assert np.array_equal(prefers_a, gold(a) > gold(b))
    # the gold itself orders every pair as the gold does; its negation none
    assert proxies.accuracy(config, gold) == 1.0
    assert proxies.accuracy(config, lambda x: -gold(x)) == 0.0


def test_trained_proxy_learns_the_gold(torch):
    config = tiny(widths=(2, 8), data_sizes=(10, 2000), train_steps=200, test_pairs=2000)
    proxy = proxies.train(config, 8, 2000, 0)
    a, b, prefers_a = W.test_pairs(config)
    acc = proxies.accuracy(config, proxy)
    assert acc == np.mean((proxy(a) > proxy(b)) == prefers_a)
    # 2000 test pairs: binomial SE <= 0.5/√2000 = 0.011, so > 0.6 is 9 SE above chance; a sign
    # error in the Bradley–Terry loss would give an accuracy below 0.5
    assert acc > 0.6


def test_aggregate_against_fsum():
    rng = np.random.default_rng(5)
    members = rng.standard_normal((4, 300)) * np.array([[1.0], [2.0], [0.5], [3.0]])
    weight = 0.7
    mean = np.array([math.fsum(col) / 4 for col in members.T])
    var = np.array([math.fsum((v - m) ** 2 for v in col) / 4 for col, m in zip(members.T, mean, strict=True)])
    # four-term sums: a few ulps of the largest term
    scale = np.abs(members).max(axis=0)
    assert np.all(np.abs(proxies.aggregate(members, "mean") - mean) <= 8 * EPS * scale)
    assert np.array_equal(proxies.aggregate(members, "min"), np.array([min(col) for col in members.T]))
    got = proxies.aggregate(members, "uncertainty", weight)
    assert np.all(np.abs(got - (mean - weight * var)) <= 32 * EPS * (scale + scale ** 2))
    assert np.array_equal(proxies.aggregate(list(members), "uncertainty"),
                          proxies.aggregate(members, "uncertainty", 1.0))
    with pytest.raises(ValueError, match="how"):
        proxies.aggregate(members, "median")


def test_standardized_against_fsum():
    rng = np.random.default_rng(6)
    scores = [rng.standard_normal(500) * 3 + 2, rng.standard_normal(800) - 5]
    out = proxies.standardized(scores)
    flat = np.concatenate(out)
    # sums of 1300 terms of size <= ~5: float rounding well below 1e-12
    assert abs(math.fsum(flat) / flat.size) < 1e-12
    assert abs(math.sqrt(math.fsum(flat ** 2) / flat.size) - 1.0) < 1e-12
    raw = np.concatenate(scores)
    m = math.fsum(raw) / raw.size
    sd = math.sqrt(math.fsum((raw - m) ** 2) / raw.size)
    for s, o in zip(scores, out, strict=True):
        assert np.allclose(o, (s - m) / sd, rtol=1e-12, atol=1e-12)


def test_noisy_error_laws():
    config = tiny()
    golds = W.world(config)[2]
    g = np.concatenate(golds)
    errors = {kind: np.concatenate(proxies.noisy(config, golds, kind, 0)) - g for kind in ("heavy", "light")}
    eps = {kind: e / config.noise_scale for kind, e in errors.items()}
    n = g.size
    # the laws: Kolmogorov–Smirnov against the stated law passes, against the other fails (p < 1e-6)
    t_law, normal = stats.t(config.noise_nu), stats.norm()
    assert stats.kstest(eps["heavy"], t_law.cdf).pvalue > 1e-6
    assert stats.kstest(eps["light"], normal.cdf).pvalue > 1e-6
    assert stats.kstest(eps["heavy"], normal.cdf).pvalue < 1e-6
    # the tail: P(|ε| > 4) is 0.057 for t(2) (count within 5 binomial SE) and 6.3e-5 for N(0, 1)
    # (expected 0.25 of 4000; more than 5 has Poisson probability < 1e-6)
    p_heavy = 2 * t_law.sf(4.0)
    count = np.sum(np.abs(eps["heavy"]) > 4.0)
    assert abs(count - n * p_heavy) < 5 * math.sqrt(n * p_heavy * (1 - p_heavy))
    assert np.sum(np.abs(eps["light"]) > 4.0) <= 5
    # independent of the gold: Spearman's ρ within 5 SE (1/√(n-1)), valid for any continuous law
    for e in eps.values():
        assert abs(stats.spearmanr(e, g).statistic) < 5 / math.sqrt(n - 1)
    # reproducible, and one stream per kind and seed
    first = golds[0].size
    assert np.array_equal(proxies.noisy(config, golds, "heavy", 0)[1], golds[1] + errors["heavy"][first:])
    assert not np.array_equal(proxies.noisy(config, golds, "light", 1)[0], golds[0] + errors["light"][:first])


# ---------------------------------------------------------------------------------------------
# curves
# ---------------------------------------------------------------------------------------------

def test_grids():
    config = tiny()
    n = curves.n_grid(config.n_max, config.n_fit, config.n_points)
    assert n[0] == 1.0 and n[-1] == config.n_max and config.n_fit in n
    assert np.all(np.diff(n) > 0) and n.size <= config.n_points + 1
    kl = curves.kl_grid(config.responses, config.kl_points)
    assert kl.size == config.kl_points
    assert kl[0] == pytest.approx(1e-2, rel=1e-14)
    assert kl[-1] == pytest.approx(0.95 * math.log(config.responses), rel=1e-14)
    ratios = kl[1:] / kl[:-1]
    assert np.allclose(ratios, ratios[0], rtol=1e-12)


def pool_scores(m, seed):
    """Distinct proxy values and a correlated gold on a pool of m responses."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(m)
    return u, 0.6 * u + 0.8 * rng.standard_normal(m)


def test_best_of_n_at_one_is_the_base_policy():
    u, g = pool_scores(1000, 8)
    kl, gold_gain, proxy_gain = curves.best_of_n_curve(u, g, np.array([1.0]))
    assert kl[0] == 0.0
    # two means of the same 1000 values summed in different orders: rounding grows like
    # √1000 ≈ 32 ulps of the largest value
    assert abs(gold_gain[0]) <= 32 * EPS * np.abs(g).max()
    assert abs(proxy_gain[0]) <= 32 * EPS * np.abs(u).max()


def test_best_of_n_against_brute_force():
    m = 400
    u, g = pool_scores(m, 9)
    ns = [1, 2, 3, 7, 50, 400, 3000]
    kl, gold_gain, proxy_gain = curves.best_of_n_curve(u, g, np.array(ns, dtype=float))
    order = np.argsort(u)
    us, gs = u[order], g[order]
    with mpmath.workdps(40):
        for i, n in enumerate(ns):
            q = [(mpmath.mpf(j) / m) ** n - (mpmath.mpf(j - 1) / m) ** n for j in range(1, m + 1)]
            ref_kl = mpmath.fsum(qj * mpmath.log(qj * m) for qj in q)
            ref_gold = mpmath.fsum(qj * gj for qj, gj in zip(q, gs, strict=True)) - mpmath.fsum(gs) / m
            ref_proxy = mpmath.fsum(qj * uj for qj, uj in zip(q, us, strict=True)) - mpmath.fsum(us) / m
            # relative 1e-10 (the optimizer works in log space on float64), absolute 1e-12 of the
            # scale for the gains near n = 1
            assert abs(kl[i] - float(ref_kl)) <= 1e-10 * float(ref_kl) + 1e-15, n
            ref_gold, ref_proxy = float(ref_gold), float(ref_proxy)
            assert abs(gold_gain[i] - ref_gold) <= 1e-10 * abs(ref_gold) + 1e-12 * np.abs(g).max()
            assert abs(proxy_gain[i] - ref_proxy) <= 1e-10 * abs(ref_proxy) + 1e-12 * np.abs(u).max()


def pool_quantilizer(u, g, k):
    """Brute force on a pool of M equally likely responses: the top-q policy (weight 1/(qM) on
    each of the floor(qM) best by proxy, the rest of the mass on the next one), with q solved from
    its exact KL = k by brentq. Returns (gold gain, proxy gain, d gold gain / d KL at q)."""
    m = u.size
    order = np.argsort(-u)
    gd, ud = g[order], u[order]

    def at(q):
        top = q * m
        whole = min(int(top), m - 1)
        frac = top - whole
        kl = (whole / top) * math.log(1 / q) + ((frac / top) * math.log(frac / q) if frac > 0 else 0.0)
        gains = [(math.fsum(v[:whole]) + frac * v[whole]) / top - math.fsum(v) / m for v in (gd, ud)]
        return kl, gains

    q = optimize.brentq(lambda q: at(q)[0] - k, 1.0 / m, 1.0, xtol=1e-300, rtol=4 * EPS)
    (kl_lo, (g_lo, _)), (kl_hi, (g_hi, _)) = at(q * (1 - 1e-7)), at(q * (1 + 1e-7))
    return (*at(q)[1], (g_hi - g_lo) / (kl_hi - kl_lo))


def test_quantilizer_against_brute_force():
    m = 1000
    u, g = pool_scores(m, 10)
    kl = np.array([0.01, 0.3, 1.7, 4.0])
    result = curves.matched_curves(u, g, kl)
    for i, k in enumerate(kl):
        gold_gain, proxy_gain, slope = pool_quantilizer(u, g, k)
        # frontier accepts a KL within 1e-9·k of the target: the gain moves by slope·δKL (twice
        # that for the finite-difference slope); 1e-12 of the scale for rounding
        tol = 2e-9 * k * abs(slope) + 1e-12 * np.abs(g).max()
        assert abs(result["quantilizer"][0][i] - gold_gain) <= tol, k


def test_quantilizer_is_the_top_fraction():
    m = 1000
    u, g = pool_scores(m, 10)
    tops = (100, 250, 3)
    kl = np.array([math.log(m / top) for top in tops])  # e^{-k}·M is an integer
    result = curves.matched_curves(u, g, kl)
    order = np.argsort(-u)
    for i, top in enumerate(tops):
        best = order[:top]
        # Conditioning: at q0 = top/M the pool's KL is flat from below,
        # KL(q0 - ε) = KL(q0) + ε²/(2 q0/M) + O(ε³), so a KL matched to δ = 1e-9·k (frontier's
        # acceptance) leaves ε up to sqrt(2 δ q0/M), moving a mass ε/q0 between responses: the
        # gain by at most 2 max|g|·ε/q0.
        q0 = top / m
        tol = 2 * np.abs(g).max() * math.sqrt(2e-9 * kl[i] * q0 / m) / q0
        assert abs(result["quantilizer"][0][i] - (math.fsum(g[best]) / top - math.fsum(g) / m)) <= tol
        tol = 2 * np.abs(u).max() * math.sqrt(2e-9 * kl[i] * q0 / m) / q0
        assert abs(result["quantilizer"][1][i] - (math.fsum(u[best]) / top - math.fsum(u) / m)) <= tol


def test_tilt_against_root_finding():
    m = 1000
    u, g = pool_scores(m, 11)
    kl = np.array([0.05, 0.5, 2.0])
    result = curves.matched_curves(u, g, kl)

    def tilt(lam):
        pi = special.softmax(lam * u)
        return pi, lam * (pi @ u) - special.logsumexp(lam * u) + math.log(m)

    for i, k in enumerate(kl):
        lam = optimize.brentq(lambda lam, k=k: tilt(lam)[1] - k, 1e-8, 1e3, xtol=1e-15, rtol=4 * EPS)
        pi = tilt(lam)[0]
        # frontier matches KL to 1e-9 relative, and d log gain / d log KL <= 1 for the tilt (1/2 at
        # small KL): the gains to ~1e-9 relative; 1e-7 leaves a margin of 100
        assert result["kl_tilt"][0][i] == pytest.approx(pi @ g - g.mean(), rel=1e-7)
        assert result["kl_tilt"][1][i] == pytest.approx(pi @ u - u.mean(), rel=1e-7)


def test_features_are_standardized_x_and_x_squared():
    x = W.pool(tiny(), 0)
    phi = curves.features(x)
    dim = x.shape[1]
    assert phi.shape == (x.shape[0], 2 * dim)
    # reference: scipy's z-scores; 2000-term sums: 1e-12 relative
    assert np.allclose(phi[:, :dim], stats.zscore(x, axis=0), rtol=1e-12, atol=1e-12)
    assert np.allclose(phi[:, dim:], stats.zscore(x * x, axis=0), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(phi.mean(axis=0)) < 1e-12)
    assert np.all(np.abs(phi.std(axis=0) - 1.0) < 1e-12)


def softmax_kl_mp(logits):
    """KL(softmax(logits)‖uniform) in 50-digit arithmetic."""
    with mpmath.workdps(50):
        ls = [mpmath.mpf(float(v)) for v in logits]
        log_z = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in ls))
        return float(mpmath.fsum(mpmath.exp(v - log_z) * (v - log_z + mpmath.log(len(ls))) for v in ls))


@pytest.mark.parametrize("logits", [
    np.random.default_rng(12).standard_normal(300) * 5,
    np.array([1e3, 999.0, 0.0, -1e3, 5.0]),
    np.array([-1e3, -1e3 + 1.0, -1e3 + 2.0]),
    np.array([1e3, 0.0, 0.0, 0.0]),
    np.zeros(10),
], ids=["normal", "large", "large-negative", "one-hot", "flat"])
def test_softmax_kl(logits):
    pi, kl = curves._softmax(logits)  # filterwarnings=error: any overflow fails the test
    assert np.allclose(pi, special.softmax(logits), rtol=1e-12, atol=1e-300)
    assert pi.sum() == pytest.approx(1.0, abs=len(logits) * EPS)
    # a dot product and a log of sums of terms up to max|logit|: 64 ulps of that scale
    assert abs(kl - softmax_kl_mp(logits)) <= 64 * EPS * (np.abs(logits - logits.max()).max() + 1.0)
    assert kl >= 0.0


def pg(phi, proxy, gold, seed, **kw):
    options = {"penalty": 0.0, "steps": 30, "batch": 64, "learning_rate": 0.05, **kw}
    return curves.policy_gradient(phi, proxy, gold, rng=np.random.default_rng(seed), **options)


def test_policy_gradient_records():
    x = W.pool(tiny(), 0)
    phi = curves.features(x)
    u, g = pool_scores(x.shape[0], 13)
    step, kl, gold, proxy = pg(phi, u, g, 0, penalty=0.3)
    assert np.array_equal(step, np.arange(31))
    assert kl.shape == gold.shape == proxy.shape == (31,)
    assert kl[0] == 0.0
    # π0 @ r - mean(r): a BLAS dot product of M = 2000 terms, error up to M ulps of the max
    assert abs(gold[0]) <= 2000 * EPS * np.abs(g).max() and abs(proxy[0]) <= 2000 * EPS * np.abs(u).max()
    assert np.all(kl >= 0.0)
    again = pg(phi, u, g, 0, penalty=0.3)
    assert all(np.array_equal(p, q) for p, q in zip((step, kl, gold, proxy), again, strict=True))
    assert not np.array_equal(kl, pg(phi, u, g, 1, penalty=0.3)[1])
    # a proxy with nothing to gain (constant, exactly representable) never moves the policy
    flat = pg(phi, np.full(u.size, 0.5), g, 0)
    assert np.all(flat[1] == 0.0) and np.all(np.abs(flat[2]) <= 2000 * EPS * np.abs(g).max())


def test_policy_gradient_kl_bounds_the_gains():
    """Donsker–Varadhan: for any π and λ, λ(E_π[r] - E_π0[r]) <= KL(π‖π0) + log E_π0[e^{λ(r - E_π0 r)}];
    a recorded KL smaller than that would be wrong."""
    config = tiny()
    _, pools, golds = W.world(config)
    x, g = pools[1], golds[1]
    phi = curves.features(x)
    u = g + 0.5 * np.random.default_rng(14).standard_normal(g.size)
    lam = np.linspace(-5.0, 5.0, 201)
    for penalty in (0.0, 1.0):
        _, kl, gold, proxy = pg(phi, u, g, 2, penalty=penalty, steps=100, learning_rate=0.1)
        assert proxy[-1] > 0.05  # the policy does move
        for r, gain in ((u, proxy), (g, gold)):
            cgf = special.logsumexp(lam[:, None] * (r - r.mean()), axis=1) - math.log(r.size)
            bound = np.max(lam[None, :] * gain[:, None] - cgf[None, :], axis=1)
            # the bound is computed with sums of 2000 terms: 1e-12 absolute
            assert np.all(kl >= bound - 1e-12)


def test_policy_gradient_one_feature_against_exact_family():
    """With one feature φ and proxy u = φ, the policy is π_θ ∝ e^{θφ}: θ is recovered from the
    recorded proxy gain by root finding, and then the recorded KL and gold gain must be the exact
    ones of π_θ. The steps of θ are Adam's: never longer than lr(1 - β1)/√(1 - β2) (Kingma & Ba
    2015, §2.1); with u = φ the REINFORCE gradient has the sign of 1 - βθ, so θ climbs at about
    lr per step without a penalty and settles at the penalized optimum θ* = 1/β with one."""
    m, batch, lr, steps = 2000, 64, 0.05, 300
    rng = np.random.default_rng(15)
    z = rng.standard_normal(m)
    phi = ((z - z.mean()) / z.std())[:, None]
    u = phi[:, 0]
    g = np.sin(2 * u) + 0.3 * rng.standard_normal(m)

    def family(theta):
        log_pi = theta * u - special.logsumexp(theta * u)
        pi = np.exp(log_pi)
        return pi, float(pi @ (log_pi + math.log(m)))

    for penalty in (0.0, 1.0):
        _, kl, gold, proxy = pg(phi, u, g, 4, penalty=penalty, steps=steps, batch=batch, learning_rate=lr)
        theta = np.array([optimize.brentq(lambda t, d=d: family(t)[0] @ u - u.mean() - d, -50.0, 50.0,
                                          xtol=1e-14, rtol=4 * EPS) for d in proxy])
        for t, k, gg in zip(theta, kl, gold, strict=True):
            pi, exact_kl = family(t)
            # θ to 1e-14 moves KL and gold by 1e-14 times O(1) derivatives: 1e-12
            assert abs(k - exact_kl) <= 1e-12
            assert abs(gg - (pi @ g - g.mean())) <= 1e-12
        # Adam's step bound, with room for θ's recovery error (1e-12)
        assert np.all(np.abs(np.diff(theta)) <= lr * 0.1 / math.sqrt(0.001) + 1e-12)
        if not penalty:
            # the gradient's sign is always + (Cov_θ(φ, φ) > 0), so m̂/√v̂ stays positive; its size
            # falls below 1 as π concentrates on a few responses and the batch gradient gets noisy
            assert theta[-1] >= 0.3 * lr * steps
        else:
            # Adam jitters about θ* by about lr: the last 100 steps' mean lies within 2 lr of it
            assert abs(theta[-100:].mean() - 1 / penalty) <= 2 * lr


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The tiny configuration run once straight through, and once interrupted twice and resumed
    in a fresh world (caches cleared, as in a new process)."""
    pytest.importorskip("torch")
    base = tmp_path_factory.mktemp("lab")
    config = tiny()
    clear_caches()
    whole = lab_run.run_lab(config, base / "whole", workers=1)
    clear_caches()
    first = lab_run.run_lab(config, base / "parts", max_cells=3, workers=1)
    clear_caches()
    second = lab_run.run_lab(config, base / "parts", resume=True, max_cells=4, workers=1)
    clear_caches()
    last = lab_run.run_lab(config, base / "parts", resume=True, workers=1)
    return config, base, whole, (first, second, last)


def test_run_layout(runs):
    config, base, whole, _ = runs
    total = len(lab_run.cells(config))
    assert total == config.seeds * (len(config.widths) * len(config.data_sizes) + 1 + 2)
    assert (whole.cells, whole.cells_done, whole.cells_run, whole.complete) == (total, total, total, True)
    meta = lab_run.read_meta(base / "whole")
    assert meta["kind"] == "lab" and meta["settings"] == config.to_dict()
    assert LabConfig(**meta["settings"]) == config
    names = {f"{c.name}.npz" for c in lab_run.cells(config)}
    assert len(names) == total
    assert set(os.listdir(base / "whole" / "cells")) == names
    assert os.path.isfile(base / "whole" / "sweep.json")


def test_interrupted_run_equals_uninterrupted(runs):
    config, base, _, (first, second, last) = runs
    total = len(lab_run.cells(config))
    assert (first.cells_done, first.cells_run, first.complete) == (3, 3, False)
    assert (second.cells_done, second.cells_run, second.complete) == (7, 4, False)
    assert (last.cells_done, last.cells_run, last.complete) == (total, total - 7, True)
    for cell in lab_run.cells(config):
        a, b = lab_run.load_cell(base / "whole", cell), lab_run.load_cell(base / "parts", cell)
        assert a.keys() == b.keys()
        for key in a:  # bit-identical, nan padding included
            assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape
            assert a[key].tobytes() == b[key].tobytes(), (cell.name, key)


def test_cell_contents(runs):
    config, base, _, _ = runs
    _, pools, golds = W.world(config)
    n = curves.n_grid(config.n_max, config.n_fit, config.n_points)
    log_m = math.log(config.responses)
    ints = [i for i, v in enumerate(n) if v <= 50]
    for cell in lab_run.cells(config):
        arrays = lab_run.load_cell(base / "whole", cell)
        assert np.array_equal(arrays["n"], n)
        kl = arrays["bon_kl"] if cell.kind != "ensemble" else arrays["mean_bon_kl"]
        assert kl.shape == (config.prompts, n.size)
        assert np.all(kl[:, 0] == 0.0) and np.all(np.diff(kl, axis=1) >= 0) and np.all(kl <= log_m)
        if cell.kind == "ensemble":
            for k in range(config.ensemble_size):
                assert f"member{k}_bon_gold" in arrays
            for how in proxies.AGGREGATIONS:
                assert arrays[f"{how}_bon_gold"].shape == (config.prompts, n.size)
            continue
        assert arrays["error_tail"].dtype.kind == "U"
        if cell.kind == "noise":
            continue
        proxy = proxies.train(config, cell.width, cell.data, cell.seed)
        assert arrays["accuracy"] == proxies.accuracy(config, proxy)
        assert arrays["parameters"] == proxies.parameter_count(config.dim, cell.width)
        for key in ("tilt_gold", "quantilizer_gold", "quantilizer_proxy"):
            assert arrays[key].shape == (config.prompts, config.kl_points)
        for p in range(config.prompts):
            # brute force on the pool (order only, so standardizing cannot matter): best-of-n for
            # small integer n and the top-q quantilizer with the boundary response split
            u, g = proxy(pools[p]), golds[p]
            gs = g[np.argsort(u)]
            m = gs.size
            k = np.arange(m + 1) / m
            for i in ints:
                q = np.diff(k ** n[i])  # q_j = (j/M)^n - ((j-1)/M)^n
                ref = math.fsum(q * gs) - math.fsum(gs) / m
                # float powers (n <= 50: 50 ulps each) summed over M terms stay below 1e-10 of the
                # scale; the optimizer itself is good to 1e-10 (test_best_of_n_against_brute_force)
                assert abs(arrays["bon_gold"][p, i] - ref) <= 1e-9 * np.abs(g).max()
            for i, k in enumerate(curves.kl_grid(config.responses, config.kl_points)):
                ref, _, slope = pool_quantilizer(u, g, k)
                # as in test_quantilizer_against_brute_force
                tol = 2e-9 * k * abs(slope) + 1e-12 * np.abs(g).max()
                assert abs(arrays["quantilizer_gold"][p, i] - ref) <= tol
        if cell.data == max(config.data_sizes):
            steps = config.rl_steps + 1
            assert arrays["rl_kl"].shape == (config.prompts, steps)
            assert arrays["rl_penalty_kl"].shape == (config.prompts, len(config.rl_penalties), steps)
            assert np.all(arrays["rl_kl"][:, 0] == 0.0) and np.all(arrays["rl_penalty_kl"] >= 0.0)
        else:
            assert "rl_kl" not in arrays


def test_run_refuses_overwrite_and_other_settings(runs):
    config, base, _, _ = runs
    with pytest.raises(ValueError, match="already exists"):
        lab_run.run_lab(config, base / "whole", workers=1)
    with pytest.raises(ValueError, match="seeds: run has 2, asked 3"):
        lab_run.run_lab(tiny(seeds=3), base / "whole", resume=True, workers=1)
    with pytest.raises(ValueError, match="label_flip"):
        lab_run.run_lab(tiny(label_flip=0.1), base / "whole", resume=True, workers=1)
    with pytest.raises(ValueError, match="LabConfig"):
        lab_run.run_lab(config.to_dict(), base / "other", workers=1)
    done = lab_run.run_lab(config, base / "whole", resume=True, workers=1)
    assert (done.cells_run, done.complete) == (0, True)


def test_load_cell_missing_and_damaged(runs, tmp_path):
    config, base, _, _ = runs
    copy = tmp_path / "copy"
    shutil.copytree(base / "whole", copy)
    cell = lab_run.cells(config)[0]
    path = sweep.cell_file(copy, cell.name)
    os.remove(path)
    with pytest.raises(ValueError, match="missing"):
        lab_run.load_cell(copy, cell)
    with open(path, "wb") as f:
        f.write(b"PK")  # shorter than numpy's zip magic
    with pytest.raises(ValueError, match="damaged"):
        lab_run.load_cell(copy, cell)


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_load_cell_truncated_is_damaged(runs, tmp_path, damage):
    config, base, _, _ = runs
    copy = tmp_path / "copy"
    shutil.copytree(base / "whole", copy)
    cell = lab_run.cells(config)[0]
    path = sweep.cell_file(copy, cell.name)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if damage == "truncated":
        data = data[: len(data) // 2]  # the zip's central directory, at the end, is gone
    else:  # one byte flipped in the middle of the largest member's (uncompressed) data
        with zipfile.ZipFile(path) as z:
            info = max(z.infolist(), key=lambda i: i.file_size)
        local = info.header_offset
        start = local + 30 + int.from_bytes(data[local + 26:local + 28], "little") + int.from_bytes(
            data[local + 28:local + 30], "little")
        data[start + info.compress_size // 2] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        lab_run.load_cell(copy, cell)


def test_read_meta_refuses_other_folders(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        lab_run.read_meta(tmp_path / "absent")
    with pytest.raises(ValueError, match="not a sweep run"):
        lab_run.read_meta(tmp_path)
    (tmp_path / "sweep.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a sweep run"):
        lab_run.read_meta(tmp_path)
    (tmp_path / "sweep.json").write_text("[1, 2")
    with pytest.raises(ValueError, match="not a sweep run"):
        lab_run.read_meta(tmp_path)
    (tmp_path / "sweep.json").write_text('{"format": "catgoodhart-sweep", "format_version": 99}')
    with pytest.raises(ValueError, match="newer"):
        lab_run.read_meta(tmp_path)
    (tmp_path / "sweep.json").write_text('{"format": "catgoodhart-sweep", "format_version": 1, '
                                         '"kind": "bon-grid"}')
    with pytest.raises(ValueError, match="not a 'lab' one"):
        lab_run.read_meta(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a sweep run"):
        lab_run.run_lab(tiny(), tmp_path / "empty", resume=True, workers=1)
