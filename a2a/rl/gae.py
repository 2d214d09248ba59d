"""Generalised advantage estimation over per-step rewards, with the masks the batched core needs.

Rollout rows are [T, N] (time, env). Row t holds the observation the policy acted on, its value
V(o_t), and what the env returned for that action: reward r_t and whether the episode ended.
With Gymnasium's next-step autoreset the step after an episode ends is a reset: the action is
ignored, so that row is not a real step (`valid` = False) and is never trained on. Its value was
computed on the episode's final observation, which is exactly what a time-limit truncation
bootstraps from.
"""

from __future__ import annotations

import torch


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, terminated: torch.Tensor, truncated: torch.Tensor,
                valid: torch.Tensor, last_values: torch.Tensor, gamma: float, lam: float):
    """Returns (advantages, returns), both [T, N]; zero on invalid rows.

    rewards, values, terminated, truncated, valid: [T, N]. last_values: [N], V of the observation
    after the last row (bootstrap for unfinished episodes and for truncation at the last row).
    """
    T, N = rewards.shape
    for name, x in (("values", values), ("terminated", terminated), ("truncated", truncated), ("valid", valid)):
        if tuple(x.shape) != (T, N):
            raise ValueError(f"compute_gae: {name} has shape {tuple(x.shape)}, expected {(T, N)}")
    if tuple(last_values.shape) != (N,):
        raise ValueError(f"compute_gae: last_values has shape {tuple(last_values.shape)}, expected {(N,)}")
    values = values.to(rewards.dtype)
    adv = torch.zeros_like(rewards)
    next_adv = torch.zeros(N, dtype=rewards.dtype, device=rewards.device)
    next_value = last_values.to(rewards.dtype)
    for t in reversed(range(T)):
        term, trunc, ok = terminated[t].bool(), truncated[t].bool(), valid[t].bool()
        # Terminal: nothing after. Truncated: bootstrap from the final observation's value.
        boot = torch.where(term, torch.zeros_like(next_value), next_value)
        delta = rewards[t] + gamma * boot - values[t]
        carry = ~(term | trunc)  # an episode boundary stops the recursion
        a = delta + gamma * lam * torch.where(carry, next_adv, torch.zeros_like(next_adv))
        adv[t] = torch.where(ok, a, torch.zeros_like(a))
        next_adv = adv[t]
        next_value = values[t]
    returns = adv + values
    return adv, torch.where(valid.bool(), returns, torch.zeros_like(returns))
