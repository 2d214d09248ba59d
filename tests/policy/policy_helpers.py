"""Helpers shared by the policy tests (imported by name: conftest puts this directory on sys.path)."""

from __future__ import annotations

import numpy as np
import torch

from a2a import _core

# invalid_reason codes that mean the core could not parse/resolve the action text (as opposed to a
# well-formed action that is merely impossible now, e.g. picking at the wrong receptacle)
PARSE_FAILURES = {
    "not of the form verb(argument)",
    "unknown verb (use navigate, pick, place, open, close or ask)",
    "empty argument",
    "no receptacle of that name in this scene",
    "object description is not [size] [color] <category>",
    "action text is too long",
}


def make_policy(path: str, **cfg):
    from a2a.policy import A2APolicy, PolicyConfig

    base = dict(device="cpu", lora_r=4, lora_alpha=8, value_hidden=32)
    base.update(cfg)
    return A2APolicy.from_pretrained(path, PolicyConfig(**base))


class Envs:
    """A few rendered envs at the tiny tower's frame size, with helpers for building inputs."""

    def __init__(self, episodes, n: int, size: int = 128):
        self.core = _core.BatchedEnv(episodes, num_envs=n, width=size, height=size, autoreset="disabled")
        self.n = n
        self.batch = self.core.reset(list(range(n)), list(range(n)))
        self.episodes = episodes

    def frames(self) -> np.ndarray:
        return np.asarray(self.batch.frames[:, -1])

    def vocabs(self) -> list[list[str]]:
        return [self.core.valid_actions(i) for i in range(self.n)]

    def instructions(self) -> list[str]:
        return [b.decode() for b in self.batch.instruction.tolist()]

    def step(self, actions):
        self.batch = self.core.step(list(actions))
        return self.batch


def ragged_inputs(policy, envs: Envs, past_steps=(0, 2, 5), seed: int = 0):
    """Inputs with different history lengths: row i has past_steps[i] earlier steps (actions drawn
    from the scene vocabulary, feedback texts included)."""
    from a2a.policy import EpisodeHistory

    rng = np.random.default_rng(seed)
    vocabs = envs.vocabs()
    frames = policy.encode_frames(envs.frames())
    out = []
    for i, n_past in enumerate(past_steps):
        h = EpisodeHistory(envs.instructions()[i % envs.n])
        for t in range(n_past):
            h.observe(frames[(i + t) % len(frames)], "Answer: Yes." if t % 2 else "")
            h.record(vocabs[i % envs.n][int(rng.integers(len(vocabs[i % envs.n])))])
        out.append(h.observe(frames[i % len(frames)], "That action was invalid." if n_past else ""))
    return out, [vocabs[i % envs.n] for i in range(len(past_steps))]


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
