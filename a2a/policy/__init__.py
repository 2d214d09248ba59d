"""The MLLM policy: LLaVA-OneVision as a vision-language-action policy (see docs/policy.md).

    policy = A2APolicy.from_pretrained(path, PolicyConfig(compression="resampler", quantization="nf4"))
    frames = policy.encode_frames(images)                       # frozen tower, once per frame
    out = policy.act(inputs, vocabs, sample=True)               # ActOutput(actions, logprobs, entropies, values)
    s = policy.score(inputs, out.actions, vocabs)               # differentiable, same definitions

Names are imported lazily, so `a2a.policy.eval_agents` (the registry's plugin) stays free of torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "A2APolicy": "model",
    "ActOutput": "outputs",
    "ActionTrie": "trie",
    "EpisodeHistory": "history",
    "FrameFeatures": "history",
    "HistoryStore": "history",
    "PolicyConfig": "config",
    "PolicyInput": "history",
    "PromptFormat": "prompt",
    "ScoreOutput": "outputs",
    "Step": "history",
    "disable_bnb_cpu_weight_repacking": "quant",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'a2a.policy' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
