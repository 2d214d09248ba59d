"""Behavior cloning from the privileged oracle: the paper's SFT baseline ("synthetic expert data"),
and the warm start of PPO (`a2a train --sft-updates N`).

The oracle (a2a/baselines/oracle.py) acts in the same collector that PPO uses — the policy still
encodes every frame and keeps every env's history, so its inputs are exactly those it will see when
acting — and the policy is trained to maximise the log-probability of the oracle's actions under
the same constrained distribution that PPO samples from.
"""

from __future__ import annotations

import numpy as np
import torch

from ..eval.agent import AgentObservation
from .distributed import DistInfo, allreduce_gradients
from .rollout import Rollout
from .scoring import score_segments, segments, split_minibatches


class OracleExpert:
    """Oracle actions for rows of the collector's envs (privileged: it reads the core's state)."""

    def __init__(self, core):
        from ..baselines.oracle import OracleAgent
        from ..eval.env_access import RunnerEnvAccess

        self.agent = OracleAgent()
        self.access = RunnerEnvAccess(core, privileged=True, agent_name="oracle")

    def __call__(self, ids: np.ndarray, first: np.ndarray, instruction: list[str], answer: list[str],
                 invalid: np.ndarray) -> list[str]:
        starting = [int(i) for i, f in zip(ids, first) if f]
        if starting:
            self.agent.reset(starting)
        n = len(ids)
        obs = AgentObservation(env_ids=np.asarray(ids, np.int64), first=np.asarray(first, bool), image=None, history=None,
                               history_len=None, instruction=tuple(instruction), last_action=("",) * n,
                               answer=tuple(answer), invalid=np.asarray(invalid, bool), step=np.zeros(n, np.int64))
        return self.agent.act(obs, self.access)


def bc_update(policy, optimizer, ro: Rollout, epochs: int, minibatches: int, max_grad_norm: float, info: DistInfo,
              generator: torch.Generator) -> dict:
    """Minimises -log p(expert action | input) over the rollout's real steps."""
    segs = segments(ro)
    params = policy.trainable_parameters()
    policy.train()
    losses, norms = [], []
    for _ in range(epochs):
        for mb in split_minibatches(segs, minibatches, generator):
            optimizer.zero_grad(set_to_none=True)
            if mb:
                _cells, logp, _ent, _val = score_segments(policy, ro, mb)
                loss = -logp.mean()
                loss.backward()
                losses.append(float(loss.detach()))
            allreduce_gradients(params, info)
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_grad_norm)))
            optimizer.step()
    policy.eval()
    return {"loss/bc": sum(losses) / max(len(losses), 1), "ppo/grad_norm": sum(norms) / max(len(norms), 1),
            "ppo/lr": optimizer.param_groups[0]["lr"]}
