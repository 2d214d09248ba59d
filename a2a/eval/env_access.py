"""What the runner lets an agent ask of the environments (the `EnvAccess` of a2a.eval.agent)."""

from __future__ import annotations


class PrivilegedAccessError(PermissionError):
    """A non-privileged agent asked for privileged state."""


class RunnerEnvAccess:
    """EnvAccess over a `_core.BatchedEnv`: the canonical vocabulary (cached per episode), the
    observed world and the Set-of-Marks table for every agent; privileged state, and the core's oracle
    question (an extra beyond the EnvAccess protocol; agents must check for it with getattr), only for
    agents with `privileged = True`."""

    def __init__(self, env, privileged: bool, agent_name: str = "agent"):
        self._env = env
        self._privileged = bool(privileged)
        self._name = agent_name
        self._vocab: dict[int, tuple[int, list[str]]] = {}
        self.privileged_calls = 0

    def valid_actions(self, env_id: int) -> list[str]:
        episode = self._env.episode_index(env_id)
        cached = self._vocab.get(env_id)
        if cached is None or cached[0] != episode:
            cached = (episode, list(self._env.valid_actions(env_id)))
            self._vocab[env_id] = cached
        return cached[1]

    def observed_state(self, env_id: int) -> dict:
        return self._env.observed_state(env_id)

    def marks(self, env_id: int) -> list[str]:
        return list(self._env.marks(env_id))

    def _check(self, what: str) -> None:
        if not self._privileged:
            raise PrivilegedAccessError(
                f"agent {self._name!r} is not privileged (privileged = False) and may not read {what}")
        self.privileged_calls += 1

    def privileged_state(self, env_id: int) -> dict:
        self._check("privileged state")
        return self._env.privileged_state(env_id)

    def oracle_question(self, env_id: int) -> tuple[str | None, int]:
        """(question, remaining): the core's worst-case-minimal next question for the hypotheses still
        consistent with the dialogue (None when one is left) and the questions still needed."""
        self._check("the oracle question")
        return self._env.oracle_question(env_id)
