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
    cells = ro.valid.nonzero().tolist()
    params = policy.trainable_parameters()
    policy.train()
    losses, norms = [], []
    n = len(cells)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator).tolist()
        for mb in range(minibatches):
            idx = perm[mb * n // minibatches:(mb + 1) * n // minibatches]
            optimizer.zero_grad(set_to_none=True)
            if idx:
                sel = [cells[j] for j in idx]
                out = policy.score([ro.inputs[t][e] for t, e in sel], [ro.actions[t][e] for t, e in sel],
                                   [ro.vocabs[t][e] for t, e in sel])
                loss = -out.logprobs.mean()
                loss.backward()
                losses.append(float(loss.detach()))
            allreduce_gradients(params, info)
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_grad_norm)))
            optimizer.step()
    policy.eval()
    return {"loss/bc": sum(losses) / max(len(losses), 1), "ppo/grad_norm": sum(norms) / max(len(norms), 1),
            "ppo/lr": optimizer.param_groups[0]["lr"]}
