"""Baselines that need no model: the privileged oracle and non-privileged scripted agents.

Each lives in its own module and is registered by name in a2a.eval.registry:
`oracle` (oracle.py), `random` (random_agent.py), `no-ask` (no_ask.py),
`greedy-explore` (greedy_explore.py). docs/eval.md lists what information each one uses.
"""
