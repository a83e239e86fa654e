"""A causal language model: the token vocabulary, sequence log-probabilities, and sampling.

Log-probabilities: log q(x) = Σ_i log p(x_i | BOS, x_<i) (the first token is conditioned on
the BOS token where the tokenizer has one, and otherwise not counted). Sequences of different
lengths are right-padded: with causal attention a real token never attends to padding
after it and keeps its position, so batched values equal one-at-a-time values.

Sampling draws token t from softmax(logits / T) by inverting its CDF with uniforms from a
numpy Generator, so the draws depend on the seed only (not on torch's global state or the
device) and the whole batch shares one prompt length, so no padding is needed.
"""

import inspect

import numpy as np
import torch


class LanguageModel:
    """A loaded causal LM with its tokenizer; ``spec`` is the spec string it came from."""

    def __init__(self, model, tokenizer, spec, identity):
        self.model = model
        self.tokenizer = tokenizer
        self.spec = spec
        self.identity = identity
        self.device = next(model.parameters()).device
        self.bos_id = tokenizer.bos_token_id
        eos = {tokenizer.eos_token_id}
        gen = getattr(model, "generation_config", None)
        extra = getattr(gen, "eos_token_id", None) if gen is not None else None
        eos.update(extra if isinstance(extra, (list, tuple)) else [extra])
        self.eos_ids = sorted(i for i in eos if i is not None)
        self.vocab = allowed_tokens(tokenizer, model)
        # the key-value cache argument was renamed from past_key_values to cache in transformers 5
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    def describe(self):
        return {"spec": self.spec, **self.identity}

    @torch.no_grad()
    def log_prob(self, sequences, *, batch_size=8):
        """float64 log q(x) of each token sequence (lists of ids) under the model at T = 1."""
        seqs = [list(map(int, s)) for s in sequences]
        out = np.empty(len(seqs), dtype=np.float64)
        for start in range(0, len(seqs), batch_size):
            chunk = seqs[start:start + batch_size]
            full = [([self.bos_id] if self.bos_id is not None else []) + s for s in chunk]
            width = max(len(s) for s in full)
            ids = torch.zeros((len(full), width), dtype=torch.long)
            mask = torch.zeros((len(full), width), dtype=torch.long)
            for i, s in enumerate(full):
                ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
                mask[i, :len(s)] = 1
            ids, mask = ids.to(self.device), mask.to(self.device)
            logits = self.model(input_ids=ids, attention_mask=mask).logits.double()
            logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
            logp = (logp * mask[:, 1:]).sum(dim=1)
            out[start:start + len(chunk)] = logp.cpu().numpy()
        return out

    @torch.no_grad()
    def sample(self, prompts, *, length, temperature, rng, stop_at_eos=True):
        """Sample ``length`` tokens after each row of ``prompts`` (an int array, one prompt a row).

        Returns ``(tokens, lengths, logq)``: tokens (rows × length, -1 after a stop token, which
        is kept), the number of tokens generated, and Σ log p(token) at T = 1 given the prompt.
        """
        prompts = np.asarray(prompts, dtype=np.int64)
        rows = prompts.shape[0]
        tokens = np.full((rows, length), -1, dtype=np.int64)
        logq = np.zeros(rows, dtype=np.float64)
        done = np.zeros(rows, dtype=bool)
        lengths = np.full(rows, length, dtype=np.int64)
        ids = torch.as_tensor(prompts, device=self.device)
        past = None
        for step in range(length):
            out = self.model(input_ids=ids, use_cache=True, **{self._cache_arg: past})
            past = getattr(out, self._cache_arg)
            logits = out.logits[:, -1].double()
            logp1 = torch.log_softmax(logits, dim=-1)
            scaled = logp1 if temperature == 1 else torch.log_softmax(logits / temperature, dim=-1)
            probs = scaled.exp().cpu().numpy()
            cdf = np.cumsum(probs, axis=1)
            u = rng.random(rows) * cdf[:, -1]
            nxt = np.minimum((cdf < u[:, None]).sum(axis=1), probs.shape[1] - 1)
            chosen = logp1.cpu().numpy()[np.arange(rows), nxt]
            live = ~done
            tokens[live, step] = nxt[live]
            logq[live] += chosen[live]
            if stop_at_eos and self.eos_ids:
                stopped = live & np.isin(nxt, self.eos_ids)
                lengths[stopped] = step + 1
                done |= stopped
            if done.all():
                break
            ids = torch.as_tensor(nxt, device=self.device)[:, None]
        return tokens, lengths, logq


def allowed_tokens(tokenizer, model):
    """Token ids that are ordinary vocabulary: below both the tokenizer's and the embedding's
    size, and not special (BOS, EOS, padding, chat markers)."""
    rows = model.get_input_embeddings().weight.shape[0]
    size = min(len(tokenizer), rows)
    special = set(tokenizer.all_special_ids)
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    special.update(i for i, tok in added.items() if getattr(tok, "special", False))
    keep = np.ones(size, dtype=bool)
    keep[[i for i in special if 0 <= i < size]] = False
    return np.flatnonzero(keep).astype(np.int64)
