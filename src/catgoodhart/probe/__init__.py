"""Reward-model tail probes: is a real reward model's reward heavy- or light-tailed?

Needs the optional extra ``pip install 'catgoodhart[lm]'`` (torch, transformers); importing
this package does not import torch, which is loaded by the functions that need it.

    load_reward_model, load_language_model, parse_spec   specs and loading  (models)
    random_probe, lm_probe                               sampling probes    (sampling)
    adversarial_probe, gcg_search                        token search       (adversarial)
    mixture_kl, mixture_kl_approx, mixture_gain          mixture policy     (mixture)
    probe_report                                         verdicts           (report)
    RunStore                                             the run folder     (store)

Example::

    from catgoodhart import probe
    rm = probe.load_reward_model("judge:SmolLM2-135M-Instruct.Q4_1.gguf")
    probe.random_probe(rm, n=2000, length=64, seed=0, out="runs/random")
    print(probe.probe_report("runs/random").summary())
"""

from importlib import import_module

_EXPORTS = {
    "MissingExtraError": "models", "ModelSpec": "models", "load_language_model": "models",
    "load_reward_model": "models", "parse_spec": "models", "require_lm": "models",
    "smollm2_gguf": "models",
    "random_probe": "sampling", "lm_probe": "sampling",
    "adversarial_probe": "adversarial", "gcg_search": "adversarial",
    "mixture_kl": "mixture", "mixture_kl_approx": "mixture", "mixture_gain": "mixture",
    "probe_report": "report", "ProbeReport": "report", "MixturePolicy": "report",
    "RunStore": "store", "ProbeRun": "runner",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
