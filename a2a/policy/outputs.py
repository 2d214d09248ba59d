"""What act() and score() return.

Definitions (shared by both, so a sampled action's log-prob is reproduced by score()):
  For an action a with tokens y_1..y_n followed by the terminal token y_{n+1}, and trie node s_t
  before token t, the policy's distribution at step t is

      p(y | s_t) = softmax(logits(y) / T) over the children y of s_t   (0 for every other token)

  with T the temperature. logprob(a) = sum_{t=1}^{n+1} log p(y_t | s_t); forced tokens (a single
  child) contribute 0. entropy(a) = sum_{t=1}^{n+1} H(p(. | s_t)) along the action's own path: its
  expectation over sampled actions is the entropy of the policy's action distribution. `num_tokens`
  is n + 1. value = value head on the hidden state at the last prompt token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ActOutput:
    actions: list[str]
    logprobs: torch.Tensor     # float32 [B]
    entropies: torch.Tensor    # float32 [B]
    values: torch.Tensor       # float32 [B]
    num_tokens: torch.Tensor   # long [B]
    temperature: float

    def __len__(self) -> int:
        return len(self.actions)


@dataclass
class ScoreOutput:
    logprobs: torch.Tensor     # float32 [B], differentiable
    entropies: torch.Tensor    # float32 [B], differentiable
    values: torch.Tensor       # float32 [B], differentiable
    num_tokens: torch.Tensor   # long [B]
    temperature: float
    # score_episodes(): rows are the steps of all episodes, episode-major; these say whose step each is
    episode_index: torch.Tensor | None = None  # long [N]
    step_index: torch.Tensor | None = None     # long [N]
