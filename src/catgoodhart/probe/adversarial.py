"""Adversarial probe: greedy coordinate-gradient search for token sequences of high reward.

Greedy Coordinate Gradient (GCG; Zou et al. 2023, arXiv 2307.15043), maximizing the reward
r(x) of a sequence x of L tokens. At each step, with e_i the one-hot vector of token x_i,

    g_i = ∇_{e_i} r(x) = E ∇_{h_i} r(x)   (one backward pass; E the embedding matrix, h_i = E^T e_i),

the ``top_k`` tokens of largest g_i at each position are the promising swaps; ``candidates``
copies of x each get ``m`` positions (chosen uniformly) replaced by one of those tokens
(chosen uniformly), all candidates are scored exactly in batches, and x moves to the best
candidate if it beats x. GCG has m = 1; the accelerated variant (ACG, Haize Labs 2024, used
by Kwa et al., arXiv 2407.14503, §5, with L = 133, 1,000 steps, k = 3 and m annealed
9 → 2) changes several coordinates at once with m annealed linearly from ``coords_start`` to
``coords_end``. Because only improvements are accepted, the best reward never decreases.

Each search records its start and final rewards (the final one re-scored alone), the reward
after every step, the final token ids and text, and log q(x) under a reference LM, from which
``catgoodhart.probe.mixture`` computes the KL of the policy that emits x with probability f.
"""

import numpy as np

from catgoodhart.probe.runner import check_seed, positive, run_batches, text_array
from catgoodhart.probe.sampling import same_tokenizer


def coords_schedule(steps, start, end):
    """Coordinates changed per candidate at each step: round(start + (end − start) t / (steps − 1))."""
    if steps == 1:
        return np.array([start], dtype=np.int64)
    t = np.arange(steps) / (steps - 1)
    return np.rint(start + (end - start) * t).astype(np.int64)


def gcg_search(rm, init, *, steps, candidates=32, top_k=16, coords_start=1, coords_end=1, rng,
               batch_size=32):
    """Run the coordinate-gradient search from the token ids ``init``.

    Returns ``(best_tokens, trace)``: the final sequence and the best reward after each step
    (``trace[0]`` is the starting reward, so ``len(trace) == steps + 1``).
    """
    import torch

    if not getattr(rm, "differentiable", False):
        raise ValueError(f"{rm.spec}: the adversarial search needs a differentiable reward model "
                         "(a classifier folder or judge:), not a callable")
    steps, candidates = positive("steps", steps), positive("candidates", candidates)
    top_k = positive("top_k", top_k)
    coords_start, coords_end = positive("coords_start", coords_start), positive("coords_end", coords_end)
    x = np.asarray(init, dtype=np.int64).copy()
    length = x.size
    if x.ndim != 1 or length == 0 or not np.isin(x, rm.vocab).all():
        raise ValueError("`init` must be a non-empty 1-D sequence of ordinary token ids of the reward model")
    emb = rm.embedding_matrix()
    vocab_rows = emb.shape[0]
    banned = np.ones(vocab_rows, dtype=bool)
    banned[rm.vocab] = False
    banned_t = torch.as_tensor(banned, device=emb.device)
    schedule = np.minimum(coords_schedule(steps, coords_start, coords_end), length)
    k = min(top_k, int(rm.vocab.size))
    current = float(rm.score_ids([x.tolist()])[0])
    trace = [current]
    for step in range(steps):
        # ∂r/∂e_i[v] = ∇_{h_i} r · E[v] for the input embedding h_i = E[x_i] (E: the embedding matrix)
        content = emb[torch.as_tensor(x, device=emb.device)].detach().requires_grad_(True)
        reward = rm.reward_from_embeddings(content[None])[0]
        (grad_h,) = torch.autograd.grad(reward, content)
        with torch.no_grad():
            grad = (grad_h @ emb.T).masked_fill(banned_t, -torch.inf)
        top = grad.topk(k, dim=1).indices.cpu().numpy()  # (length, k)
        m = int(schedule[step])
        cands = np.repeat(x[None], candidates, axis=0)
        for c in range(candidates):
            pos = rng.choice(length, size=m, replace=False)
            cands[c, pos] = top[pos, rng.integers(0, k, size=m)]
        scores = rm.score_ids(cands.tolist(), batch_size=batch_size)
        best = int(np.argmax(scores))
        if scores[best] > current:
            x, current = cands[best].copy(), float(scores[best])
        trace.append(current)
    return x, np.asarray(trace, dtype=np.float64)


def adversarial_probe(rm, *, n, length, out, steps=100, candidates=32, top_k=16, coords_start=1,
                      coords_end=1, lm=None, batch_size=32, seed=None, resume=False, quiet=False,
                      max_batches=None, on_batch=None):
    """Run ``n`` independent searches, each from ``length`` uniformly random tokens.

    ``lm`` is the reference LM for log q(x) (the judge's own LM when omitted and ``rm`` is a
    judge; otherwise log q is NaN). Each search is one batch of the run, so an interrupted
    run keeps every finished search. The run folder holds ``rewards`` (final, re-scored),
    ``start_rewards``, ``trace`` (n × (steps + 1)), ``tokens``, ``texts`` and ``logq``.
    """
    n, length, steps = positive("n", n), positive("length", length), positive("steps", steps)
    candidates, top_k = positive("candidates", candidates), positive("top_k", top_k)
    coords_start, coords_end = positive("coords_start", coords_start), positive("coords_end", coords_end)
    batch_size = positive("batch_size", batch_size)
    seed = check_seed(seed)
    if not getattr(rm, "differentiable", False):
        raise ValueError(f"{rm.spec}: the adversarial search needs a differentiable reward model "
                         "(a classifier folder or judge:), not a callable")
    ref = lm if lm is not None else getattr(rm, "lm", None)
    ref_by_ids = ref is not None and same_tokenizer(ref.tokenizer, rm.tokenizer)
    meta = {"probe": "adversarial", "n": n, "batch_size": 1, "seed": seed,
            "settings": {"length": length, "steps": steps, "candidates": candidates, "top_k": top_k,
                         "coords_start": coords_start, "coords_end": coords_end,
                         "score_batch_size": batch_size,
                         "logq": None if ref is None else ("token ids" if ref_by_ids else "texts")},
            "models": {"rm": rm.describe(), "lm": ref.describe() if ref is not None else None}}

    def work(index, start, stop, seedseq):
        rng = np.random.default_rng(seedseq)
        init = rm.vocab[rng.integers(0, rm.vocab.size, size=length)]
        tokens, trace = gcg_search(rm, init, steps=steps, candidates=candidates, top_k=top_k,
                                   coords_start=coords_start, coords_end=coords_end, rng=rng,
                                   batch_size=batch_size)
        final = rm.score_ids([tokens.tolist()])  # re-scored alone
        text = rm.tokenizer.decode(tokens.tolist())
        if ref is None:
            logq = np.array([np.nan])
        elif ref_by_ids:
            logq = ref.log_prob([tokens.tolist()])
        else:
            logq = ref.log_prob([ref.tokenizer(text, add_special_tokens=False)["input_ids"]])
        return {"rewards": final, "start_rewards": trace[:1], "trace": trace[None],
                "tokens": tokens[None], "texts": text_array([text]), "logq": logq}

    return run_batches(meta, out, work, resume=resume, quiet=quiet, max_batches=max_batches,
                       on_batch=on_batch, unit="searches")
