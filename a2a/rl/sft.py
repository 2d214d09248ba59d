"""Behavior cloning of a scripted expert: the paper's SFT baseline ("synthetic expert data"), and
the warm start of PPO (`a2a train --sft-updates N`).

The expert (`--sft-expert`: greedy-explore by default, which sees what the policy sees, or the
privileged oracle, a2a/baselines/) acts in the same collector that PPO uses — the policy still
encodes every frame and keeps every env's history, so its inputs are exactly those it will see when
acting — and the policy is trained to maximise the log-probability of the expert's actions under
the same constrained distribution that PPO samples from.
"""

from __future__ import annotations

import numpy as np
import torch

from ..eval.agent import AgentObservation
from .distributed import DistInfo, allreduce_gradients
from .gae import compute_gae
from .rollout import Rollout
from .scoring import score_segments, segments, split_minibatches


class AgentExpert:
    """A scripted agent's actions for rows of the collector's envs: the oracle (privileged: it reads the
    core's state, so some of its choices cannot be inferred from what the policy sees) or an agent that
    sees what the policy sees (greedy-explore), whose behaviour can be imitated exactly."""

    def __init__(self, core, name: str = "oracle"):
        from ..eval.env_access import RunnerEnvAccess

        self.agent = make_expert_agent(name)
        self.access = RunnerEnvAccess(core, privileged=bool(getattr(self.agent, "privileged", False)), agent_name=name)

    def __call__(self, ids: np.ndarray, first: np.ndarray, instruction: list[str], last_action: list[str],
                 answer: list[str], invalid: np.ndarray) -> list[str]:
        """The expert's actions for rows of envs given what each env executed last (the expert's own
        action, or another one: an agent that decides from the history can take over from any state)."""
        starting = [int(i) for i, f in zip(ids, first) if f]
        if starting:
            self.agent.reset(starting)
        n = len(ids)
        last = tuple("" if f else a for a, f in zip(last_action, first))
        obs = AgentObservation(env_ids=np.asarray(ids, np.int64), first=np.asarray(first, bool), image=None,
                               history=None,
                               history_len=None, instruction=tuple(instruction), last_action=last,
                               answer=tuple(answer), invalid=np.asarray(invalid, bool), step=np.zeros(n, np.int64))
        return self.agent.act(obs, self.access)


def make_expert_agent(name: str, flag: str = "--sft-expert"):
    """The agent behavior cloning imitates, built with no options (the training commands have no flags for an
    expert's own); ValueError naming `flag` when it cannot be (an unknown name, an agent that needs a model or an
    endpoint), listing the agents that can."""
    from ..eval.registry import agent_specs, make_agent

    def builds(n: str) -> bool:
        try:
            make_agent(n, {})
            return True
        except ValueError:
            return False

    if name in agent_specs():
        try:
            return make_agent(name, {})
        except ValueError:
            pass  # it needs options: refused below
    usable = ", ".join(sorted(n for n in agent_specs() if builds(n)))  # only to say which can
    why = ("unknown agent" if name not in agent_specs() else
           "that agent needs options of its own (a model or an endpoint)")
    raise ValueError(f"{flag} {name!r}: {why}; the expert is built without options, so it is one of: {usable}")


def check_takeover(cfg, episodes) -> None:
    """DART and DAgger let another actor take steps, so the expert must decide from the executed history. An
    agent says for which tasks it does (`takes_over`: greedy-explore's fetch episodes); the oracle and the
    scripts (greedy-explore's multi-object ones included) follow the plan they made at the episode's start."""
    if not cfg.sft_updates:
        return
    agent = make_expert_agent(cfg.sft_expert)
    if not (cfg.sft_dagger or cfg.sft_perturb):
        return
    task = getattr(agent, "takes_over", None)
    others = sum(t != task for t in episodes.summary()["task"])
    if others:
        can = f"only on {task} episodes" if task else "on no episodes"
        raise ValueError(f"sft_dagger and sft_perturb need an expert that decides from the executed history: "
                         f"{cfg.sft_expert} does {can}, and the training split holds {others} others")


def verb_weights(ro: Rollout, balance: float) -> torch.Tensor:
    """[T, N] weight of each step in the cloning loss: 1 for steps not trained on, and for the expert's own steps
    (count of the label's verb among them)^-balance, scaled to mean 1 over those steps. balance 0 weighs every
    step alike; 1 gives each verb (navigate, open, pick, place, ask) the same share of the loss. look-then-ask
    navigates at 73% of its steps while an episode fails on any wrong pick, place or question (1 step in 8)."""
    w = torch.ones(ro.rewards.shape)
    cells = ro.imitated & ro.valid
    if not balance or not cells.any():
        return w
    idx = cells.nonzero().tolist()
    verbs = [str(ro.actions[t][e]).partition("(")[0] for t, e in idx]
    counts = {v: verbs.count(v) for v in set(verbs)}
    raw = torch.tensor([counts[v] ** -balance for v in verbs])
    w[cells] = raw * (len(raw) / raw.sum())  # nonzero() and boolean indexing both go in row-major order
    return w


def bc_update(policy, optimizer, ro: Rollout, epochs: int, minibatches: int, max_grad_norm: float, info: DistInfo,
              generator: torch.Generator, gamma: float = 0.99, vf_coef: float = 0.5, balance: float = 0.0) -> dict:
    """Minimises -log p(expert action | input) over the rollout's steps whose action was the expert's own
    (a perturbed step stays in the history, it is not a target), each weighted by `verb_weights` (balance 0: all
    alike), plus vf_coef times the value head's
    squared error against the rollout's discounted returns, so that PPO later starts with a critic
    that knows what the cloned behaviour earns. The value loss trains the value head alone (its
    gradient does not reach the LLM): in a tiny model it would otherwise slow the cloning down."""
    segs = segments(ro)
    weights = verb_weights(ro, balance) * ro.imitated
    zeros = torch.zeros_like(ro.rewards)
    _, returns = compute_gae(ro.rewards, zeros, ro.terminated, ro.truncated, ro.valid, torch.zeros(ro.rewards.shape[1]),
                             gamma, 1.0)
    params = policy.trainable_parameters()
    head = list(policy.value_head.parameters())
    rest = [p for p in params if all(p is not q for q in head)]
    policy.train()
    policy.detach_values = True
    losses, vlosses, norms = [], [], []
    try:
        for _ in range(epochs):
            # random minibatches (no length grouping): each optimizer step sees early and late steps alike
            for mb in split_minibatches(segs, minibatches, generator):
                optimizer.zero_grad(set_to_none=True)
                if mb:
                    cells, logp, _ent, val = score_segments(policy, ro, mb)
                    tt, ee = [t for t, _ in cells], [e for _, e in cells]
                    w = weights[tt, ee].to(logp.device, logp.dtype)
                    loss = -(logp * w).sum() / ro.imitated[tt, ee].sum().clamp(min=1)
                    vloss = 0.5 * (val - returns[tt, ee].to(val.device)).pow(2).mean()
                    (loss + vf_coef * vloss).backward()
                    losses.append(float(loss.detach()))
                    vlosses.append(float(vloss.detach()))
                allreduce_gradients(params, info)
                # clipped apart: the value head's large early gradients must not scale the cloning's down
                torch.nn.utils.clip_grad_norm_(head, max_grad_norm)
                norms.append(float(torch.nn.utils.clip_grad_norm_(rest, max_grad_norm)))
                optimizer.step()
    finally:
        policy.detach_values = False
    policy.eval()
    mean = lambda xs: sum(xs) / max(len(xs), 1)  # noqa: E731
    return {"loss/bc": mean(losses), "loss/value": mean(vlosses), "ppo/grad_norm": mean(norms),
            "ppo/lr": optimizer.param_groups[0]["lr"],
            # the steps trained on: all but DART's perturbations and expert actions the policy cannot take
            "sft/imitated_rate": float(ro.imitated[ro.valid].float().mean()) if ro.valid.any() else 0.0}
