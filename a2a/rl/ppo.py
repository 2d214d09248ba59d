"""One PPO update over a collected rollout: GAE, then epochs of minibatches re-scored by the policy."""

from __future__ import annotations

import torch

from .config import PPOConfig
from .distributed import DistInfo, allreduce_gradients, mean_across_ranks
from .gae import compute_gae
from .losses import ppo_loss
from .rollout import Rollout
from .scoring import score_segments, segment_lengths, segments, split_minibatches


def explained_variance(pred: torch.Tensor, target: torch.Tensor) -> float:
    var = target.var()
    return float("nan") if var == 0 else float(1 - (target - pred).var() / var)


def ppo_update(policy, optimizer, ro: Rollout, cfg: PPOConfig, info: DistInfo, generator: torch.Generator) -> dict:
    if ro.last_values is None:
        raise ValueError("ppo_update needs a complete rollout (RolloutCollector.collect sets last_values)")
    adv, ret = compute_gae(ro.rewards, ro.values, ro.terminated, ro.truncated, ro.valid, ro.last_values,
                           cfg.gamma, cfg.gae_lambda)
    segs = segments(ro)  # runs of one episode's steps: each is re-scored in one forward
    if not segs:
        return {}
    params = policy.trainable_parameters()
    policy.train()
    stats: dict[str, list[float]] = {}
    dev = policy.device
    for _epoch in range(cfg.epochs):
        # A fixed number of minibatches on every rank keeps the gradient all-reduces in step.
        for mb in split_minibatches(segs, cfg.minibatches, generator, segment_lengths(ro, segs)):
            optimizer.zero_grad(set_to_none=True)
            if mb:
                cells, new_logp, new_ent, new_v = score_segments(policy, ro, mb)
                tt = torch.tensor([t for t, _ in cells])
                ee = torch.tensor([e for _, e in cells])
                ref = None
                if cfg.kl_coef > 0:
                    with torch.no_grad(), policy.disable_adapters():
                        ref = score_segments(policy, ro, mb)[1]
                terms = ppo_loss(new_logp, ro.logprobs[tt, ee].to(dev), adv[tt, ee].to(dev), new_v,
                                 ro.values[tt, ee].to(dev), ret[tt, ee].to(dev), new_ent, clip=cfg.clip,
                                 value_clip=cfg.value_clip, vf_coef=cfg.vf_coef, ent_coef=cfg.ent_coef,
                                 ref_logp=ref, kl_coef=cfg.kl_coef)
                terms.total.backward()
                for k, v in (("loss/total", terms.total), ("loss/policy", terms.policy), ("loss/value", terms.value),
                             ("loss/entropy", terms.entropy), ("loss/kl_ref", terms.kl_ref),
                             ("ppo/approx_kl", terms.approx_kl), ("ppo/clip_fraction", terms.clip_fraction)):
                    stats.setdefault(k, []).append(float(v.detach()))
            allreduce_gradients(params, info)
            norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            stats.setdefault("ppo/grad_norm", []).append(float(norm))
            optimizer.step()
        if cfg.target_kl is not None:
            recent = stats.get("ppo/approx_kl", [0.0])[-cfg.minibatches:]
            kl = mean_across_ranks({"kl": sum(recent) / max(len(recent), 1)}, info)
            if kl["kl"] > cfg.target_kl:
                break
    policy.eval()
    out = {k: sum(v) / len(v) for k, v in stats.items()}
    valid = ro.valid
    out["value/explained_variance"] = explained_variance(ro.values[valid], ret[valid])
    out["ppo/lr"] = optimizer.param_groups[0]["lr"]
    return out
