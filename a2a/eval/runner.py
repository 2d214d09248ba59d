"""The evaluation runner: every selected episode exactly once, through the batched core.

`run_episodes` is the loop (no files): N envs with autoreset disabled, each reset explicitly to the
next episode of the selection when its episode ends, the agent acting on the rows of envs still
running. `evaluate` adds the run directory: run.json, records appended as episodes finish, resume,
saved frames, summary.json.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..env.config import CORE_MAX_INT, EnvConfig, RewardWeights, check_frame_size, check_int, check_seed
from ..llm.client import LLMEndpointDownError
from ..llm.env_user import UserSpec
from .agent import Agent
from .env_access import RunnerEnvAccess
from .metrics import summarize
from .observation import concat_observations, observation_from_batch
from .records import RECORDS_FILE, EpisodeRecord, RecordWriter, read_records
from .run_dir import (
    RUN_FILE,
    RUN_FORMAT,
    SUMMARY_FILE,
    ResumeError,
    check_resumable,
    foreign_entries,
    git_commit,
    now_iso,
    read_run,
    run_lock,
    save_frames,
    write_json_atomic,
)

DEFAULT_FRAME_SIZE = 128
BUDGET_DELTAS = (0, 1, 2, 4)  # the paper's; any delta >= 0 is accepted


def _help(text: str, **more) -> dict:
    return {"help": text, **more}


@dataclass(frozen=True)
class RunnerConfig:
    """How episodes are stepped (no files involved). Defaults and help are `a2a eval`'s."""

    num_envs: int = field(default=8, metadata=_help(
        "episodes in flight: environments stepped in parallel, one LLM request each for LLM agents",
        flags=("--concurrency",), metavar="E"))
    num_threads: int = field(default=0, metadata=_help("core threads (0: min(cores, envs))"))
    budget_delta: int = field(default=0, metadata=_help("question budget B = K + D (paper: 0, 1, 2, 4)", metavar="D"))
    frame_size: int | None = field(default=None, metadata=_help(
        "rendered view size (none: what the agent asks for, else 128; 0: no rendering)"))
    history: int = field(default=1, metadata=_help("frames per observation"))
    seed: int = field(default=0, metadata=_help("seed of the agent and of the bootstrap intervals"))
    save_frames: int = field(default=0, metadata=_help("save the views of the first N episodes (for `a2a view`)",
                                                       metavar="N"))

    def __post_init__(self) -> None:
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {self.num_envs}")
        check_int(self.num_threads, "num_threads", 0, CORE_MAX_INT)
        check_int(self.budget_delta, "budget_delta", 0, CORE_MAX_INT)
        check_seed(self.seed)
        if self.frame_size is not None:
            check_frame_size(self.frame_size)
        if not 1 <= self.history <= 64:
            raise ValueError(f"history must be in [1, 64], got {self.history}")
        if self.save_frames < 0:
            raise ValueError(f"save_frames must be >= 0, got {self.save_frames}")
        if self.save_frames and self.frame_size == 0:
            raise ValueError("save_frames needs rendering (frame_size > 0)")

    def resolved_frame_size(self, agent: Agent) -> int:
        """The frame size to render at: as configured, else what the agent asks for (attribute
        `frame_size`, 0 for agents that do not look at images), else 128; at least 128 when frames
        are saved. An agent that asks for views (`frame_size` > 0) is refused frame_size 0 here,
        before its first step."""
        wants = int(getattr(agent, "frame_size", 0))
        if self.frame_size == 0 and wants > 0:
            raise ValueError(f"the {getattr(agent, 'name', type(agent).__name__)} agent looks at frames: run it "
                             f"with rendering (frame_size > 0; unset, it renders at {wants})")
        fs = self.frame_size if self.frame_size is not None else int(getattr(agent, "frame_size", DEFAULT_FRAME_SIZE))
        if self.save_frames and fs == 0:
            fs = DEFAULT_FRAME_SIZE
        return fs


def uses_marks(agent: Agent) -> bool:
    """Whether the agent looks at views with Set-of-Marks numbers (its `set_of_marks` attribute)."""
    return bool(getattr(agent, "set_of_marks", False))


def _check_actions(agent: Agent, actions: Any, n: int) -> list[str]:
    if not isinstance(actions, (list, tuple)) or len(actions) != n:
        got = f"{len(actions)} actions" if isinstance(actions, (list, tuple)) else type(actions).__name__
        raise TypeError(f"agent {agent.name!r}: act() must return a list of {n} strings (one per row), got {got}")
    for a in actions:
        if not isinstance(a, str):
            raise TypeError(f"agent {agent.name!r}: act() returned a {type(a).__name__}, not a str: {a!r}")
    return list(actions)


def run_episodes(agent: Agent, episodes, indices: Sequence[int], config: RunnerConfig,
                 on_record: Callable[[EpisodeRecord, list | None], None],
                 on_progress: Callable[[int], None] | None = None, user: UserSpec | None = None,
                 llm_cache: str | None = None) -> dict:
    """Runs each episode of `indices` (positions in `episodes`) exactly once.

    on_record(record, frames) is called as each episode ends (frames: list of [h, w, 3] views when
    the episode is among the first `save_frames` of `indices`, else None). `user` says who answers
    questions (default: the core's built-in user); with an LLM user, `llm_cache` is its response
    cache. Returns the LLM user's counters ({} without one)."""
    indices = list(indices)
    if not indices:
        return {}
    n_total = len(episodes)
    bad = [i for i in indices if not 0 <= i < n_total]
    if bad:
        raise IndexError(f"episode indices {bad[:5]} out of range [0, {n_total})")
    if len(set(indices)) != len(indices):
        raise ValueError("episode indices must be distinct (each episode runs exactly once)")
    summary = episodes.summary()
    keep_frames = set(indices[:config.save_frames])

    n_envs = min(config.num_envs, len(indices))
    fs = config.resolved_frame_size(agent)
    env = EnvConfig(frame_size=fs, history=config.history, num_threads=config.num_threads, autoreset="disabled",
                    seed=config.seed, set_of_marks=uses_marks(agent),
                    rewards=RewardWeights(budget_delta=config.budget_delta)).make_core(episodes, n_envs)
    env_user = (user or UserSpec()).build(env, n_envs, cache_path=llm_cache)
    access = RunnerEnvAccess(env, privileged=bool(getattr(agent, "privileged", False)),
                             agent_name=getattr(agent, "name", type(agent).__name__))
    queue = deque(indices)
    traces: dict[int, Any] = {}
    from .trace import BatchRows, EpisodeTrace

    def start(env_ids: list[int]):
        eps = [queue.popleft() for _ in env_ids]
        batch = env.reset(env_ids, eps)
        if env_user is not None:
            env_user.apply(batch)  # a new dialogue
        budgets = batch.budget.tolist()
        instructions = batch.instruction.tolist()
        for row, (env_id, ep) in enumerate(zip(env_ids, eps)):
            tr = EpisodeTrace(summary["id"][ep], ep, summary["split"][ep], summary["ambiguity"][ep], summary["K"][ep],
                              budgets[row], instructions[row].decode("utf-8", "replace"), summary["task"][ep])
            if ep in keep_frames:
                tr.frames = [np.array(batch.frames[row, -1])]
            traces[env_id] = tr
        agent.reset(env_ids)
        return batch

    try:
        batch = start(list(range(n_envs)))
        obs = observation_from_batch(batch)
        idle_action = "ask(episode over)"  # sent to envs with no episode left; the core rejects it
        while traces:
            actions = _check_actions(agent, agent.act(obs, access), len(obs))
            by_env = dict(zip(obs.env_ids.tolist(), actions))
            step_info = getattr(agent, "step_info", None)  # model agents: raw outputs, tokens, latency
            if step_info is not None:
                for env_id in by_env:
                    info = step_info(env_id)
                    if info is not None:
                        traces[env_id].record.agent_steps.append(info)
            batch = env.step([by_env.get(i, idle_action) for i in range(n_envs)])
            if env_user is not None:  # before anything reads the answers
                env_user.apply(batch, rows=np.asarray(sorted(by_env)))
            rows = BatchRows(batch)
            continuing, finished = [], []
            for env_id, action in by_env.items():
                tr = traces[env_id]
                tr.add_step(action, rows, env_id)
                if tr.frames is not None:
                    tr.frames.append(np.array(batch.frames[env_id, -1]))
                if rows.done(env_id):
                    record = tr.finish(rows, env_id)
                    on_record(record, tr.frames)
                    del traces[env_id]
                    finished.append(env_id)
                else:
                    continuing.append(env_id)
            if on_progress and finished:
                on_progress(len(finished))
            refill = finished[:len(queue)]
            parts = []
            if continuing:
                parts.append(observation_from_batch(batch,
                                                    None if len(continuing) == n_envs else np.asarray(continuing)))
            if refill:
                parts.append(observation_from_batch(start(refill)))
            if not parts:
                break
            obs = concat_observations(parts)
    finally:
        if env_user is not None:
            env_user.close()
    return {} if env_user is None else env_user.stats()


MAX_BOOTSTRAP = 1_000_000  # far past where more samples move a 95% interval; 3e9 asked for 24 GB at once


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run (what `a2a eval` builds from its flags)."""

    agent: str
    split: str
    agent_options: dict = field(default_factory=dict)
    dataset: str | None = field(default=None, metadata=_help("dataset directory (none: the built-in dataset)",
                                                             metavar="DIR"))
    episodes: int | None = field(default=None, metadata=_help("evaluate the first N episodes of the split (none: all)",
                                                              metavar="N"))
    out: str | None = field(default=None, metadata=_help(
        "run directory (none: runs/<agent>-<split>-d<D>-<time>)", metavar="RUN_DIR"))
    resume: bool = False
    label: str | None = field(default=None, metadata=_help("name of the run in reports (none: the agent name)"))
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    user: UserSpec = field(default_factory=UserSpec)  # who answers questions (default: the built-in user)
    bootstrap: int = field(default=1000, metadata=_help("bootstrap samples for the 95% intervals (0: none)"))
    progress: bool = True

    def __post_init__(self) -> None:
        if not self.agent:
            raise ValueError("EvalConfig.agent: empty agent name")
        if self.episodes is not None and self.episodes < 1:
            raise ValueError(f"EvalConfig.episodes must be >= 1, got {self.episodes}")
        if not 0 <= self.bootstrap <= MAX_BOOTSTRAP:
            raise ValueError(f"bootstrap must be in [0, {MAX_BOOTSTRAP}] (samples for the 95% intervals), "
                             f"got {self.bootstrap}")
        if self.resume and not self.out:
            raise ValueError("EvalConfig.resume needs the run directory to resume (out)")


@dataclass
class EvalResult:
    run_dir: Path
    records: list[EpisodeRecord]
    summary: dict
    run: dict
    new_episodes: int  # episodes run by this call (the rest were resumed from the records)
    seconds: float


def _default_out(cfg: EvalConfig) -> Path:
    split = Path(cfg.split).name.split(".")[0]
    return Path("runs") / f"{cfg.agent}-{split}-d{cfg.runner.budget_delta}-{time.strftime('%Y%m%d-%H%M%S')}"


def _episodes_hash(episodes, selection: list[int]) -> str:
    """SHA-256 of the selected episodes' JSON lines, a thousand at a time (a train split holds ~100 MB of them)."""
    h = hashlib.sha256()
    for i in range(0, len(selection), 1000):
        h.update(episodes.select(selection[i:i + 1000]).to_jsonl())
    return h.hexdigest()


def _dataset_id(dataset: str | None) -> str | None:
    return None if dataset is None else str(Path(dataset).resolve())


def _split_id(split: str) -> str:
    """A split's name, or the absolute path of an episode file: the run names the same file when resumed (or
    viewed) from another working directory."""
    from ..data import SPLITS

    return split if split in SPLITS else str(Path(split).resolve())


def evaluate(cfg: EvalConfig, agent: Agent | None = None, agent_factory: Callable[[], Agent] | None = None,
             log: Callable[[str], None] = print) -> EvalResult:
    """Runs (or resumes) an evaluation and writes its run directory.

    The agent is `agent` if given (cfg.agent is then only its name in the run, cfg.agent_options
    are recorded as they are), else `agent_factory()`, else the registry's `cfg.agent` built with
    cfg.agent_options. It is built only after the run directory was checked (a refused resume loads
    no model)."""
    from ..data import load_split
    from .registry import resolve_options

    t0 = time.perf_counter()
    from .registry import agent_specs

    options = dict(cfg.agent_options)
    if agent is None or cfg.agent in agent_specs():  # registered: defaults filled, types checked
        options = resolve_options(cfg.agent, {"seed": cfg.runner.seed, **options})
    episodes = load_split(cfg.split, cfg.dataset)
    n = len(episodes) if cfg.episodes is None else min(cfg.episodes, len(episodes))
    selection = list(range(n))

    run_dir = Path(cfg.out) if cfg.out else _default_out(cfg)
    a2a_version = _version()
    wanted = {
        "format": RUN_FORMAT, "agent": cfg.agent, "label": cfg.label or cfg.agent, "options": options,
        "split": _split_id(cfg.split), "budget_delta": cfg.runner.budget_delta, "dataset": _dataset_id(cfg.dataset),
        "episodes": n, "episodes_sha256": _episodes_hash(episodes, selection),
        "seed": cfg.runner.seed, "frame_size": cfg.runner.frame_size, "history": cfg.runner.history,
        "num_envs": cfg.runner.num_envs, "save_frames": cfg.runner.save_frames, "user": cfg.user.describe(),
        "a2a_version": a2a_version, "git_commit": git_commit(),
    }
    if cfg.resume and not (run_dir / RUN_FILE).exists():
        raise ResumeError(f"nothing to resume: {run_dir} has no {RUN_FILE}")
    # an existing folder must be empty or an evaluation's: never a training run or a dataset the records would join
    foreign = [] if (run_dir / RUN_FILE).exists() else foreign_entries(run_dir)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ResumeError(f"{run_dir} is not an evaluation run and holds files an evaluation does not write "
                          f"({shown}); choose a new or empty --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir):  # a second evaluation into this folder is refused, not interleaved
        return _evaluate_in(run_dir, cfg, wanted, episodes, selection, agent, agent_factory, options, log, t0)


def _evaluate_in(run_dir: Path, cfg: EvalConfig, wanted: dict, episodes, selection: list[int], agent: Agent | None,
                 agent_factory: Callable[[], Agent] | None, options: dict, log: Callable[[str], None],
                 t0: float) -> EvalResult:
    """evaluate()'s work once it holds the run directory: check or start the run, run what is left, summarize."""
    from .registry import make_agent

    n = len(selection)
    records_path = run_dir / RECORDS_FILE
    done: list[EpisodeRecord] = []
    # A run dir holds a run once an episode was recorded: a start that failed before (an unreachable
    # LLM, a model that did not load) leaves a run.json that does not block a retry.
    has_records = records_path.exists() and records_path.stat().st_size > 0
    if (run_dir / RUN_FILE).exists() and (has_records or cfg.resume):
        if not cfg.resume:
            raise ResumeError(f"{run_dir} already holds an evaluation run; pass --resume to continue it, "
                              "or choose another --out")
        existing = read_run(run_dir)
        had = existing.get("split")
        if isinstance(had, str) and had != wanted["split"] and _split_id(had) == wanted["split"]:
            # an episode file recorded as typed (before runs recorded its absolute path), resumed from where it began
            existing = {**existing, "split": wanted["split"]}
        check_resumable(existing, wanted, run_dir)
        done = read_records(records_path) if records_path.exists() else []
        ids = set(episodes.summary()["id"][:n])
        stray = [r.episode_id for r in done if r.episode_id not in ids]
        if stray:
            raise ResumeError(f"refusing to resume {run_dir}: its records hold episodes that are not in this "
                              f"selection (e.g. {stray[:3]}); the dataset changed?")
        wanted["started_at"] = existing.get("started_at")
        wanted["resumed_at"] = list(existing.get("resumed_at", [])) + [now_iso()]
    else:
        if has_records:
            raise ResumeError(f"{records_path} exists without {RUN_FILE}; refusing to mix runs — choose another --out")
        wanted["started_at"] = now_iso()
    wanted["completed"] = False
    write_json_atomic(run_dir / RUN_FILE, wanted)
    runner_cfg = cfg.runner
    if agent is None:
        agent = agent_factory() if agent_factory is not None else make_agent(cfg.agent, options)
    wanted["frame_size_used"] = runner_cfg.resolved_frame_size(agent)
    wanted["privileged"] = bool(getattr(agent, "privileged", False))
    wanted["set_of_marks"] = uses_marks(agent)
    # Whether the agent sees the whole apartment (Table 1's "full obs." column): privileged agents do
    # unless they say otherwise.
    wanted["full_observation"] = bool(getattr(agent, "full_observation", wanted["privileged"]))
    write_json_atomic(run_dir / RUN_FILE, wanted)  # an interrupted run says what its agent saw too

    finished_ids = {r.episode_id for r in done}
    ids = episodes.summary()["id"]
    todo = [i for i in selection if ids[i] not in finished_ids]
    if done:
        log(f"resuming {run_dir}: {len(done)} of {n} episodes already done, {len(todo)} to go")

    if todo:
        from tqdm import tqdm

        with RecordWriter(records_path) as writer, tqdm(total=n, initial=len(done), desc=f"eval {cfg.agent}",
                                                          unit="ep", disable=not cfg.progress) as bar:
            def on_record(record: EpisodeRecord, frames) -> None:
                if frames is not None:
                    record.frames = save_frames(run_dir, record.episode_index, frames)
                writer.write(record)

            # Frames go to the first N episodes of the whole selection, even when resuming.
            keep = set(selection[:runner_cfg.save_frames])
            order = [i for i in todo if i in keep] + [i for i in todo if i not in keep]
            sub_cfg = RunnerConfig(**{**asdict(runner_cfg), "frame_size": wanted["frame_size_used"],
                                       "save_frames": sum(1 for i in todo if i in keep)})
            try:
                user_stats = run_episodes(agent, episodes, order, sub_cfg, on_record, bar.update, user=cfg.user,
                                          llm_cache=str(run_dir / "llm_cache.sqlite"))
            except LLMEndpointDownError as e:  # the agent's or the LLM user's endpoint is gone: say how to go on
                raise LLMEndpointDownError(f"{e} with --resume --out {run_dir} (the finished episodes are kept)") \
                    from e.__cause__
            finally:
                close = getattr(agent, "close", None)  # model agents hold connections (LLM clients)
                if close is not None:
                    close()
            if user_stats:
                wanted["user_stats"] = user_stats  # of this call (a resumed run counts its own questions)

    records = read_records(records_path) if records_path.exists() else []
    pos = {ids[i]: k for k, i in enumerate(selection)}
    records.sort(key=lambda r: pos.get(r.episode_id, len(pos)))
    if len(records) != n:
        raise RuntimeError(f"{records_path}: {len(records)} records for {n} selected episodes")
    summary = summarize(records, n_boot=cfg.bootstrap, seed=runner_cfg.seed)
    summary = {"run": {k: wanted[k] for k in ("agent", "label", "split", "budget_delta", "options")}, **summary}
    write_json_atomic(run_dir / SUMMARY_FILE, summary)
    wanted["completed"] = True
    wanted["finished_at"] = now_iso()
    write_json_atomic(run_dir / RUN_FILE, wanted)
    return EvalResult(run_dir, records, summary, wanted, len(todo), time.perf_counter() - t0)


def _version() -> str:
    from .. import __version__

    return __version__
