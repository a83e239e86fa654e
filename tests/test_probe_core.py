"""Probe parts that need no torch: mixture KL, the run folder, the report, lazy imports."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from catgoodhart.probe.mixture import mixture_gain, mixture_kl, mixture_kl_approx
from catgoodhart.probe.report import mixture_policies, probe_report
from catgoodhart.probe.store import RunStore, batch_seed
from catgoodhart.tails.io import read_samples


def _brute_kl(q, x, f):
    p = (1 - f) * q
    p[x] += f
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


@pytest.mark.parametrize("f", [0.0, 1e-6, 0.01, 0.3, 0.9, 1.0])
def test_mixture_kl_matches_brute_force(f):
    rng = np.random.default_rng(7)
    for size in (2, 5, 40):
        q = rng.dirichlet(np.full(size, 0.5))
        q = np.maximum(q, 1e-300)
        q /= q.sum()
        for x in range(min(size, 5)):
            exact = mixture_kl(f, np.log(q[x]))
            assert exact == pytest.approx(_brute_kl(q.copy(), x, f), rel=1e-10, abs=1e-13)


def test_mixture_kl_far_tail_and_approximation():
    # the paper's example: f = 1%, log q = -1339.70 gives f (log f - log q) = 13.35 nats
    approx = mixture_kl_approx(0.01, -1339.70)
    assert approx == pytest.approx(0.01 * (np.log(0.01) + 1339.70))
    assert approx == pytest.approx(13.35, abs=0.01)
    exact = mixture_kl(0.01, -1339.70)
    # exact = f log(f/q) + (1 - f) log(1 - f) when q underflows
    assert exact == pytest.approx(approx + 0.99 * np.log(0.99), rel=1e-12)
    assert mixture_kl(1.0, -50.0) == pytest.approx(50.0)
    assert mixture_kl(0.0, -50.0) == 0.0
    assert mixture_kl(0.5, 0.0) == pytest.approx(0.0, abs=1e-15)  # x is the only outcome
    assert np.isinf(mixture_kl(0.1, -np.inf))
    assert mixture_gain(0.01, 2.2377, 0.3329) == pytest.approx(0.019048)
    np.testing.assert_allclose(mixture_kl([0.1, 0.2], [-3.0, -4.0]),
                               [mixture_kl(0.1, -3.0), mixture_kl(0.2, -4.0)])


@pytest.mark.parametrize("f, logq, name", [(-0.1, -1.0, "f"), (1.5, -1.0, "f"), (np.nan, -1.0, "f"),
                                           (0.1, 0.5, "logq"), (0.1, np.nan, "logq")])
def test_mixture_kl_rejects_bad_input(f, logq, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        mixture_kl(f, logq)


def test_importing_probe_does_not_import_torch():
    code = ("import sys, catgoodhart, catgoodhart.probe, catgoodhart.probe.cli, catgoodhart.probe.report; "
            "from catgoodhart.probe import mixture_kl, RunStore; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def _meta(n=10, batch_size=4, probe="random", seed=5):
    return {"probe": probe, "n": n, "batch_size": batch_size, "seed": seed, "settings": {"length": 3},
            "models": {"rm": {"spec": "fake"}, "lm": None}}


def test_store_commits_batches_and_refuses_overwrite(tmp_path):
    out = tmp_path / "runs" / "run"  # missing parent folders are created
    store = RunStore.create(out, _meta(), lock=True)
    assert store.n_batches == 3 and store.pending_batches() == [0, 1, 2]
    store.write_batch(1, {"rewards": np.arange(4.0) + 4, "tokens": np.ones((4, 3), dtype=np.int64)})
    assert store.rewards().size == 0  # batch 0 missing: nothing contiguous yet
    store.write_batch(0, {"rewards": np.arange(4.0), "tokens": np.ones((4, 2), dtype=np.int64)})
    assert store.pending_batches() == [2]
    np.testing.assert_array_equal(read_samples(out / "rewards.npy").values, np.arange(8.0))
    np.testing.assert_array_equal(read_samples(out).values, np.arange(8.0))  # the run folder itself
    arrays = RunStore.open(out).arrays()
    assert arrays["tokens"].shape == (8, 3) and arrays["tokens"][0, 2] == -1
    meta = json.loads((out / "run.json").read_text())
    assert meta["n_done"] == 8 and not meta["complete"] and meta["batches_done"] == 2
    with pytest.raises(ValueError, match="already exists"):
        RunStore.create(out, _meta())
    with pytest.raises(ValueError, match="another process"):
        RunStore.resume(out, _meta(), lock=True)  # ``store`` still holds the writer lock
    store.unlock()
    with pytest.raises(ValueError, match="seed"):
        RunStore.resume(out, _meta(seed=6))
    with pytest.raises(ValueError, match="rewards"):
        store.write_batch(2, {"rewards": np.zeros(5)})
    store.write_batch(2, {"rewards": np.zeros(2), "tokens": np.ones((2, 3), dtype=np.int64)})
    assert RunStore.resume(out, _meta()).meta["complete"]
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]


def test_batch_seeds_are_spawned_children():
    children = np.random.SeedSequence(11).spawn(4)
    for b, child in enumerate(children):
        np.testing.assert_array_equal(batch_seed(11, b).generate_state(4), child.generate_state(4))


def test_open_refuses_non_runs(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        RunStore.open(tmp_path / "missing")
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ValueError, match="not a probe run"):
        RunStore.open(tmp_path)


def test_report_on_sampling_and_adversarial_runs(tmp_path):
    rng = np.random.default_rng(0)
    sampled = RunStore.create(tmp_path / "lm", {**_meta(n=2000, batch_size=1000, probe="lm")})
    for b in range(2):
        sampled.write_batch(b, {"rewards": rng.normal(-3.0, 1.0, size=1000)})
    report = probe_report(tmp_path / "lm", figure=True)
    assert report.verdict == report.tail.verdict == "light"
    assert (tmp_path / "lm" / "tails.png").exists() and (tmp_path / "lm" / "report.json").exists()
    assert "verdict: light" in report.summary()
    shifted = RunStore.create(tmp_path / "up", {**_meta(n=1000, batch_size=1000, probe="random")})
    shifted.write_batch(0, {"rewards": rng.normal(5.0, 1.0, size=1000)})
    up = probe_report(tmp_path / "up", figure=False)
    # the verdict does not depend on where the rewards sit
    assert up.figure is None and up.verdict == up.tail.verdict == "light"

    adv = RunStore.create(tmp_path / "adv", {**_meta(n=2, batch_size=1, probe="adversarial")})
    for b, (r, lq) in enumerate([(2.0, -100.0), (3.0, -1000.0)]):
        adv.write_batch(b, {"rewards": np.array([r]), "start_rewards": np.array([0.0]),
                            "trace": np.array([[0.0, r]]), "logq": np.array([lq])})
    report = probe_report(tmp_path / "adv", base_runs=[tmp_path / "lm"])
    assert report.tail is None and len(report.mixtures) == 3
    m = report.mixtures[1]
    assert m.index == 0 and m.kl == pytest.approx(mixture_kl(0.01, -100.0))
    assert m.gain == pytest.approx(0.01 * (2.0 - sampled.rewards().mean()))
    assert "LM samples" in m.base_source
    assert mixture_policies([1.0], [np.nan], 0.0, "x") == []
