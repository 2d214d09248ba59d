"""The clipped PPO objective, term by term (each returned separately for logging)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PPOLossTerms:
    total: torch.Tensor
    policy: torch.Tensor
    value: torch.Tensor
    entropy: torch.Tensor
    kl_ref: torch.Tensor
    approx_kl: torch.Tensor   # KL(old || new) estimate, for early stopping and logs
    clip_fraction: torch.Tensor


def ppo_loss(new_logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, new_values: torch.Tensor,
             old_values: torch.Tensor, returns: torch.Tensor, entropy: torch.Tensor, *, clip: float,
             value_clip: float | None,
             vf_coef: float, ent_coef: float, ref_logp: torch.Tensor | None = None, kl_coef: float = 0.0,
             normalize_advantages: bool = True) -> PPOLossTerms:
    """All inputs are 1-D over the minibatch's valid steps."""
    if normalize_advantages and advantages.numel() > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    log_ratio = new_logp - old_logp
    ratio = log_ratio.exp()
    pg1 = -advantages * ratio
    pg2 = -advantages * ratio.clamp(1 - clip, 1 + clip)
    policy_loss = torch.max(pg1, pg2).mean()
    if value_clip is not None:
        v_clipped = old_values + (new_values - old_values).clamp(-value_clip, value_clip)
        value_loss = 0.5 * torch.max((new_values - returns) ** 2, (v_clipped - returns) ** 2).mean()
    else:
        value_loss = 0.5 * ((new_values - returns) ** 2).mean()
    entropy_mean = entropy.mean()
    if ref_logp is not None and kl_coef > 0:
        # k3 estimator of KL(policy || reference) on the sampled actions (Schulman 2020): unbiased, >= 0.
        d = ref_logp - new_logp
        kl_ref = (d.exp() - 1 - d).mean()
    else:
        kl_ref = torch.zeros((), device=new_logp.device)
    total = policy_loss + vf_coef * value_loss - ent_coef * entropy_mean + kl_coef * kl_ref
    with torch.no_grad():
        approx_kl = ((ratio - 1) - log_ratio).mean()
        clip_fraction = ((ratio - 1).abs() > clip).float().mean()
    return PPOLossTerms(total, policy_loss, value_loss, entropy_mean, kl_ref, approx_kl, clip_fraction)
