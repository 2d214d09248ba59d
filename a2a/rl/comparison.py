"""The main job's final table: the trained policy beside its starting points and the scripted agents,
all evaluated greedily on the same episodes of one split by the evaluation runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# scripted reference rows: (agent, what it is)
REFERENCES = (
    ("no-ask", "never asks: picks the first object that matches the instruction"),
    ("greedy-explore", "scripted, non-privileged: asks where it is, then for missing attributes"),
    ("oracle", "privileged: asks exactly K questions, knows where everything is"),
)

MEANING = ("SR: success rate; ARS: success weighted by K / max(K, questions asked), 1 = asks exactly the "
           "K questions needed; QR: questions asked / K over episodes with K > 0 (1 is ideal).")


@dataclass(frozen=True)
class Row:
    label: str        # name in the table
    what: str         # one line: what this row is
    eval_dir: Path
    summary: dict


def evaluate_policy(policy, cfg, out_dir: Path, frame_size: int, label: str, episodes: int | None = None) -> dict:
    """Greedy evaluation of a policy through the evaluation runner (records + summary in out_dir);
    frame_size 0: the agent's own (its vision tower's input size)."""
    from ..eval.runner import EvalConfig, RunnerConfig, evaluate
    from ..policy.agent import MLLMAgent

    agent = MLLMAgent(policy, sample=False)
    n = episodes if episodes is not None else cfg.eval_episodes
    ecfg = EvalConfig(agent="mllm", split=cfg.eval_split, dataset=cfg.dataset, episodes=n, out=str(out_dir),
                      resume=(out_dir / "run.json").exists(), label=label,
                      runner=RunnerConfig(num_envs=min(16, n), budget_delta=cfg.rewards.budget_delta,
                                          frame_size=frame_size or agent.frame_size, seed=cfg.seed),
                      user=cfg.user_spec(), progress=cfg.progress, agent_options={"model": "(training)"})
    res = evaluate(ecfg, agent=agent, log=lambda s: None)
    policy.eval()
    return res.summary


def evaluate_reference(agent: str, cfg, out_dir: Path) -> dict:
    """A scripted agent on the same episodes as the policy."""
    from ..eval.runner import EvalConfig, RunnerConfig, evaluate

    ecfg = EvalConfig(agent=agent, split=cfg.eval_split, dataset=cfg.dataset, episodes=cfg.eval_episodes,
                      out=str(out_dir), resume=(out_dir / "run.json").exists(), label=agent,
                      runner=RunnerConfig(num_envs=16, budget_delta=cfg.rewards.budget_delta, frame_size=0,
                                          seed=cfg.seed),
                      user=cfg.user_spec(), progress=False)
    return evaluate(ecfg, log=lambda s: None).summary


def metric(summary: dict, key: str) -> float | None:
    v = summary.get("overall", {}).get(key)
    if isinstance(v, dict):
        v = v.get("value")
    return float(v) if isinstance(v, (int, float)) else None


def table(rows: list[Row], split: str, episodes: int) -> str:
    """A plain-text table (percentages for SR and ARS) and the line that says what the numbers mean."""
    def pct(v):
        return "   -" if v is None else f"{100 * v:5.1f}"

    def ratio(v):
        return "   -" if v is None else f"{v:4.2f}"

    width = max(len(r.label) for r in rows)
    lines = [f"{split}, the same {episodes} episodes for every row (greedy decoding):",
             f"  {'agent':<{width}}    SR   ARS    QR   what it is"]
    for r in rows:
        s = r.summary
        lines.append(f"  {r.label:<{width}} {pct(metric(s, 'SR'))} {pct(metric(s, 'ARS'))}  {ratio(metric(s, 'QR'))}   "
                     f"{r.what}")
    lines.append(MEANING)
    lines.append(verdict(rows))
    return "\n".join(lines)


def points_against(sr: float, other: float, name: str) -> str:
    """'+12 points over X', '5 points below X' or 'level with X' (SR in percentage points, rounded)."""
    d = round(100 * (sr - other))
    return f"+{d} points over {name}" if d > 0 else f"{-d} points below {name}" if d < 0 else f"level with {name}"


def verdict(rows: list[Row]) -> str:
    """One sentence from the numbers: how far the policy got, against its start and never asking."""
    by = {r.label: r.summary for r in rows}
    mine = by.get("this policy")
    sr = metric(mine, "SR") if mine else None
    if mine is None or sr is None:
        return ""
    ci = mine.get("overall", {}).get("SR", {})
    band = f" (95% CI {100 * ci['lo']:.0f}-{100 * ci['hi']:.0f})" if isinstance(ci, dict) and "lo" in ci else ""
    parts = [f"this policy finishes {100 * sr:.0f}%{band} of tasks in apartments it never saw"]
    for label, name in (("initial", "its start"), ("no-ask", "no-ask")):
        other = metric(by[label], "SR") if label in by else None
        if other is not None:
            parts.append(points_against(sr, other, name))
    qr = metric(mine, "QR")
    if qr is not None:
        parts.append(f"asking {qr:.2f} questions per needed one (the oracle 1.00)")
    return "; ".join(parts) + "."
