"""The agent registry: names, options, lazy factories, clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from a2a.eval import registry
from a2a.eval.registry import AgentOption, available_agents, make_agent, register_agent, resolve_options


@pytest.fixture
def clean_registry():
    saved = dict(registry._REGISTRY.specs)
    yield
    registry._REGISTRY.specs.clear()
    registry._REGISTRY.specs.update(saved)


def test_builtin_agents_are_registered():
    assert {"oracle", "random", "no-ask", "greedy-explore", "look-then-ask"} <= set(available_agents())
    for name in ("oracle", "random", "no-ask", "greedy-explore", "look-then-ask"):
        agent = make_agent(name)
        assert agent.name == name and isinstance(agent.privileged, bool)
    assert make_agent("oracle").privileged and not make_agent("greedy-explore").privileged
    assert not make_agent("look-then-ask").privileged


def test_unknown_agent_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown agent 'gpt'; available agents: .*greedy-explore.*oracle"):
        make_agent("gpt")


def test_options_are_typed_defaulted_and_checked():
    assert resolve_options("greedy-explore", {"ask_location": "false", "seed": "3"}) == {"ask_location": False, "seed": 3}
    assert resolve_options("greedy-explore", {}) == {"ask_location": True}
    with pytest.raises(ValueError, match="has no option"):
        resolve_options("oracle", {"model": "x"})
    with pytest.raises(ValueError, match="expected a boolean"):
        resolve_options("greedy-explore", {"ask_location": "maybe"})
    assert make_agent("greedy-explore", {"ask_location": "no"}).config.ask_location is False


class Dummy:
    name, privileged = "dummy", False

    def __init__(self, options):
        self.options = options

    def reset(self, env_ids):
        pass

    def act(self, obs, env):
        return ["ask(where is it?)"] * len(obs)


def test_register_a_model_agent_with_required_options(clean_registry):
    register_agent("dummy", Dummy, options=[AgentOption("model", str, None, "checkpoint", required=True),
                                           AgentOption("temperature", float, 1.0)])
    with pytest.raises(ValueError, match="needs --model"):
        make_agent("dummy")
    agent = make_agent("dummy", {"model": "/ckpt", "temperature": "0.5", "seed": 1})
    assert agent.options == {"model": "/ckpt", "temperature": 0.5, "seed": 1}
    with pytest.raises(ValueError, match="already registered"):
        register_agent("dummy", Dummy)
    with pytest.raises(ValueError, match="reserved"):
        register_agent("dummy2", Dummy, options=[AgentOption("seed", int)])


def test_string_factories_are_imported_lazily(clean_registry):
    register_agent("lazy", "a2a_no_such_module:make")  # registering imports nothing
    with pytest.raises(ModuleNotFoundError):
        make_agent("lazy")


def test_a_factory_must_return_an_agent(clean_registry):
    register_agent("broken", lambda options: object())
    with pytest.raises(TypeError, match="lacks"):
        make_agent("broken")


def test_eval_help_does_not_import_torch():
    code = ("import sys\nfrom a2a.cli.main import main\ntry:\n    main(['eval', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "--agent" in out.stdout and "--budget-delta" in out.stdout
    assert out.stdout.strip().endswith("NO-TORCH")


def test_a_broken_plugin_does_not_hide_the_other_agents(clean_registry, monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    eps = list(registry._entry_points()) + [EntryPoint("broken", "a2a_module_that_does_not_exist:register",
                                                       registry.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(registry, "_entry_points", lambda: eps)
    registry._REGISTRY.specs.clear()
    monkeypatch.setattr(registry._REGISTRY, "plugins_loaded", False)
    assert {"oracle", "wg-react"} <= set(available_agents())
    assert "agent plugin 'broken'" in capsys.readouterr().err


def test_agents_come_from_entry_points_and_the_registry_names_none(clean_registry, monkeypatch):
    """The eval layer names no agent module: every agent is registered through the a2a.agents group."""
    from pathlib import Path

    import ast

    tree = ast.parse(Path(registry.__file__).read_text())
    docstring = ast.get_docstring(tree, clean=False)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and n.value != docstring]
    assert not [v for v in strings if v.startswith(("a2a.baselines.", "a2a.policy.", "a2a.agents."))]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 2]  # no `from ..x`
    names = {ep.name: ep.value for ep in registry._entry_points()}
    assert names["baselines"] == "a2a.baselines.registration:register" and "llm" in names and "mllm" in names
    registry._REGISTRY.specs.clear()
    monkeypatch.setattr(registry, "_entry_points", lambda: [])
    monkeypatch.setattr(registry._REGISTRY, "plugins_loaded", False)
    with pytest.raises(ValueError, match="entry points are missing"):
        make_agent("oracle")
