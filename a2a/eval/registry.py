"""The agent registry: names -> factories, so `a2a eval --agent NAME` can build any agent.

A factory takes one dict of options (already parsed and typed) and returns an `Agent`:

    from a2a.eval.registry import AgentOption, register_agent

    def register():                              # the entry point
        register_agent(
            "mllm",
            "a2a.policy.agent:make_mllm_agent",  # "module:attr", imported only when the agent is built
            help="the MLLM policy (a checkpoint)",
            options=[AgentOption("model", str, None, "checkpoint directory", required=True)],
        )

Factories may be given as a callable or as a "module:attr" string; strings keep `a2a eval --help`
free of heavy imports (torch): nothing is imported until `make_agent` runs. Declared options become
`--NAME` flags of `a2a eval`; any agent also accepts `--agent-opt KEY=VALUE`.

Where registrations come from: the `a2a.agents` entry-point group of installed packages, a2a itself
included (pyproject.toml declares its baselines, the MLLM policy and the LLM agents there). Each
entry point is a light callable that registers agents, called with no arguments the first time the
registry is read. This module names no agent: the layers above it register themselves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .agent import Agent

ENTRY_POINT_GROUP = "a2a.agents"

_OPTION_TYPES = (str, int, float, bool)


@dataclass(frozen=True)
class AgentOption:
    """One option of an agent; becomes `--NAME` (dashes for underscores) in `a2a eval`."""

    name: str
    type: type = str
    default: Any = None
    help: str = ""
    required: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"AgentOption.name must be a Python identifier, got {self.name!r}")
        if self.type not in _OPTION_TYPES:
            raise ValueError(f"AgentOption {self.name!r}: type must be one of str/int/float/bool, got {self.type!r}")

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def convert(self, value: Any) -> Any:
        """Converts a CLI string (or a value already of the right type) to the option's type."""
        if value is None or isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        if self.type is bool:
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"option {self.name!r}: expected a boolean (true/false), got {value!r}")
        try:
            return self.type(value)
        except (TypeError, ValueError):
            raise ValueError(f"option {self.name!r}: expected {self.type.__name__}, got {value!r}") from None


@dataclass(frozen=True)
class AgentSpec:
    name: str
    factory: Callable[[dict], Agent] | str
    help: str = ""
    options: tuple[AgentOption, ...] = ()
    privileged: bool = False  # documentation only; the runner checks the built agent's attribute

    def load_factory(self) -> Callable[[dict], Agent]:
        if callable(self.factory):
            return self.factory
        module, _, attr = self.factory.partition(":")
        if not module or not attr:
            raise ValueError(f"agent {self.name!r}: factory {self.factory!r} is not 'module:attr'")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):  # 'module:Class.classmethod' as well as 'module:function'
            obj = getattr(obj, part)
        return obj


@dataclass
class _Registry:
    specs: dict[str, AgentSpec] = field(default_factory=dict)
    plugins_loaded: bool = False


_REGISTRY = _Registry()


def register_agent(name: str, factory: Callable[[dict], Agent] | str, *, help: str = "",
                   options: Sequence[AgentOption] = (), privileged: bool = False, replace: bool = False) -> AgentSpec:
    """Registers an agent factory under `name` (see the module docstring)."""
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"agent name {name!r}: use letters, digits, '-', '_' or '.'")
    if not (callable(factory) or isinstance(factory, str)):
        raise TypeError(f"agent {name!r}: factory must be a callable or a 'module:attr' string, got "
                        f"{type(factory).__name__}")
    if name in _REGISTRY.specs and not replace:
        raise ValueError(f"agent {name!r} is already registered (pass replace=True to override)")
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise ValueError(f"agent {name!r}: duplicate option names {names}")
    reserved = {"seed"}
    if reserved & set(names):
        raise ValueError(f"agent {name!r}: option names {sorted(reserved)} are reserved (the runner passes them)")
    spec = AgentSpec(name, factory, help, tuple(options), privileged)
    _REGISTRY.specs[name] = spec
    return spec


def _entry_points():
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def _load_plugins() -> None:
    if _REGISTRY.plugins_loaded:
        return
    _REGISTRY.plugins_loaded = True
    try:
        eps = list(_entry_points())
    except Exception as e:  # pragma: no cover - broken metadata must not break the CLI
        print(f"warning: the {ENTRY_POINT_GROUP!r} entry points could not be read: {e}", file=sys.stderr)
        eps = []
    for ep in sorted(eps, key=lambda e: (not e.value.startswith("a2a."), e.name)):  # a2a's own first
        try:
            ep.load()()
        except Exception as e:  # a broken plugin must not hide the other agents
            print(f"warning: agent plugin {ep.name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}",
                  file=sys.stderr)


def agent_specs() -> dict[str, AgentSpec]:
    """All registered agents, by name (built-ins, plugin modules, entry points)."""
    _load_plugins()
    return dict(_REGISTRY.specs)


def available_agents() -> list[str]:
    return sorted(agent_specs())


def builtin_specs() -> dict[str, AgentSpec]:
    """The agents registered so far, without reading the entry points (for registration functions
    that must not register a name twice)."""
    return dict(_REGISTRY.specs)


def get_spec(name: str) -> AgentSpec:
    specs = _REGISTRY.specs if name in _REGISTRY.specs else agent_specs()
    if not specs:
        raise ValueError(f"no agents are registered: the {ENTRY_POINT_GROUP!r} entry points are missing "
                         "(install a2a with `pip install .`)")
    if name not in specs:
        raise ValueError(f"unknown agent {name!r}; available agents: {', '.join(sorted(specs))}")
    return specs[name]


def resolve_options(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Fills defaults, converts types and rejects unknown or missing options of agent `name`.

    `seed` is always accepted (the runner's seed)."""
    spec = get_spec(name)
    declared = {o.name: o for o in spec.options}
    out: dict[str, Any] = {}
    unknown = [k for k in given if k not in declared and k != "seed"]
    if unknown:
        allowed = ", ".join(sorted(declared)) or "none"
        raise ValueError(f"agent {name!r} has no option(s) {sorted(unknown)}; its options: {allowed}")
    for o in spec.options:
        value = o.convert(given.get(o.name, o.default))
        if value is None and o.required:
            raise ValueError(f"agent {name!r} needs {o.flag} (or --agent-opt {o.name}=...): {o.help}")
        out[o.name] = value
    if "seed" in given:
        out["seed"] = int(given["seed"])
    return out


def make_agent(name: str, options: Mapping[str, Any] | None = None) -> Agent:
    """Builds agent `name` with `options` (see resolve_options)."""
    opts = resolve_options(name, options or {})
    agent = get_spec(name).load_factory()(opts)
    missing = [a for a in ("name", "privileged", "reset", "act") if not hasattr(agent, a)]
    if missing:
        raise TypeError(f"agent {name!r}: the factory returned {type(agent).__name__}, which lacks {missing} "
                        "(see a2a.eval.agent.Agent)")
    return agent
