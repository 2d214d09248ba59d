"""The oracle: SR 100% and Q = K on every split — an end-to-end check of simulator, user and K."""

from __future__ import annotations

import pytest

from a2a.baselines.oracle import OracleAgent, OracleCheckError, OracleConfig
from a2a.data import SPLITS, load_split
from a2a.eval.env_access import RunnerEnvAccess
from a2a.eval.metrics import compute_metrics
from a2a.eval.runner import RunnerConfig, run_episodes


def run(agent, split, dataset_dir, **cfg):
    eps = load_split(split, dataset_dir)
    out = []
    run_episodes(agent, eps, range(len(eps)), RunnerConfig(frame_size=0, num_envs=8, **cfg), lambda r, f: out.append(r))
    return out


def check_oracle_records(records):
    for r in records:
        assert r.success and not r.failure, r.episode_id
        assert r.Q == r.K, (r.episode_id, r.K, r.questions)
        assert r.useful_questions == r.Q  # every question shrinks the consistent set
        assert r.invalid_actions == 0
        assert r.delivered == r.targets
        assert r.reward_terms["over_budget"] == [0.0] * r.length
    m = compute_metrics(records, n_boot=0)
    assert m["SR"].value == 1.0 and m["PSR"].value == 1.0 and m["ARS"].value == 1.0


@pytest.mark.parametrize("split", SPLITS)
def test_oracle_on_the_mixed_task_set(mixed_dataset_dir, split):
    records = run(OracleAgent(), split, mixed_dataset_dir)
    assert {r.task for r in records} == {"fetch", "clean_clutter", "preference_reasoning"}
    check_oracle_records(records)
    multi = [r for r in records if r.task != "fetch"]
    assert len(multi) == 10 and sum(r.targets for r in multi) > 10 and max(r.K for r in multi) >= 2


@pytest.mark.parametrize("split", SPLITS)
def test_oracle_succeeds_everywhere_and_asks_exactly_k(dataset_dir, split):
    records = run(OracleAgent(), split, dataset_dir)
    assert len(records) == 40
    check_oracle_records(records)
    m = compute_metrics(records, n_boot=0)
    assert m["SR"].value == 1.0 and m["ARS"].value == 1.0
    if m["QR"].n:
        assert m["QR"].value == 1.0
    if m["Q_K0"].n:
        assert m["Q_K0"].value == 0.0


def test_oracle_questions_are_not_over_budget_at_delta_zero(dataset_dir):
    records = run(OracleAgent(), "val_unseen_tasks", dataset_dir, budget_delta=0)
    assert all(r.Q <= r.budget for r in records)
    assert sum(sum(r.reward_terms["useful_question"]) for r in records) == sum(r.K for r in records)


class LyingAccess:
    """Wraps the real access and misreports K, as a broken core would."""

    def __init__(self, inner: RunnerEnvAccess):
        self.inner = inner

    def valid_actions(self, env_id):
        return self.inner.valid_actions(env_id)

    def privileged_state(self, env_id):
        ps = self.inner.privileged_state(env_id)
        ps["K"] += 1
        return ps

    def oracle_question(self, env_id):
        return self.inner.oracle_question(env_id)


def test_strict_oracle_detects_a_wrong_k(dataset_dir):
    from a2a import _core

    eps = load_split("val_unseen_tasks", dataset_dir)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0, autoreset="disabled")
    batch = env.reset([0], [0])
    from a2a.eval.observation import observation_from_batch

    agent = OracleAgent()
    with pytest.raises(OracleCheckError, match="K"):
        agent.act(observation_from_batch(batch), LyingAccess(RunnerEnvAccess(env, privileged=True)))
    lenient = OracleAgent(OracleConfig(strict=False))
    lenient.act(observation_from_batch(batch), LyingAccess(RunnerEnvAccess(env, privileged=True)))
    assert lenient.k_mismatches


def test_config_validation_and_an_access_without_oracle_question(dataset_dir):
    with pytest.raises(TypeError):
        OracleConfig(strict="yes")
    from a2a import _core
    from a2a.eval.observation import observation_from_batch

    class NoOracleAccess(LyingAccess):
        oracle_question = None

    eps = load_split("val_unseen_tasks", dataset_dir)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0, autoreset="disabled")
    batch = env.reset([0], [0])
    with pytest.raises(TypeError, match="oracle_question"):
        OracleAgent().act(observation_from_batch(batch), NoOracleAccess(RunnerEnvAccess(env, privileged=True)))
