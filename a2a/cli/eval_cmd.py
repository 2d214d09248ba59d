"""`a2a eval --agent NAME --split SPLIT`: evaluate an agent, episode by episode, through the batched core.

Writes RUN_DIR/run.json, RUN_DIR/episodes.jsonl (one record per episode, appended as episodes
finish), RUN_DIR/summary.json, and prints the metrics table. An interrupted run continues with
--resume (same agent, options, split, budget delta, dataset and selection, or it refuses).
Agents: see `a2a eval --list-agents`; docs/eval.md explains the metrics and the record format.
"""

from __future__ import annotations

import argparse

from .errors import UserError

SPLIT_HELP = ("train, val_unseen_scenes, val_unseen_tasks, test_unseen_scenes, test_unseen_tasks, "
              "or a path to a .jsonl(.gz) episode file")


def register(sub, help_text: str) -> None:
    # Only the registry's light parts are imported here: `a2a eval --help` must not import torch.
    from ..eval.registry import agent_specs
    from ..eval.runner import EvalConfig, RunnerConfig
    from .config_args import add_config_args
    from .llm_args import add_llm_args

    p = sub.add_parser("eval", help=help_text, description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agent", help="agent name (see --list-agents)")
    p.add_argument("--split", help=SPLIT_HELP)
    add_config_args(p, RunnerConfig, only=("budget_delta",))
    add_config_args(p, EvalConfig, only=("episodes",))
    add_config_args(p, RunnerConfig, only=("num_envs", "num_threads"))
    add_config_args(p, EvalConfig, only=("out", "dataset"))
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    add_config_args(p, RunnerConfig, only=("seed", "save_frames", "frame_size", "history"))
    add_config_args(p, EvalConfig, only=("label", "bootstrap"))
    p.add_argument("--ci", action="store_true", help="print the intervals in the table")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list-agents", action="store_true", help="list the registered agents and exit")
    add_llm_args(p.add_argument_group("user", "who answers the agent's questions"), "the LLM user")
    g = p.add_argument_group("agent options", "passed to the agent's factory; other options: --agent-opt KEY=VALUE")
    g.add_argument("--model", default=None, metavar="PATH", help="checkpoint of a model agent (e.g. mllm)")
    g.add_argument("--agent-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="any agent option (repeatable)")
    # One flag per option name across the agents; an option named like one of eval's own flags
    # (--base-url, --llm-model, --dataset, ...) takes that flag's value (SHARED).
    seen = {"model"} | set(SHARED)
    for spec in agent_specs().values():
        for o in spec.options:
            if o.name in seen:
                continue
            seen.add(o.name)
            g.add_argument(o.flag, dest=f"agentopt_{o.name}", default=None, metavar=o.type.__name__.upper(),
                           help=f"[{spec.name}] {o.help}" + ("" if o.default is None else f" (default {o.default})"))
    p.set_defaults(func=run)


# eval's own flags that also feed the agent options of the same name (agent option -> args attribute).
SHARED = {"base_url": "base_url", "llm_model": "llm_model", "api_key_env": "api_key_env",
          "llm_timeout": "llm_timeout", "llm_concurrency": "llm_concurrency", "dataset": "dataset"}


def _agent_options(args: argparse.Namespace, declared: set[str] | frozenset[str] = frozenset()) -> dict:
    opts: dict = {name: getattr(args, attr) for name, attr in SHARED.items()
                  if name in declared and getattr(args, attr, None) is not None}
    for kv in args.agent_opt:
        key, sep, value = kv.partition("=")
        if not sep or not key:
            raise ValueError(f"--agent-opt {kv!r}: expected KEY=VALUE")
        opts[key.strip().replace("-", "_")] = value
    for key, value in vars(args).items():
        if key.startswith("agentopt_") and value is not None:
            opts[key[len("agentopt_"):]] = value
    if args.model is not None:
        opts["model"] = args.model
    return opts


def _list_agents() -> int:
    from ..eval.registry import agent_specs

    for name, spec in sorted(agent_specs().items()):
        flags = ", ".join(f"{o.flag} ({o.type.__name__}, default {o.default})" for o in spec.options)
        print(f"{name:16s} {'[privileged] ' if spec.privileged else ''}{spec.help}")
        if flags:
            print(f"{'':16s} options: {flags}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list_agents:
        return _list_agents()
    from ..data import SPLITS
    from ..env.config import CORE_MAX_INT, check_int
    from ..eval.records import RecordError
    from ..eval.registry import get_spec, make_agent, resolve_options
    from ..eval.run_dir import ResumeError
    from ..eval.runner import EvalConfig, RunnerConfig, evaluate
    from ..eval.tables import summary_table
    from ..eval.usage import usage_line
    from ..llm import LLMError
    from ..llm.env_user import UserSpec
    from .llm_args import llm_endpoint_kwargs

    if not args.agent:
        raise UserError("--agent is required (see --list-agents)")
    if not args.split:
        raise UserError(f"--split is required: {SPLIT_HELP}")
    if args.split not in SPLITS and not args.split.endswith((".jsonl", ".jsonl.gz")):
        raise UserError(f"unknown split {args.split!r}; expected one of {list(SPLITS)} or a .jsonl(.gz) episode file")
    if args.episodes is not None and args.episodes < 1:
        raise UserError(f"--episodes must be >= 1, got {args.episodes}")
    try:
        # the core takes these as C ints: named by their flags here, before RunnerConfig checks them by field
        check_int(args.budget_delta, "--budget-delta", 0, CORE_MAX_INT)
        check_int(args.num_threads, "--num-threads", 0, CORE_MAX_INT)
        declared = {o.name for o in get_spec(args.agent).options}
        options = resolve_options(args.agent, {"seed": args.seed, **_agent_options(args, declared)})
        runner = RunnerConfig(num_envs=args.num_envs, num_threads=args.num_threads, budget_delta=args.budget_delta,
                              frame_size=args.frame_size, history=args.history, seed=args.seed,
                              save_frames=args.save_frames)
        cfg = EvalConfig(agent=args.agent, split=args.split, agent_options=options, dataset=args.dataset,
                         episodes=args.episodes, out=args.out, resume=args.resume, label=args.label, runner=runner,
                         user=UserSpec(args.user, **llm_endpoint_kwargs(args)),
                         bootstrap=args.bootstrap, progress=not args.no_progress)
        result = evaluate(cfg, agent_factory=lambda: make_agent(args.agent, options))
    except (ValueError, FileNotFoundError, ResumeError, RecordError, TypeError, LLMError) as e:
        raise UserError(str(e)) from None
    print(summary_table(result.summary, ci=args.ci))
    if result.run.get("user_stats"):
        st = result.run["user_stats"]
        print(f"LLM user: {st['user/answered']:.0f} answers ({st.get('user/fallbacks', 0):.0f} fallbacks)")
    usage = result.summary.get("llm")
    if usage:
        print(usage_line(usage))
    print(f"\n{len(result.records)} episodes ({result.new_episodes} run now) in {result.seconds:.1f}s -> "
          f"{result.run_dir}")
    return 0
