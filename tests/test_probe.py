"""The probes on tiny random-weight models built here: scorers, seeding, resume, search, CLI."""

import os
import sys

import numpy as np
import pytest

REASON = "the probes need the optional extra: pip install 'catgoodhart[lm]'"
torch = pytest.importorskip("torch", reason=REASON)
transformers = pytest.importorskip("transformers", reason=REASON)
pytest.importorskip("tokenizers", reason=REASON)

from catgoodhart import probe  # noqa: E402
from catgoodhart.cli import main as probe_main  # noqa: E402
from catgoodhart.probe.store import RunStore  # noqa: E402

WORDS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]", *[f"w{i}" for i in range(80)],
         "is", "this", "good", "?", "yes", "no", "text", ":"]
JUDGE = {"judge_prompt": "is this good ? {text} text : yes no :", "judge_yes": "yes", "judge_no": "no"}

#: The same sequence scored in different batches (other padding, other matrix shapes, so
#: other orders of float32 reductions) gives final hidden states h about one float32 rounding
#: per block apart relative to h, L * eps32 for these L = 2 blocks. A score h . w moves by at
#: most L * eps32 * sum_i |h_i w_i| <= 2 * 1.19e-7 * 3 = 7e-7 (the sum is <= 3 for these
#: weights and sequences), plus the classifier's float32 rounding of its logit (|r| < 2:
#: 1.2e-7). 1e-5 is ten times that first-order bound, for the roundings it leaves out
#: (softmax, RMSNorm, rotary angles). Measured: 2e-7.
SCORE_ATOL = 1e-5
#: log q(x) sums the log-softmax of up to T = 25 tokens; each log-softmax moves by at most
#: twice the largest logit change, L * eps32 * max_j sum_i |h_i W_ji| <= 2 * 1.19e-7 * 3.3: in
#: all at most 25 * 2 * 7.9e-7 = 4e-5. Measured: 8e-7.
LOGQ_ATOL = 1e-4


def _tokenizer(template):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    tk = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single=template,
                                                      special_tokens=[("[BOS]", 2), ("[EOS]", 3)])
    tk.decoder = decoders.WordPiece()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="[BOS]", eos_token="[EOS]",
                                                pad_token="[PAD]", unk_token="[UNK]")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The tiny models are faster on one thread than on several that wait for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Folders of a tiny causal LM and a tiny sequence-classification reward model."""
    root = tmp_path_factory.mktemp("tiny")
    cfg = dict(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
               num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, pad_token_id=0,
               bos_token_id=2, eos_token_id=3, num_labels=1)
    paths = {}
    for kind, cls, template in (("lm", transformers.LlamaForCausalLM, "[BOS] $A"),
                                ("rm", transformers.LlamaForSequenceClassification, "[BOS] $A [EOS]")):
        torch.manual_seed(len(kind) + (kind == "rm"))
        model = cls(transformers.LlamaConfig(**cfg))
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, 0.3)
        path = root / kind
        model.save_pretrained(path)
        _tokenizer(template).save_pretrained(path)
        paths[kind] = str(path)
    return paths


@pytest.fixture(scope="module")
def models(tiny):
    lm = probe.load_language_model(tiny["lm"])
    return {"lm": lm, "rm": probe.load_reward_model(tiny["rm"]),
            "judge": probe.load_reward_model("judge:" + tiny["lm"], lm=lm, **JUDGE)}


def _ragged(seed, count=11, low=1, high=25):
    rng = np.random.default_rng(seed)
    return [rng.integers(4, len(WORDS), size=rng.integers(low, high)).tolist() for _ in range(count)]


@pytest.mark.parametrize("name", ["rm", "judge"])
def test_batched_scores_equal_one_at_a_time(models, name):
    rm = models[name]
    seqs = _ragged(1)
    batched = rm.score_ids(seqs, batch_size=4)
    alone = np.array([rm.score_ids([s], batch_size=1)[0] for s in seqs])
    assert batched.dtype == np.float64 and np.ptp(batched) > 1e-3
    np.testing.assert_allclose(batched, alone, rtol=0, atol=SCORE_ATOL)
    texts = rm.tokenizer.batch_decode(seqs)
    np.testing.assert_allclose(rm.score_texts(texts, batch_size=5), alone, rtol=0, atol=SCORE_ATOL)


def test_classifier_and_judge_wrap_content(models):
    assert models["rm"].prefix == [2] and models["rm"].suffix == [3]
    judge = models["judge"]
    assert judge.prefix[0] == 2 and judge.yes_id == WORDS.index("yes") and judge.no_id == WORDS.index("no")
    assert not set(models["rm"].vocab) & {0, 1, 2, 3}


def test_log_prob_batched_and_consistent_with_sampling(models):
    lm = models["lm"]
    seqs = _ragged(2, count=6)
    batched = lm.log_prob(seqs, batch_size=4)
    np.testing.assert_allclose(batched, [lm.log_prob([s])[0] for s in seqs], rtol=0, atol=LOGQ_ATOL)
    prompts = np.array([[2, 10, 11], [2, 12, 13]])
    tokens, lengths, logq = lm.sample(prompts, length=8, temperature=1.0, rng=np.random.default_rng(3))
    for i in range(2):
        full = prompts[i, 1:].tolist() + tokens[i, :lengths[i]].tolist()
        expected = lm.log_prob([full])[0] - lm.log_prob([prompts[i, 1:].tolist()])[0]
        assert logq[i] == pytest.approx(expected, rel=0, abs=LOGQ_ATOL)


def _rewards(path):
    return RunStore.open(path).rewards()


def test_random_probe_is_deterministic_and_resumes(models, tmp_path):
    rm = models["rm"]
    kw = dict(n=40, length=12, batch_size=16, seed=9, quiet=True)
    full = probe.random_probe(rm, out=tmp_path / "a", **kw)
    assert full.complete and full.n_done == 40 and full.batches_run == 3
    probe.random_probe(rm, out=tmp_path / "b", **kw)
    np.testing.assert_array_equal(_rewards(tmp_path / "a"), _rewards(tmp_path / "b"))
    other = probe.random_probe(rm, out=tmp_path / "c", **{**kw, "seed": 10})
    assert other.complete and not np.array_equal(_rewards(tmp_path / "a"), _rewards(tmp_path / "c"))

    part = probe.random_probe(rm, out=tmp_path / "d", max_batches=1, **kw)
    assert not part.complete and part.n_done == 16
    with pytest.raises(ValueError, match="already exists"):
        probe.random_probe(rm, out=tmp_path / "d", **kw)
    with pytest.raises(ValueError, match="different settings"):
        probe.random_probe(rm, out=tmp_path / "d", resume=True, **{**kw, "length": 13})
    rest = probe.random_probe(rm, out=tmp_path / "d", resume=True, **kw)
    assert rest.complete and rest.batches_run == 2
    np.testing.assert_array_equal(_rewards(tmp_path / "a"), _rewards(tmp_path / "d"))
    a, d = RunStore.open(tmp_path / "a").arrays(), RunStore.open(tmp_path / "d").arrays()
    np.testing.assert_array_equal(a["tokens"], d["tokens"])
    assert a["texts"][0] == rm.tokenizer.decode(a["tokens"][0].tolist())


def test_interrupt_from_callback_keeps_finished_batches(models, tmp_path):
    kw = dict(n=30, length=6, batch_size=8, seed=4, quiet=True)
    lm, judge = models["lm"], models["judge"]
    probe.lm_probe(judge, lm, out=tmp_path / "full", **kw)

    def stop(index):
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        probe.lm_probe(judge, lm, out=tmp_path / "cut", on_batch=stop, **kw)
    assert RunStore.open(tmp_path / "cut").meta["n_done"] == 16
    probe.lm_probe(judge, lm, out=tmp_path / "cut", resume=True, **kw)
    full, cut = RunStore.open(tmp_path / "full").arrays(), RunStore.open(tmp_path / "cut").arrays()
    for key in ("rewards", "tokens", "lengths", "logq"):
        np.testing.assert_array_equal(full[key], cut[key])
    assert np.all(np.isfinite(full["logq"])) and full["tokens"].shape[1] == 5 + 6


def test_lm_probe_with_fixed_prompt_and_classifier(models, tmp_path):
    run = probe.lm_probe(models["rm"], models["lm"], n=6, length=5, batch_size=3, seed=1, prompt="is this",
                         out=tmp_path / "x", quiet=True)
    arrays = RunStore.open(run.path).arrays()
    assert run.complete and RunStore.open(run.path).meta["settings"]["scored_as"] == "token ids"
    seqs = [[t for t in row if t >= 0 and t != 3] for row in arrays["tokens"]]  # drop padding and EOS
    assert all(s[:2] == [WORDS.index("is"), WORDS.index("this")] for s in seqs)
    np.testing.assert_allclose(arrays["rewards"], models["rm"].score_ids(seqs), rtol=0, atol=SCORE_ATOL)
    assert all(t.startswith("is this") for t in arrays["texts"])


@pytest.mark.parametrize("coords", [(1, 1), (4, 2)])
def test_adversarial_search_improves_and_rescoring_agrees(models, tmp_path, coords):
    judge = models["judge"]
    run = probe.adversarial_probe(judge, n=2, length=8, steps=6, candidates=12, top_k=5,
                                  coords_start=coords[0], coords_end=coords[1], batch_size=5, seed=2,
                                  out=tmp_path / "adv", quiet=True)
    arrays = RunStore.open(run.path).arrays()
    trace = arrays["trace"]
    assert trace.shape == (2, 7)
    assert np.all(np.diff(trace, axis=1) >= 0) and np.all(trace[:, -1] >= trace[:, 0])
    assert np.all(trace[:, -1] > trace[:, 0])  # six steps of twelve candidates find something better
    fresh = np.array([judge.score_ids([t.tolist()])[0] for t in arrays["tokens"]])
    np.testing.assert_allclose(arrays["rewards"], fresh, rtol=0, atol=SCORE_ATOL)
    np.testing.assert_allclose(trace[:, -1], fresh, rtol=0, atol=SCORE_ATOL)
    logq = models["lm"].log_prob(arrays["tokens"].tolist())  # both rows in one batch, the run's one by one
    np.testing.assert_allclose(arrays["logq"], logq, rtol=0, atol=LOGQ_ATOL)
    report = probe.probe_report(run.path)
    assert report.mixtures and report.mixtures[0].kl > 0


def test_adversarial_on_classifier_resumes(models, tmp_path):
    rm = models["rm"]
    kw = dict(n=3, length=6, steps=3, candidates=8, top_k=4, seed=8, quiet=True)
    probe.adversarial_probe(rm, out=tmp_path / "a", **kw)
    probe.adversarial_probe(rm, out=tmp_path / "b", max_batches=1, **kw)
    probe.adversarial_probe(rm, out=tmp_path / "b", resume=True, **kw)
    a, b = RunStore.open(tmp_path / "a").arrays(), RunStore.open(tmp_path / "b").arrays()
    np.testing.assert_array_equal(a["trace"], b["trace"])
    assert np.all(np.isnan(a["logq"]))  # no reference LM for a classifier without --lm


def test_callable_reward(tmp_path, monkeypatch, models):
    (tmp_path / "toy_reward.py").write_text("def reward(texts):\n    return [len(t) / 10 for t in texts]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rm = probe.load_reward_model("callable:toy_reward:reward")
    np.testing.assert_array_equal(rm.score_texts(["ab", "abcd"], batch_size=1), [0.2, 0.4])
    with pytest.raises(ValueError, match="`lm` is needed"):
        probe.random_probe(rm, n=4, length=3, out=tmp_path / "r", quiet=True)
    run = probe.random_probe(rm, lm=models["lm"], n=4, length=3, out=tmp_path / "r", quiet=True, seed=0)
    arrays = RunStore.open(run.path).arrays()
    np.testing.assert_allclose(arrays["rewards"], [len(t) / 10 for t in arrays["texts"]])
    with pytest.raises(ValueError, match="differentiable"):
        probe.adversarial_probe(rm, n=1, length=3, out=tmp_path / "adv", quiet=True)


def _one_line_exit_2(capsys, argv):
    code = probe_main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("catgoodhart probe: error:"), err
    return err


def test_cli_bad_specs_exit_2_and_overwrite_nothing(tiny, tmp_path, capsys):
    bins = tmp_path / "pickled"
    bins.mkdir()
    (bins / "config.json").write_text("{}")
    (bins / "pytorch_model.bin").write_bytes(b"\x80\x04not really")
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.gguf").write_bytes(b"GGUF" + b"\x00" * 64)
    (tmp_path / "text.gguf").write_text("hello")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    base = ["probe", "random", "-n", "4", "--length", "3", "--quiet"]
    cases = [
        ([*base, "--rm", str(tmp_path / "nope"), "--out", str(tmp_path / "o1")], "no such model"),
        ([*base, "--rm", str(tmp_path / "empty"), "--out", str(tmp_path / "o2")], "no config.json"),
        ([*base, "--rm", str(bins), "--out", str(tmp_path / "o3")], "pickle"),
        ([*base, "--rm", "judge:" + str(tmp_path / "bad.gguf"), "--out", str(tmp_path / "o4")], "cannot"),
        ([*base, "--rm", "judge:" + str(tmp_path / "text.gguf"), "--out", str(tmp_path / "o5")], "GGUF"),
        ([*base, "--rm", "callable:no_such_module_xyz:f", "--out", str(tmp_path / "o6")], "cannot import"),
        ([*base, "--rm", "callable:os", "--out", str(tmp_path / "o7")], "module:function"),
        ([*base, "--rm", tiny["lm"], "--out", str(tmp_path / "o8")], "not in the checkpoint"),
        ([*base, "--rm", tiny["rm"], "--out", str(existing)], "already exists"),
        ([*base, "--rm", tiny["rm"], "--out", str(existing), "--resume"], "not a probe run"),
        ([*base, "--rm", str(tmp_path / "bad.gguf"), "--out", str(tmp_path / "o11")], "use judge:"),
        (["probe", "lm", "--rm", tiny["rm"], "--out", str(tmp_path / "o9")], "--lm is required"),
        ([*base, "--rm", tiny["rm"], "--lm", "callable:os:getcwd", "--out", str(tmp_path / "o10")],
         "language model"),
    ]
    for argv, fragment in cases:
        err = _one_line_exit_2(capsys, argv)
        assert fragment in err, (argv, err)
    assert sorted(os.listdir(tmp_path)) == ["bad.gguf", "empty", "existing", "pickled", "text.gguf"]
    assert os.listdir(existing) == ["keep.txt"] and (existing / "keep.txt").read_text() == "mine"


def test_cli_runs_resumes_and_reports(tiny, tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = ["probe", "random", "--rm", tiny["rm"], "-n", "60", "--length", "5", "--batch-size", "16",
            "--seed", "3", "--out", out, "--quiet"]
    assert probe_main([*argv, "--max-batches", "2"]) == 0
    assert RunStore.open(out).meta["n_done"] == 32
    assert probe_main([*argv, "--resume"]) == 0
    assert RunStore.open(out).meta["complete"]
    adv = str(tmp_path / "adv")
    assert probe_main(["probe", "adversarial", "--rm", "judge:" + tiny["lm"],
                       "--judge-prompt", JUDGE["judge_prompt"], "--judge-yes", "yes", "--judge-no", "no",
                       "-n", "1", "--length", "4", "--steps", "2",
                       "--candidates", "4", "--seed", "0", "--out", adv, "--quiet"]) == 0
    capsys.readouterr()
    assert probe_main(["probe", "report", out, adv]) == 0
    text = capsys.readouterr().out
    assert "verdict:" in text and "mixture f = 0.01" in text
    assert os.path.exists(os.path.join(out, "tails.png"))
    assert probe_main(["probe", "report", "--json", out]) == 0
    assert '"verdict"' in capsys.readouterr().out
    _one_line_exit_2(capsys, ["probe", "report", str(tmp_path / "missing")])


def test_cli_without_extra_says_how_to_install(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    err = _one_line_exit_2(capsys, ["probe", "random", "--rm", "x", "--out", "y"])
    assert "pip install 'catgoodhart[lm]'" in err


def test_bad_arguments_name_the_argument(models, tmp_path):
    with pytest.raises(ValueError, match="`n`"):
        probe.random_probe(models["rm"], n=0, length=3, out=tmp_path / "a")
    with pytest.raises(ValueError, match="`temperature`"):
        probe.lm_probe(models["rm"], models["lm"], n=2, length=3, temperature=0.0, out=tmp_path / "b")
    with pytest.raises(ValueError, match="`seed`"):
        probe.random_probe(models["rm"], n=2, length=3, seed=-1, out=tmp_path / "c")
    with pytest.raises(ValueError, match="exceeds"):
        models["rm"].score_ids([[5] * 300])
    assert not os.listdir(tmp_path)
    assert sys.modules.get("torch") is not None
