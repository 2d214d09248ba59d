"""Evaluation metrics: pure functions over episode records (docs/eval.md has the definitions).

Per episode i: success S_i, minimum questions K_i, questions asked Q_i, T_i objects the user wants
moved (1 for fetch tasks) of which D_i stand on their goals at the end.
- SR  = mean S_i (every object right)
- PSR = mean D_i / T_i (partial success: the fraction of the intended objects delivered)
- ARS = mean S_i * K_i / max(K_i, Q_i)   (= S_i when K_i = Q_i = 0)
- QR  = mean Q_i / K_i over episodes with K_i > 0
- questions on K = 0 episodes are reported separately (mean Q and share of episodes that asked)
- useful-question rate = sum useful / sum Q; invalid-action rate = sum invalid / sum steps;
  episode length = mean steps; over-budget rate = share with Q_i > B_i; failure rate.

Every metric is a ratio of sums over the episodes of a group, sum(num) / sum(den), so that its
bootstrap is one vectorised resampling. 95% intervals are percentile bootstrap intervals, seeded per
group (the same records give the same intervals whatever else is in the run).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

AMBIGUITY_BITS = ("attribute", "size", "spatial_receptacle", "spatial_room", "spatial_neighbor", "placement",
                  "preference")

# Episode sets a metric is taken over.
_ALL, _K_POS, _K_ZERO = "all", "K>0", "K=0"


@dataclass(frozen=True)
class MetricDef:
    name: str
    description: str
    over: str  # _ALL, _K_POS or _K_ZERO
    num: Callable[[dict], np.ndarray]
    den: Callable[[dict], np.ndarray] | None = None  # None: 1 per episode (a mean)


def _ars(a: dict) -> np.ndarray:
    k, q, s = a["K"], a["Q"], a["success"]
    denom = np.maximum(k, q)
    return np.where(denom == 0, s, s * k / np.where(denom == 0, 1, denom))


METRICS: tuple[MetricDef, ...] = (
    MetricDef("SR", "success rate", _ALL, lambda a: a["success"]),
    MetricDef("PSR", "partial success: mean fraction of the intended objects delivered", _ALL,
              lambda a: a["delivered"] / np.maximum(a["targets"], 1)),
    MetricDef("ARS", "ambiguity-resolution score: mean S*K/max(K,Q)", _ALL, _ars),
    MetricDef("QR", "question ratio: mean Q/K over K>0 episodes", _K_POS, lambda a: a["Q"] / np.maximum(a["K"], 1)),
    MetricDef("Q_K0", "mean questions on K=0 episodes", _K_ZERO, lambda a: a["Q"]),
    MetricDef("asked_K0", "share of K=0 episodes with any question", _K_ZERO, lambda a: (a["Q"] > 0).astype(float)),
    MetricDef("questions", "mean questions per episode", _ALL, lambda a: a["Q"]),
    MetricDef("useful_rate", "useful questions / questions", _ALL, lambda a: a["useful"], lambda a: a["Q"]),
    MetricDef("invalid_rate", "invalid actions / steps", _ALL, lambda a: a["invalid"], lambda a: a["length"]),
    MetricDef("length", "mean episode length (steps)", _ALL, lambda a: a["length"]),
    MetricDef("over_budget", "share of episodes with Q > B", _ALL, lambda a: (a["Q"] > a["budget"]).astype(float)),
    MetricDef("failure_rate", "share of episodes ending in an irreversible failure", _ALL, lambda a: a["failure"]),
)
METRIC_NAMES = tuple(m.name for m in METRICS)


@dataclass(frozen=True)
class MetricValue:
    value: float | None  # None when the metric is undefined on the group (e.g. QR without K>0)
    lo: float | None
    hi: float | None
    n: int               # episodes the metric is taken over

    def as_dict(self) -> dict:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "n": self.n}


def _get(r: Any, name: str) -> Any:
    return r[name] if isinstance(r, Mapping) else getattr(r, name)


def _get_or(r: Any, name: str, default: Any) -> Any:
    return r.get(name, default) if isinstance(r, Mapping) else getattr(r, name, default)


def episode_arrays(records: Sequence[Any]) -> dict[str, np.ndarray]:
    """Columns of the records that metrics use (records are EpisodeRecord or dicts)."""
    def col(name: str, dtype=float) -> np.ndarray:
        return np.fromiter((_get(r, name) for r in records), dtype=dtype, count=len(records))

    a = {
        "success": col("success"), "failure": col("failure"), "K": col("K"), "Q": col("Q"),
        "budget": col("budget"), "length": col("length"), "useful": col("useful_questions"),
        "invalid": col("invalid_actions"),
        "targets": np.fromiter((_get_or(r, "targets", 1) for r in records), dtype=float, count=len(records)),
        # a record without the field is a fetch episode: its one object is delivered iff it succeeded
        "delivered": np.fromiter((_get_or(r, "delivered", _get(r, "success")) for r in records), dtype=float,
                                 count=len(records)),
    }
    if len(records) and (a["K"] < 0).any() | (a["Q"] < 0).any():
        raise ValueError("records: K and Q must be >= 0")
    return a


def _subset_mask(a: dict, over: str) -> np.ndarray:
    if over == _K_POS:
        return a["K"] > 0
    if over == _K_ZERO:
        return a["K"] == 0
    return np.ones(len(a["K"]), dtype=bool)


def _ratio(num: np.ndarray, den: np.ndarray) -> float | None:
    d = den.sum()
    return float(num.sum() / d) if d > 0 else None


def _bootstrap(num: np.ndarray, den: np.ndarray, n_boot: int, rng: np.random.Generator,
               confidence: float) -> tuple[float | None, float | None]:
    m = len(num)
    if m == 0 or n_boot <= 0:
        return None, None
    stats = np.empty(n_boot)
    chunk = max(1, 4_000_000 // m)  # keep the index matrix small
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, m, size=(b, m))
        d = den[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats[start:start + b] = np.where(d > 0, num[idx].sum(axis=1) / np.where(d > 0, d, 1), np.nan)
    if np.isnan(stats).all():
        return None, None
    alpha = (1 - confidence) / 2
    lo, hi = np.nanquantile(stats, [alpha, 1 - alpha])
    return float(lo), float(hi)


def compute_metrics(records: Sequence[Any], *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95,
                    group_key: str = "") -> dict[str, MetricValue]:
    """Every metric of METRICS on `records`, with bootstrap intervals (n_boot=0: none).

    The resampling stream is seeded by (seed, group_key), so a group's interval does not depend on
    the other groups computed alongside it."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    a = episode_arrays(records)
    out: dict[str, MetricValue] = {}
    for over in (_ALL, _K_POS, _K_ZERO):
        defs = [m for m in METRICS if m.over == over]
        mask = _subset_mask(a, over)
        sub = {k: v[mask] for k, v in a.items()}
        m = int(mask.sum())
        for d in defs:
            num = np.asarray(d.num(sub), dtype=float)
            den = np.ones(m) if d.den is None else np.asarray(d.den(sub), dtype=float)
            value = _ratio(num, den) if m else None
            rng = np.random.default_rng([seed, zlib.crc32(f"{group_key}|{d.name}".encode())])
            lo, hi = _bootstrap(num, den, n_boot, rng, confidence) if value is not None else (None, None)
            out[d.name] = MetricValue(value, lo, hi, m)
    return {name: out[name] for name in METRIC_NAMES}


def ambiguity_bits(label: str) -> list[str]:
    """The single ambiguity types of a label: "attribute+placement" -> ["attribute", "placement"]."""
    if label == "none":
        return []
    parts = label.split("+")
    bad = [p for p in parts if p not in AMBIGUITY_BITS]
    if bad:
        raise ValueError(f"ambiguity label {label!r}: unknown type(s) {bad}; known: {list(AMBIGUITY_BITS)} or 'none'")
    return parts


def group_indices(records: Sequence[Any]) -> dict[str, dict[str, list[int]]]:
    """Episode indices per group: by split, by task type (fetch, clean_clutter, preference_reasoning),
    by ambiguity label, by single ambiguity bit (an episode counts for each bit it has; K=0 episodes
    form "none"), and by K."""
    groups: dict[str, dict[str, list[int]]] = {"by_split": {}, "by_task": {}, "by_ambiguity": {},
                                               "by_ambiguity_bit": {},
                                               "by_K": {}}
    for i, r in enumerate(records):
        groups["by_split"].setdefault(_get(r, "split"), []).append(i)
        groups["by_task"].setdefault(_get_or(r, "task", "fetch"), []).append(i)
        label = _get(r, "ambiguity")
        groups["by_ambiguity"].setdefault(label, []).append(i)
        for bit in ambiguity_bits(label) or ["none"]:
            groups["by_ambiguity_bit"].setdefault(bit, []).append(i)
        groups["by_K"].setdefault(str(_get(r, "K")), []).append(i)
    groups["by_K"] = dict(sorted(groups["by_K"].items(), key=lambda kv: int(kv[0])))
    for kind in ("by_split", "by_task", "by_ambiguity", "by_ambiguity_bit"):
        groups[kind] = dict(sorted(groups[kind].items()))
    return groups


def summarize(records: Sequence[Any], *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
    """Metrics overall and per group, as plain JSON-able dicts: {"overall": {metric: {value, lo, hi, n}},
    "by_split": {split: {...}}, "by_task": ..., "by_ambiguity": ..., "by_ambiguity_bit": ..., "by_K": ...}."""
    records = list(records)

    def block(recs: list, key: str) -> dict:
        ms = compute_metrics(recs, n_boot=n_boot, seed=seed, confidence=confidence, group_key=key)
        return {"episodes": len(recs), **{k: v.as_dict() for k, v in ms.items()}}

    out: dict = {"episodes": len(records), "bootstrap": {"samples": n_boot, "seed": seed, "confidence": confidence},
                 "overall": block(records, "overall")}
    for kind, groups in group_indices(records).items():
        out[kind] = {key: block([records[i] for i in idx], f"{kind}/{key}") for key, idx in groups.items()}
    from .usage import llm_usage

    usage = llm_usage(records)
    if usage is not None:
        out["llm"] = usage
    return out


def sr_by(records: Iterable[Any], key: Callable[[Any], Any]) -> dict[Any, tuple[float, int]]:
    """SR per value of key(record): {value: (SR, episodes)}, sorted by value (for plots)."""
    acc: dict[Any, list[float]] = {}
    for r in records:
        acc.setdefault(key(r), []).append(float(_get(r, "success")))
    return {k: (float(np.mean(v)), len(v)) for k, v in sorted(acc.items())}
