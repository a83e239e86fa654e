"""Sampling probes: the reward of random token sequences, and of a language model's samples.

* ``random_probe``: sequences of ``length`` tokens drawn uniformly from the ordinary
  vocabulary (special tokens excluded), scored by the reward model. Kwa et al.
  (arXiv 2407.14503, §5) use 30,000 sequences of 1,024 tokens.
* ``lm_probe``: sequences sampled from a language model at temperature T after a prompt of
  ``prompt_tokens`` uniformly random tokens (or a fixed prompt), scored by the reward model;
  the paper uses 16,000 sequences of up to 133 tokens at T = 1, starting with five random
  tokens. The scored sequence is the prompt followed by the completion.

Both write a run folder (``catgoodhart.probe.store``) batch by batch; batch b's tokens come
from ``SeedSequence(seed, spawn_key=(b,))``, so a resumed run equals an uninterrupted one.
"""

import numpy as np

from catgoodhart._validation import real
from catgoodhart.probe.runner import check_seed, positive, run_batches, text_array


def _token_source(rm, lm):
    if getattr(rm, "vocab", None) is not None:
        return rm.vocab, rm.tokenizer, "rm"
    if lm is not None:
        return lm.vocab, lm.tokenizer, "lm"
    raise ValueError("`lm` is needed: a callable reward has no tokenizer to draw random tokens from")


def random_probe(rm, *, n, length, out, batch_size=32, seed=None, lm=None, resume=False, quiet=False,
                 max_batches=None, on_batch=None):
    """Score ``n`` uniformly random sequences of ``length`` tokens with the reward model ``rm``.

    Tokens come from ``rm``'s tokenizer, or from ``lm``'s when ``rm`` is a callable (which then
    scores the decoded texts). Returns a :class:`~catgoodhart.probe.runner.ProbeRun`; the run
    folder ``out`` holds ``rewards``, ``tokens`` and ``texts``.
    """
    n, length, batch_size = positive("n", n), positive("length", length), positive("batch_size", batch_size)
    seed = check_seed(seed)
    vocab, tokenizer, source = _token_source(rm, lm)
    meta = {"probe": "random", "n": n, "batch_size": batch_size, "seed": seed,
            "settings": {"length": length, "token_source": source, "vocabulary": int(vocab.size)},
            "models": {"rm": rm.describe(), "lm": lm.describe() if lm is not None else None}}

    def work(index, start, stop, seedseq):
        rng = np.random.default_rng(seedseq)
        tokens = vocab[rng.integers(0, vocab.size, size=(stop - start, length))]
        texts = tokenizer.batch_decode(tokens.tolist())
        if source == "rm":
            rewards = rm.score_ids(tokens.tolist(), batch_size=batch_size)
        else:
            rewards = rm.score_texts(texts, batch_size=batch_size)
        return {"rewards": rewards, "tokens": tokens, "texts": text_array(texts)}

    return run_batches(meta, out, work, resume=resume, quiet=quiet, max_batches=max_batches,
                       on_batch=on_batch)


def same_tokenizer(a, b):
    """True when two tokenizers map every token to the same id."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    return a.get_vocab() == b.get_vocab()


def lm_probe(rm, lm, *, n, length, out, temperature=1.0, prompt=None, prompt_tokens=5, batch_size=16,
             seed=None, resume=False, quiet=False, max_batches=None, on_batch=None):
    """Score ``n`` samples of ``length`` tokens from ``lm`` at ``temperature`` with ``rm``.

    Each sample starts from ``prompt`` (a text) or, by default, ``prompt_tokens`` random
    tokens; sampling stops early at an end-of-sequence token. The run folder holds
    ``rewards``, ``tokens`` (prompt and completion, -1 padded), ``lengths`` (completion
    tokens), ``texts`` and ``logq`` (log-probability of the completion given the prompt at
    T = 1).
    """
    n, length, batch_size = positive("n", n), positive("length", length), positive("batch_size", batch_size)
    temperature = real("temperature", temperature, low=0, low_open=True)
    seed = check_seed(seed)
    if prompt is None:
        prompt_tokens = positive("prompt_tokens", prompt_tokens)
        fixed = None
    else:
        fixed = lm.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if not fixed and lm.bos_id is None:
            raise ValueError("`prompt` must encode to at least one token when the model has no BOS token")
    by_ids = getattr(rm, "vocab", None) is not None and same_tokenizer(rm.tokenizer, lm.tokenizer)
    meta = {"probe": "lm", "n": n, "batch_size": batch_size, "seed": seed,
            "settings": {"length": length, "temperature": temperature, "prompt": prompt,
                         "prompt_tokens": None if prompt is not None else prompt_tokens,
                         "scored_as": "token ids" if by_ids else "texts"},
            "models": {"rm": rm.describe(), "lm": lm.describe()}}
    bos = [lm.bos_id] if lm.bos_id is not None else []

    def work(index, start, stop, seedseq):
        rows = stop - start
        rng = np.random.default_rng(seedseq)
        if fixed is None:
            body = lm.vocab[rng.integers(0, lm.vocab.size, size=(rows, prompt_tokens))]
        else:
            body = np.tile(np.asarray(fixed, dtype=np.int64), (rows, 1))
        prompts = np.concatenate([np.tile(np.asarray(bos, dtype=np.int64), (rows, 1)), body], axis=1)
        completion, lengths, logq = lm.sample(prompts, length=length, temperature=temperature, rng=rng)
        seqs = [list(body[i]) + [t for t in completion[i, :lengths[i]] if t not in lm.eos_ids]
                for i in range(rows)]
        texts = lm.tokenizer.batch_decode(seqs, skip_special_tokens=True)
        if by_ids:
            rewards = rm.score_ids(seqs, batch_size=batch_size)
        else:
            rewards = rm.score_texts(texts, batch_size=batch_size)
        tokens = np.concatenate([body, completion], axis=1)
        return {"rewards": rewards, "tokens": tokens, "lengths": lengths, "texts": text_array(texts),
                "logq": logq}

    return run_batches(meta, out, work, resume=resume, quiet=quiet, max_batches=max_batches,
                       on_batch=on_batch)
