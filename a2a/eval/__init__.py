"""Evaluation: the Agent protocol, the runner, metrics, reports and the trajectory viewer."""

from .agent import Agent, AgentObservation, EnvAccess

__all__ = ["Agent", "AgentObservation", "EnvAccess"]
