"""MLLMAgent: the policy behind the evaluation `Agent` interface (a2a.eval.agent).

Keeps one history per env (frame features computed once per frame, actions, the user's answers),
dropped by `reset(env_ids)` or when a row is the first of an episode, and (reuse_kv) each env's
keys/values so the next step only runs the LLM over its new tokens. Each `act()` encodes the new
frames in one batch, builds every row's input and decodes all rows together, constrained to each
scene's `valid_actions`. The last `ActOutput` (log-probs, entropies, values) and inputs are kept
in `last_output` / `last_inputs` for callers that train.

Registered as agent "mllm" for `a2a eval --agent mllm --model PATH` by `a2a.policy.eval_agents`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .history import PolicyInput
from .inputs import EnvHistories
from .model import A2APolicy
from .outputs import ActOutput

AGENT_NAME = "mllm"


class MLLMAgent:
    name = AGENT_NAME
    privileged = False

    def __init__(self, policy: A2APolicy, *, sample: bool = False, temperature: float | None = None, seed: int = 0,
                 reuse_kv: bool = True):
        self.policy = policy.eval()
        self.sample = bool(sample)
        self.reuse_kv = bool(reuse_kv)  # keep each env's keys/values between steps (same actions, less compute)
        self.temperature = temperature
        # frames are rendered at the vision tower's input size (within the env's limits)
        self.frame_size = int(min(max(policy.encoder.image.size, 64), 512))
        self.envs = EnvHistories(policy)
        self.generator = torch.Generator(device=policy.device).manual_seed(int(seed))
        self.last_output: ActOutput | None = None
        self.last_inputs: list[PolicyInput] = []

    @property
    def histories(self):
        return self.envs.histories

    def reset(self, env_ids: Sequence[int]) -> None:
        self.envs.reset(env_ids)

    def act(self, obs, env) -> list[str]:
        if len(obs) == 0:
            return []
        if obs.image is None:
            raise ValueError("the mllm agent looks at frames: run the envs with rendering (frame_size > 0)")
        step = self.envs.observe(obs.env_ids.tolist(), obs.first, obs.instruction, obs.answer, obs.invalid,
                                 obs.image, env)
        out = self.policy.act(step.inputs, step.vocabs, sample=self.sample, temperature=self.temperature,
                              generator=self.generator, cache_keys=step.env_ids if self.reuse_kv else None)
        self.envs.record(step.env_ids, out.actions)
        self.last_output = out
        self.last_inputs = step.inputs
        return out.actions


# option name -> PolicyConfig field (None values are left to the checkpoint / defaults)
_CONFIG_OPTIONS = ("device", "dtype", "quantization", "attn_implementation", "backend", "compression", "max_past_steps")


def make_mllm_agent(options: dict[str, Any]) -> MLLMAgent:
    """Registry factory. options: model (checkpoint directory or saved policy, required), device,
    dtype, quantization, attn_implementation, backend, compression (base checkpoints only),
    max_past_steps, sample (bool), temperature (float), seed (int)."""
    model = options.get("model")
    if not model:
        raise ValueError("the mllm agent needs a model: --model PATH (a LLaVA-OneVision checkpoint or a saved policy)")
    from .loading import load_for_run

    policy = load_for_run(model, {k: options[k] for k in _CONFIG_OPTIONS if options.get(k) is not None})
    temperature = options.get("temperature")
    return MLLMAgent(policy, sample=bool(options.get("sample", False)),
                     temperature=float(temperature) if temperature is not None else None,
                     seed=int(options.get("seed", 0) or 0))
