"""Rollout collection: the policy acts on the batched core, one step per env per iteration.

With `pipeline`, the envs are split in two groups and stepped asynchronously (send/recv): while one
group steps on the core's threads, the policy encodes frames and decodes actions for the other.
Frames land in one (pinned, when CUDA is used) buffer indexed by env id, written by the core.
The LLM judge, when used, works in the background on the questions of the rollout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import _core
from ..policy.history import PolicyInput
from ..policy.inputs import EnvHistories, StepInputs
from ..policy.outputs import ActOutput

N_TERMS = len(_core.reward_terms())
EXPERT, POLICY = 1, 2  # bits of RolloutCollector.played_by: who took an episode's steps


@dataclass
class Rollout:
    """[T, N] arrays of one rollout plus the per-row policy inputs (re-scored by PPO)."""

    inputs: list[list[PolicyInput | None]]
    # what each step is scored on: the executed action, or while cloning the expert's (with DAgger the
    # env may have executed the policy's instead; the histories in `inputs` hold what ran)
    actions: list[list[str | None]]
    vocabs: list[list[list[str] | None]]
    logprobs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    terms: torch.Tensor          # [T, N, 7]
    terminated: torch.Tensor
    truncated: torch.Tensor
    valid: torch.Tensor
    asked: torch.Tensor
    invalid: torch.Tensor
    useful: torch.Tensor
    imitated: torch.Tensor       # the step's label is the expert's own action (behavior cloning learns these)
    last_values: torch.Tensor | None = None  # [N], set when the rollout is complete
    episodes: list[dict] = field(default_factory=list)  # finished episodes: success, K, questions, length, return
    # Episodes that ended here but were not played by this rollout's actor alone (begun by the expert before PPO
    # took over, or the other way round): left out of `episodes`, whose SR and return they would skew.
    handed_over: int = 0

    @classmethod
    def empty(cls, T: int, N: int) -> Rollout:
        z = lambda dtype=torch.float32: torch.zeros(T, N, dtype=dtype)  # noqa: E731
        b = torch.bool
        return cls([[None] * N for _ in range(T)], [[None] * N for _ in range(T)], [[None] * N for _ in range(T)],
                   z(), z(), z(), torch.zeros(T, N, N_TERMS), z(b), z(b), z(b), z(b), z(b), z(b), z(b))

    def input_at(self, t: int, e: int) -> PolicyInput:
        """The policy input of cell (t, e); only the cells of valid steps have one."""
        inp = self.inputs[t][e]
        if inp is None:
            raise ValueError(f"rollout cell ({t}, {e}) holds no step")
        return inp


@dataclass(frozen=True)
class Acted:
    """One group's step: the actions (the policy's output, or the expert's) and the inputs they answer."""

    output: ActOutput
    step: StepInputs
    by_expert: bool
    imitated: np.ndarray  # bool per row: the row's label is the expert's own action (trained on while cloning)
    labels: list[str] | None = None  # while cloning: the expert's action per row, which the env may not execute


class RolloutCollector:
    """Owns the env state between rollouts: per-env histories, vocabularies and pending actions."""

    def __init__(self, core, policy, *, pipeline: bool, generator: torch.Generator, question_reward=None, user=None,
                 seed: int = 0):
        self.core = core
        self.policy = policy
        self.N = core.num_envs
        half = self.N // 2
        self.groups = [np.arange(self.N)] if not pipeline else [np.arange(0, half), np.arange(half, self.N)]
        self.gen = generator
        self.question_reward = question_reward
        self.user = user  # an a2a.llm.EnvUser that answers (some) questions with an LLM, or None
        h, w, _ = core.frame_shape
        pin = torch.cuda.is_available() and policy.device.type == "cuda"
        self.frames = torch.zeros((self.N, core.history, h, w, 3), dtype=torch.uint8)
        if pin:
            self.frames = self.frames.pin_memory()
        core.set_frame_target(self.frames.numpy())
        self.envs = EnvHistories(policy)
        self.returns = np.zeros(self.N)
        # Who has played each env's current episode: bits EXPERT and POLICY (0: no step taken yet).
        self.played_by = np.zeros(self.N, np.uint8)
        # Text state of each env's latest observation.
        self.first = np.ones(self.N, bool)
        self.instruction = [""] * self.N
        self.answer = [""] * self.N
        self.invalid = np.zeros(self.N, bool)
        self.pending: list[Acted | None] = [None] * len(self.groups)
        self.expert = None  # a callable giving actions instead of the policy (behavior cloning)
        self.perturb = 0.0
        self.dagger = 0.0
        self.not_imitable = 0  # expert actions outside the policy's actions (not trained on), in all
        self.rng = random.Random(seed)  # behavior cloning's perturbations
        self.last_action = [""] * self.N  # the action each env executed last (what an expert labels from)
        self._absorb(self._answered(core.reset()), np.arange(self.N))
        self.env_steps = 0

    # -- observations ----------------------------------------------------------------------------
    def _answered(self, batch):
        """The batch with the LLM user's answers written in (before anything reads them)."""
        if self.user is not None:
            self.user.apply(batch)
        return batch

    def _absorb(self, batch, env_ids: np.ndarray) -> None:
        ids = np.asarray(batch.env_id)
        first, inval = np.asarray(batch.first), np.asarray(batch.invalid)
        instr, ans = batch.instruction.tolist(), batch.answer.tolist()
        for row, i in enumerate(ids):
            self.first[i] = first[row]
            self.invalid[i] = inval[row]
            self.answer[i] = ans[row].decode("utf-8", "replace")
            if first[row]:
                self.instruction[i] = instr[row].decode("utf-8", "replace")

    def _act(self, g: int) -> Acted:
        """The policy's actions for group g (or the expert's, while behavior cloning)."""
        ids = self.groups[g]
        images = self.frames[torch.from_numpy(ids), -1]
        if self.policy.device.type == "cuda":
            images = images.to(self.policy.device, non_blocking=True)
        step = self.envs.observe(ids, self.first[ids], [self.instruction[i] for i in ids],
                                 [self.answer[i] for i in ids], self.invalid[ids], images, self.core)
        imitated = np.zeros(len(ids), bool)
        labels = None
        if self.expert is not None:
            acts = list(self.expert(ids, self.first[ids], [self.instruction[i] for i in ids],
                                    [self.last_action[i] for i in ids], [self.answer[i] for i in ids],
                                    self.invalid[ids]))
            imitated[:] = True
            # DART: now and then another action is taken instead, so that the expert's next actions show
            # how to recover from states its own plan never reaches (the policy's mistakes)
            for k, vocab in enumerate(step.vocabs):
                if self.perturb and self.rng.random() < self.perturb:
                    acts[k] = self.rng.choice([a for a in vocab if not a.startswith("ask(")])
                    imitated[k] = False
            labels = list(acts)
            # DAgger: now and then the policy's own sampled action is taken instead and the expert's stays
            # the label, so the policy learns what to do in the states its own mistakes lead to
            own = [k for k in range(len(ids)) if imitated[k] and self.dagger and self.rng.random() < self.dagger]
            if own:
                mine = self.policy.act([step.inputs[k] for k in own], [step.vocabs[k] for k in own], sample=True,
                                       generator=self.gen, cache_keys=[step.env_ids[k] for k in own])
                for k, a in zip(own, mine.actions):
                    acts[k] = a
            # An expert action the policy cannot take (a scene_text policy picks only what is in view): kept in
            # the history, not a target; its step's actions gain it so that the step can still be scored.
            for k, label in enumerate(labels):
                if label not in step.vocabs[k]:
                    step.vocabs[k] = [*step.vocabs[k], label]
                    imitated[k] = False
                    self.not_imitable += 1
            z = torch.zeros(len(ids))
            out = ActOutput(acts, z, z.clone(), z.clone(), torch.zeros(len(ids), dtype=torch.long), 1.0)
        else:
            # cache_keys: each env's keys/values are reused at its next step (its prompt only grows)
            out = self.policy.act(step.inputs, step.vocabs, sample=True, generator=self.gen, cache_keys=step.env_ids)
        self.envs.record(step.env_ids, out.actions)
        for i, a in zip(ids, out.actions):
            self.last_action[i] = a
        return Acted(out, step, self.expert is not None, imitated, labels)

    # -- one rollout -----------------------------------------------------------------------------
    def collect(self, T: int, expert=None, perturb: float = 0.0, dagger: float = 0.0) -> Rollout:
        """T steps of every env, acting with the policy, or with `expert` (behavior cloning), whose
        actions are replaced by a random non-question action with probability `perturb` (DART; not
        trained on) or by the policy's sampled action with probability `dagger` (DAgger; the expert's
        action stays the step's label in `Rollout.actions`)."""
        self.expert = expert  # pending actions of the other actor are still taken, but not trained on
        self.perturb = perturb
        self.dagger = dagger
        self.policy.eval()  # acting: no dropout, and each env's keys/values are reused across steps
        ro = Rollout.empty(T, self.N)
        G = len(self.groups)
        for t in range(T):
            for g in range(G):
                acted = self.pending[g]
                if acted is None:
                    acted = self.pending[g] = self._act(g)
                ids = self.groups[g]
                self.core.send(acted.output.actions, ids.tolist())
                other = (g + 1) % G
                if other != g and self.pending[other] is None:
                    self.pending[other] = self._act(other)  # overlaps with this group's env step
                batch = self._answered(self.core.recv())
                self._store(ro, t, acted, ids, batch)
                self.pending[g] = None
        last = torch.zeros(self.N)
        for g, ids in enumerate(self.groups):
            acted = self.pending[g]
            if acted is None:
                acted = self.pending[g] = self._act(g)
            last[torch.from_numpy(ids)] = acted.output.values.float().cpu()
        ro.last_values = last
        if self.question_reward is not None:
            self.question_reward.apply(ro)  # the judge's question term, in the rewards and the logged terms
        return ro

    def _store(self, ro: Rollout, t: int, acted: Acted, ids: np.ndarray, batch) -> None:
        out = acted.output
        order = {int(e): r for r, e in enumerate(np.asarray(batch.env_id))}
        rows = np.array([order[int(i)] for i in ids])
        col = torch.from_numpy(ids)
        first = np.asarray(batch.first)[rows]
        ro.logprobs[t, col] = out.logprobs.float().cpu()
        ro.values[t, col] = out.values.float().cpu()
        ro.rewards[t, col] = torch.from_numpy(np.asarray(batch.reward)[rows].astype(np.float32))
        ro.terms[t, col] = torch.from_numpy(np.asarray(batch.reward_terms)[rows].astype(np.float32))
        term, trunc = np.asarray(batch.terminated)[rows], np.asarray(batch.truncated)[rows]
        ro.terminated[t, col] = torch.from_numpy(term)
        ro.truncated[t, col] = torch.from_numpy(trunc)
        # A reset row: the action was ignored. An action by the other actor (expert/policy switch): not ours.
        ro.valid[t, col] = torch.from_numpy(~first) & (acted.by_expert == (self.expert is not None))
        ro.asked[t, col] = torch.from_numpy(np.asarray(batch.asked)[rows])
        ro.invalid[t, col] = torch.from_numpy(np.asarray(batch.invalid)[rows])
        ro.useful[t, col] = torch.from_numpy(np.asarray(batch.useful)[rows])
        ro.imitated[t, col] = torch.from_numpy(acted.imitated & ~first)
        for k, i in enumerate(ids):
            ro.inputs[t][i] = acted.step.inputs[k]
            ro.actions[t][i] = out.actions[k] if acted.labels is None else acted.labels[k]
            ro.vocabs[t][i] = acted.step.vocabs[k]
        self.env_steps += int((~first).sum())
        # Episode bookkeeping for metrics.
        rew = np.asarray(batch.reward)[rows]
        success, questions, K, length = (np.asarray(getattr(batch, f))[rows]
                                         for f in ("success", "questions", "K", "step"))
        ours = EXPERT if self.expert is not None else POLICY  # this rollout's actor
        actor = EXPERT if acted.by_expert else POLICY  # who took this step
        for k, i in enumerate(ids):
            if first[k]:
                self.returns[i] = 0.0
                self.played_by[i] = 0
                continue
            self.played_by[i] |= actor
            self.returns[i] += rew[k]
            if term[k] or trunc[k]:
                if self.played_by[i] != ours:  # the other actor played some of it: a handover, not ours to count
                    ro.handed_over += 1
                    continue
                ro.episodes.append({"success": bool(success[k]), "K": int(K[k]), "questions": int(questions[k]),
                                    "length": int(length[k]), "return": float(self.returns[i])})
        if self.question_reward is not None:
            self.question_reward.observe(t, _Reordered(batch, rows), [out.actions[k] for k in range(len(ids))],
                                         self.core,
                                         env_ids=ids)
        self._absorb(batch, ids)


class _Reordered:
    """A batch's rows in the order of a group's env ids (what the question reward reads)."""

    def __init__(self, batch, rows: np.ndarray):
        self._b, self._rows = batch, rows

    def __getattr__(self, name):
        return np.asarray(getattr(self._b, name))[self._rows]


def episode_metrics(episodes: list[dict]) -> dict:
    """SR, ARS, QR, mean questions, length and return of the episodes that ended in a rollout."""
    if not episodes:
        return {"episode/count": 0.0}
    s = np.array([e["success"] for e in episodes], float)
    k = np.array([e["K"] for e in episodes], float)
    q = np.array([e["questions"] for e in episodes], float)
    ars = np.where((k == 0) & (q == 0), s, s * k / np.maximum(np.maximum(k, q), 1))
    pos = k > 0
    return {"episode/count": float(len(episodes)), "episode/success_rate": float(s.mean()),
            "episode/ars": float(ars.mean()),
            "episode/questions": float(q.mean()),
            "episode/question_ratio": float((q[pos] / k[pos]).mean()) if pos.any() else float("nan"),
            "episode/length": float(np.mean([e["length"] for e in episodes])),
            "episode/return": float(np.mean([e["return"] for e in episodes]))}
