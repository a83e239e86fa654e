"""Reward models: texts or token ids in, float64 rewards out, in batches.

* ``ClassifierReward``: a sequence-classification model; the reward is its logit (one label)
  or the log-odds of its last label against the others.
* ``JudgeReward``: a causal LM asked a question about the text; the reward is
  log P(yes | prompt) − log P(no | prompt) = z_yes − z_no (the difference of the two next-token
  logits) for the first token of each answer word.
* ``CallableReward``: any Python function from a list of texts to a list of numbers.

The two model rewards score the token sequence ``prefix + content + suffix``, where prefix and
suffix are fixed token ids: the tokenizer's own special tokens around the content for a
classifier, and the judging prompt around it for a judge. Sequences are batched in order of
length and right-padded with an attention mask; the classifier pools at the last non-padding
token (the model's own pooling, with a padding id the content never contains) and the judge
reads the logits at each row's last real token, so a batched reward equals the one-at-a-time
reward up to rounding.

Both are differentiable in the content's input embeddings (``reward_from_embeddings``),
which the adversarial search uses for its token gradients.
"""

import numpy as np
import torch

from catgoodhart.probe.lm import allowed_tokens

DEFAULT_JUDGE_PROMPT = ("Here is a text.\n\n{text}\n\nIs this text helpful, correct and well written? "
                        "Answer Yes or No.\nAnswer:")
DEFAULT_YES = " Yes"
DEFAULT_NO = " No"


class RewardModel:
    """Interface: ``score_texts(texts)`` and ``score_ids(sequences)`` → float64 array."""

    spec = ""
    tokenizer = None
    differentiable = False

    def describe(self):
        raise NotImplementedError

    def score_texts(self, texts, *, batch_size=16):
        raise NotImplementedError

    def score_ids(self, sequences, *, batch_size=16):
        raise NotImplementedError


class CallableReward(RewardModel):
    """Rewards from ``fn(list_of_texts) -> sequence of numbers`` (one call per batch)."""

    def __init__(self, fn, spec):
        self.fn = fn
        self.spec = spec

    def describe(self):
        return {"spec": self.spec, "kind": "callable"}

    def score_texts(self, texts, *, batch_size=16):
        texts = list(texts)
        out = np.empty(len(texts), dtype=np.float64)
        for start in range(0, len(texts), batch_size):
            chunk = texts[start:start + batch_size]
            values = np.asarray(self.fn(chunk), dtype=np.float64).reshape(-1)
            if values.shape != (len(chunk),):
                raise ValueError(f"{self.spec}: returned {values.size} rewards for {len(chunk)} texts")
            out[start:start + len(chunk)] = values
        return out

    def score_ids(self, sequences, *, batch_size=16):
        raise ValueError(f"{self.spec}: a callable reward scores texts, not token ids")


class _SplicedReward(RewardModel):
    """Shared machinery: fixed prefix/suffix ids around the content, right padding."""

    differentiable = True

    def __init__(self, model, tokenizer, spec, identity, prefix, suffix):
        self.model = model.requires_grad_(False)  # gradients are taken for the inputs only
        self.tokenizer = tokenizer
        self.spec = spec
        self.identity = identity
        self.prefix = [int(i) for i in prefix]
        self.suffix = [int(i) for i in suffix]
        self.device = next(model.parameters()).device
        self.vocab = allowed_tokens(tokenizer, model)
        self.max_length = getattr(model.config, "max_position_embeddings", None)

    def describe(self):
        return {"spec": self.spec, **self.identity}

    def encode(self, texts):
        """Content token ids of each text (no special tokens added)."""
        return [self.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]

    def score_texts(self, texts, *, batch_size=16):
        return self.score_ids(self.encode(list(texts)), batch_size=batch_size)

    @torch.no_grad()
    def score_ids(self, sequences, *, batch_size=16):
        seqs = [self.prefix + [int(i) for i in s] + self.suffix for s in sequences]
        longest = max((len(s) for s in seqs), default=0)
        if self.max_length and longest > self.max_length:
            raise ValueError(f"{self.spec}: a sequence of {longest} tokens (with the prompt) exceeds the "
                             f"model's {self.max_length} positions")
        out = np.empty(len(seqs), dtype=np.float64)
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths share a batch
        for start in range(0, len(seqs), batch_size):
            rows = order[start:start + batch_size]
            chunk = [seqs[i] for i in rows]
            width = max(len(s) for s in chunk)
            ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for i, s in enumerate(chunk):
                ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
                mask[i, :len(s)] = 1
            last = torch.tensor([len(s) - 1 for s in chunk])
            values = self._forward_ids(ids.to(self.device), mask.to(self.device), last.to(self.device))
            out[rows] = values.double().cpu().numpy()
        return out

    def embedding_matrix(self):
        return self.model.get_input_embeddings().weight

    def reward_from_embeddings(self, content):
        """Rewards (differentiable) for content embeddings of shape (rows, length, hidden)."""
        emb = self.embedding_matrix()
        rows = content.shape[0]
        pre = emb[torch.tensor(self.prefix, dtype=torch.long, device=emb.device)]
        post = emb[torch.tensor(self.suffix, dtype=torch.long, device=emb.device)]
        full = torch.cat([pre.expand(rows, -1, -1), content, post.expand(rows, -1, -1)], dim=1)
        mask = torch.ones(full.shape[:2], dtype=torch.long, device=full.device)
        last = torch.full((rows,), full.shape[1] - 1, dtype=torch.long, device=full.device)
        return self._forward_embeds(full, mask, last)


class ClassifierReward(_SplicedReward):
    """Reward of a sequence-classification model (a trained reward model)."""

    def __init__(self, model, tokenizer, spec, identity):
        prefix, suffix = _special_wrap(tokenizer)
        if tokenizer.pad_token_id is None:  # decoder classifiers pool at the last non-padding token
            fallback = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
            tokenizer.pad_token = fallback
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        super().__init__(model, tokenizer, spec, identity, prefix, suffix)
        self.pad_id = int(model.config.pad_token_id if model.config.pad_token_id is not None else 0)
        self.vocab = self.vocab[self.vocab != self.pad_id]
        self.labels = int(model.config.num_labels)

    def _reduce(self, logits):
        if self.labels == 1:
            return logits[:, 0]
        return logits[:, -1] - torch.logsumexp(logits[:, :-1], dim=-1)

    def _forward_ids(self, ids, mask, last):
        return self._reduce(self.model(input_ids=ids, attention_mask=mask).logits)

    def _forward_embeds(self, embeds, mask, last):
        return self._reduce(self.model(inputs_embeds=embeds, attention_mask=mask).logits)


class JudgeReward(_SplicedReward):
    """log P(yes) − log P(no) of a causal LM's next token after the judging prompt.

    ``prompt`` must contain ``{text}`` once; the text before it (with the tokenizer's
    special tokens, e.g. BOS) is the prefix, the text after it the suffix.
    """

    def __init__(self, lm, *, prompt=None, yes=None, no=None):
        prompt = DEFAULT_JUDGE_PROMPT if prompt is None else prompt
        yes = DEFAULT_YES if yes is None else yes
        no = DEFAULT_NO if no is None else no
        if prompt.count("{text}") != 1:
            raise ValueError("`judge_prompt` must contain {text} exactly once")
        before, after = prompt.split("{text}")
        tok = lm.tokenizer
        prefix = tok(before, add_special_tokens=True)["input_ids"] if before else _special_wrap(tok)[0]
        suffix = tok(after, add_special_tokens=False)["input_ids"]
        self.yes_id, self.no_id = _first_token(tok, yes, "judge_yes"), _first_token(tok, no, "judge_no")
        if self.yes_id == self.no_id:
            raise ValueError(f"`judge_yes` and `judge_no` start with the same token ({yes!r}, {no!r})")
        super().__init__(lm.model, tok, f"judge:{lm.spec}", lm.identity, prefix, suffix)
        self.lm = lm
        self.prompt, self.yes, self.no = prompt, yes, no
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else 0)

    def describe(self):
        return {"spec": self.spec, "kind": "judge", "lm": self.identity, "prompt": self.prompt,
                "yes": self.yes, "no": self.no}

    def _head(self, hidden, last):
        # log P(yes) − log P(no) = z_yes − z_no: the softmax normalizer cancels, so only two rows
        # of the output layer are needed; float64 keeps batched and single scores equal
        h = hidden[torch.arange(hidden.shape[0], device=hidden.device), last].double()
        out = self.model.get_output_embeddings()
        rows = torch.tensor([self.yes_id, self.no_id], device=h.device)
        z = h @ out.weight[rows].double().T
        if getattr(out, "bias", None) is not None:
            z = z + out.bias[rows].double()
        return z[:, 0] - z[:, 1]

    def _body(self, **kwargs):
        base = self.model.base_model
        if base is self.model:  # no separate body: take the full logits
            raise ValueError(f"{self.spec}: the judge needs a model with a separate output head")
        return base(**kwargs).last_hidden_state

    def _forward_ids(self, ids, mask, last):
        return self._head(self._body(input_ids=ids, attention_mask=mask), last)

    def _forward_embeds(self, embeds, mask, last):
        return self._head(self._body(inputs_embeds=embeds, attention_mask=mask), last)


def _first_token(tokenizer, word, name):
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"`{name}` must encode to at least one token, got {word!r}")
    return int(ids[0])


def _special_wrap(tokenizer):
    """(prefix, suffix): the special tokens the tokenizer puts around a text, found by
    encoding a probe word with and without them."""
    for word in ("a", "x", "the", "0"):
        plain = tokenizer(word, add_special_tokens=False)["input_ids"]
        full = tokenizer(word, add_special_tokens=True)["input_ids"]
        if not plain:
            continue
        for i in range(len(full) - len(plain) + 1):
            if full[i:i + len(plain)] == plain:
                return full[:i], full[i + len(plain):]
    return [], []
