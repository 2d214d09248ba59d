"""Per-episode evaluation records: one JSON object per line in RUN_DIR/episodes.jsonl.

Records are appended and flushed as episodes finish, so an interrupted run loses at most the line
being written; `read_records` tolerates a truncated last line (and `RecordWriter` cuts it off
before appending). Any other malformed line is an error naming the file and line.
The format is documented in docs/eval.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

RECORD_FORMAT = "a2a-eval-record/1"
RECORDS_FILE = "episodes.jsonl"

# Fields every record must have, with their JSON types (checked when reading).
_REQUIRED: dict[str, type] = {
    "episode_id": str, "episode_index": int, "split": str, "ambiguity": str, "K": int, "Q": int,
    "budget": int, "success": bool, "failure": bool, "truncated": bool, "length": int,
    "useful_questions": int, "invalid_actions": int, "actions": list, "rewards": list, "instruction": str,
}
# Fields a record may leave out (older writers), with their JSON types when present.
_OPTIONAL: dict[str, type] = {"task": str, "targets": int, "delivered": int, "total_reward": float,
                              "questions": list, "agent_steps": list, "reward_terms": dict}
# What a2a reads of a model agent's step (agent_steps[t], docs/eval.md: the viewer and the LLM usage of a run),
# with its type when present; null is taken for an empty text. Anything else an agent adds is kept unread.
_AGENT_STEP: dict[str, type] = {"raw": str, "thought": str, "error": str, "source": str, "tool_calls": list,
                                "prompt_tokens": int, "completion_tokens": int, "latency_s": float,
                                "cost_usd": float}
# Per-step lists and the type of their items: `length` items each (the viewer reads step t of every one);
# all but actions and rewards may be empty (not recorded).
_PER_STEP: dict[str, type] = {"actions": str, "rewards": float, "answers": str, "invalid": bool,
                              "invalid_reasons": str, "asked": bool, "useful": bool, "question_types": str}


def _is(v: object, typ: type) -> bool:
    """JSON's types: an int is not a bool, a float (a number) may be written as an int."""
    if typ is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, typ) and not (typ is int and isinstance(v, bool))


def _type_name(typ: type) -> str:
    return "number" if typ is float else typ.__name__


class RecordError(ValueError):
    """A corrupt records file; the message names the file and line."""


@dataclass
class EpisodeRecord:
    """Everything about one evaluated episode (see docs/eval.md, "Record format")."""

    episode_id: str
    episode_index: int            # index of the episode in its split file
    split: str
    ambiguity: str                # label, e.g. "attribute+placement" or "none"
    K: int
    budget: int                   # B = K + budget delta
    instruction: str
    Q: int = 0                    # questions asked
    success: bool = False
    failure: bool = False         # irreversible failure (a wrong delivery)
    truncated: bool = False       # hit the step limit
    length: int = 0               # steps taken
    task: str = "fetch"           # fetch, clean_clutter or preference_reasoning
    targets: int = 1              # objects the user wanted moved
    delivered: int = 0            # of them, on their goals when the episode ended
    useful_questions: int = 0     # questions the oracle judge found useful
    invalid_actions: int = 0
    total_reward: float = 0.0
    actions: list[str] = field(default_factory=list)        # per step
    answers: list[str] = field(default_factory=list)        # per step: the user's answer, "" if no question
    rewards: list[float] = field(default_factory=list)      # per step
    reward_terms: dict[str, list[float]] = field(default_factory=dict)  # term -> per-step values
    invalid: list[bool] = field(default_factory=list)       # per step
    invalid_reasons: list[str] = field(default_factory=list)  # per step, "" when valid
    asked: list[bool] = field(default_factory=list)         # per step: the action was a question
    useful: list[bool] = field(default_factory=list)        # per step: a useful question
    question_types: list[str] = field(default_factory=list)  # per step, "" when not a question
    questions: list[str] = field(default_factory=list)      # the questions asked, in order
    frames: str | None = None     # path of the saved frames (relative to the run dir), if any
    agent_steps: list[dict] = field(default_factory=list)  # per step, for model agents: raw output, thought,
    #                                 tool calls, tokens, latency, source, error (docs/eval.md); else empty
    format: str = RECORD_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @staticmethod
    def from_dict(d: dict) -> EpisodeRecord:
        known = {f for f in EpisodeRecord.__dataclass_fields__}
        fields = {k: v for k, v in d.items() if k in known}
        if "delivered" not in d:  # a record from before multi-object tasks: one object, delivered iff success
            fields["delivered"] = int(bool(d.get("success")))
        return EpisodeRecord(**fields)


def _check(d: object, where: str) -> dict:
    if not isinstance(d, dict):
        raise RecordError(f"{where}: a record must be a JSON object, got {type(d).__name__}")
    for name in _REQUIRED:
        if name not in d:
            raise RecordError(f"{where}: missing field {name!r}")
    for name, typ in {**_REQUIRED, **_OPTIONAL, **dict.fromkeys(_PER_STEP, list)}.items():
        if name in d and not _is(d[name], typ):
            raise RecordError(f"{where}: field {name!r} should be {_type_name(typ)}, got {type(d[name]).__name__}")
    if d.get("frames") is not None and not isinstance(d["frames"], str):
        raise RecordError(f"{where}: field 'frames' should be str or null, got {type(d['frames']).__name__}")
    if d["K"] < 0 or d["Q"] < 0 or d["length"] < 0:
        raise RecordError(f"{where}: K, Q and length must be >= 0")
    if len(d["actions"]) != d["length"]:
        raise RecordError(f"{where}: {len(d['actions'])} actions for length {d['length']}")
    # (the pages of `a2a view` index every per-step list by step: a short or mistyped one would crash them)
    steps = {name: d.get(name, []) for name in _PER_STEP}
    steps.update({f"reward_terms[{k!r}]": v for k, v in d.get("reward_terms", {}).items()})
    for name, values in steps.items():
        typ = _PER_STEP.get(name, float)
        if not isinstance(values, list):
            raise RecordError(f"{where}: field {name} should be a list, got {type(values).__name__}")
        if (values or name in _REQUIRED) and len(values) != d["length"]:
            raise RecordError(f"{where}: field {name} has {len(values)} entries for length {d['length']}")
        bad = next((i for i, v in enumerate(values) if not _is(v, typ)), None)
        if bad is not None:
            raise RecordError(f"{where}: field {name}[{bad}] should be {_type_name(typ)}, "
                              f"got {type(values[bad]).__name__}")
    bad = next((i for i, v in enumerate(d.get("questions", [])) if not isinstance(v, str)), None)
    if bad is not None:
        raise RecordError(f"{where}: field questions[{bad}] should be str, got {type(d['questions'][bad]).__name__}")
    for t, step in enumerate(d.get("agent_steps", [])):
        if not isinstance(step, dict):
            raise RecordError(f"{where}: field agent_steps[{t}] should be an object, got {type(step).__name__}")
        for key, typ in _AGENT_STEP.items():
            v = step.get(key)
            if not (v is None and typ is str or key not in step or _is(v, typ)):
                raise RecordError(f"{where}: field agent_steps[{t}].{key} should be {_type_name(typ)}, "
                                  f"got {type(v).__name__}")
        calls = step.get("tool_calls", [])
        if not all(isinstance(c, list) and len(c) == 2 for c in calls):
            raise RecordError(f"{where}: field agent_steps[{t}].tool_calls should be [name, arguments] pairs")
    return d


def _scan(path: Path) -> tuple[list[dict], int, bool]:
    """Parses the file; returns (records, bytes of complete good lines, last line was truncated)."""
    data = path.read_bytes()
    out: list[dict] = []
    good = 0
    lines = data.split(b"\n")
    for i, raw in enumerate(lines):
        last = i == len(lines) - 1
        if last and raw == b"":
            break  # the file ends with a newline
        where = f"{path}: line {i + 1}"
        try:
            d = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            if last:  # a line cut short by an interruption: no newline after it
                return out, good, True
            why = e.msg if isinstance(e, json.JSONDecodeError) else f"not UTF-8: {e.reason}"
            raise RecordError(f"{where}: not valid JSON ({why}); the records file is corrupt — "
                              "fix or delete the line, or start a new run") from None
        if last:  # complete JSON without its newline: keep it, it was fully written
            out.append(_check(d, where))
            return out, len(data), False
        out.append(_check(d, where))
        good += len(raw) + 1
    return out, good, False


def read_records(path: str | os.PathLike) -> list[EpisodeRecord]:
    """All records of a records file (a truncated last line is ignored). Duplicate episode ids are an error."""
    path = Path(path)
    if path.is_dir():
        path = path / RECORDS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no records file (is this an evaluation run directory?)")
    dicts, _, _ = _scan(path)
    seen: dict[str, int] = {}
    for n, d in enumerate(dicts, start=1):
        if d["episode_id"] in seen:
            raise RecordError(f"{path}: episode {d['episode_id']!r} recorded twice (records {seen[d['episode_id']]} "
                              f"and {n})")
        seen[d["episode_id"]] = n
    return [EpisodeRecord.from_dict(d) for d in dicts]


class RecordWriter:
    """Appends records to a file, flushing (and fsyncing every `sync_every`) as they come."""

    def __init__(self, path: str | os.PathLike, sync_every: int = 64):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _, good, truncated = _scan(self.path)
            if truncated:  # drop the partial line so the next record starts on a line of its own
                with open(self.path, "r+b") as f:
                    f.truncate(good)
            elif good and not self.path.read_bytes().endswith(b"\n"):
                with open(self.path, "ab") as f:
                    f.write(b"\n")
        self._f = open(self.path, "a", encoding="utf-8")
        self._sync_every = max(1, sync_every)
        self._since_sync = 0

    def write(self, record: EpisodeRecord) -> None:
        self._f.write(record.to_json() + "\n")
        self._f.flush()
        self._since_sync += 1
        if self._since_sync >= self._sync_every:
            os.fsync(self._f.fileno())
            self._since_sync = 0

    def write_all(self, records: Iterable[EpisodeRecord]) -> None:
        for r in records:
            self.write(r)

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
