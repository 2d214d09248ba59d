"""A static, offline trajectory viewer: one HTML page per episode (views, the thoughts of model
agents, actions, questions, answers, rewards) and an index. No CDN, inline CSS, images as relative PNG files.

Views come from the frames a run saved (`a2a eval --save-frames N`); for other episodes they are
re-rendered by replaying the recorded actions in the core (deterministic), when the run's dataset
can be loaded. A replay whose rewards differ from the record is flagged on the page.

When the dataset can be loaded, the replay also says what each view shows (the core's
`view_layout`): the receptacles of a room or the one the robot is at, the objects on it, the held
object. The page labels them over the views (a checkbox hides the labels) and says under each view
where the robot is; with Set-of-Marks (a run whose agent saw numbered marks), views show the marks
and list which object each number is.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..env.config import EnvConfig, RewardWeights, check_frame_size
from .records import EpisodeRecord, read_records
from .reward_text import terms_text
from .run_dir import load_frames, read_run

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em} table{border-collapse:collapse;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#eee} .ok{color:#176b17;font-weight:bold} .bad{color:#a31515;font-weight:bold} .q{color:#1a4f9c}
.invalid{background:#fde8e8} .ask{background:#eef3fc} .meta td:first-child{font-weight:bold}
img.view{image-rendering:pixelated;width:256px;height:256px;border:1px solid #999;display:block}
.warn{background:#fff3cd;padding:6px}
.frame{position:relative;width:258px} .where{font-size:0.85em;color:#444;max-width:258px}
.lbl{position:absolute;font:9px/1.15 system-ui,sans-serif;color:#111;background:rgba(255,255,255,0.82);padding:0 1px;
 text-align:center;overflow-wrap:break-word;pointer-events:none}
.lbl.closed{font-style:italic;color:#555} .lbl.banner{text-align:left}
#show-labels:not(:checked) ~ #steps .lbl{display:none}
.instruction{font-size:1.15em;padding:8px;background:#fff;border-left:4px solid #1a4f9c}
.thought{font-style:italic;color:#444}
"""

# Sets data-images="loaded/total" and data-all-loaded="true" on <body> once every image has loaded
# (headless browsers and tests read it).
LOAD_SCRIPT = """
<script>
(function(){var imgs=document.images,n=imgs.length,done=0,bad=0;
function mark(){document.body.setAttribute('data-images',done+'/'+n);
 if(done===n){document.body.setAttribute('data-all-loaded',bad?'false':'true');}}
function one(ok){done++;if(!ok){bad++;}mark();}
for(var i=0;i<n;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){one(true);}
 else{imgs[i].addEventListener('load',function(){one(true)});imgs[i].addEventListener('error',function(){one(false)});}}
mark();})();
</script>
"""


@dataclass(frozen=True)
class ViewConfig:
    max_episodes: int = 50     # pages for the first N episodes of the run
    replay: bool = True        # re-render views of episodes without saved frames
    frame_size: int = 128      # replay size

    def __post_init__(self) -> None:
        if self.max_episodes < 1:
            raise ValueError(f"max_episodes must be >= 1, got {self.max_episodes}")
        try:
            check_frame_size(self.frame_size)
            shows_frames = self.frame_size != 0
        except ValueError:
            shows_frames = False
        if not shows_frames:  # --size of `a2a view`: 0, which renders nothing elsewhere, is refused here
            raise ValueError(f"--size must be in [16, 1024] (the viewer shows frames), got {self.frame_size!r}")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n{LOAD_SCRIPT}</body></html>\n")


@dataclass
class Replay:
    """One episode replayed: its views (None when not rendered), what each view shows, and a note."""

    frames: np.ndarray | None
    layouts: list[dict]
    note: str = ""


class _Replayer:
    """Replays episodes' recorded actions in the core (one env, autoreset disabled): their views
    (rendered only when `render`) and each view's layout, for labels."""

    def __init__(self, run: dict, frame_size: int, render: bool):
        from ..data import load_split

        self.episodes = load_split(run["split"], run.get("dataset"))
        self.ids = self.episodes.summary()["id"]
        self.render = render
        rewards = RewardWeights(budget_delta=int(run.get("budget_delta", 0)))
        self.env = EnvConfig(frame_size=frame_size if render else 0, autoreset="disabled",
                             set_of_marks=bool(run.get("set_of_marks")), rewards=rewards).make_core(self.episodes, 1)

    def replay(self, r: EpisodeRecord) -> Replay:
        if not 0 <= r.episode_index < len(self.ids) or self.ids[r.episode_index] != r.episode_id:
            return Replay(None, [],
                          f"episode {r.episode_id} is not at index {r.episode_index} of the dataset; cannot replay")
        b = self.env.reset([0], [r.episode_index])
        frames = [np.array(b.frames[0, -1])] if self.render else []
        layouts = [self.env.view_layout(0)]
        rewards = []
        for a in r.actions:
            b = self.env.step([a])
            if self.render:
                frames.append(np.array(b.frames[0, -1]))
            layouts.append(self.env.view_layout(0))
            rewards.append(float(b.reward[0]))
        note = ("" if np.allclose(rewards, r.rewards, atol=1e-4)
                else "replayed rewards differ from the record (different core or dataset?)")
        return Replay(np.stack(frames) if self.render else None, layouts, note)


def _write_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(arr)).save(path, optimize=True)


def _label(item: dict, at: str | None, marks: bool) -> str:
    """One label over a view, placed on the item's box (fractions of the frame); "" for none. `at`:
    the receptacle the robot is at (it fills the view: its label goes in the corner)."""
    x0, y0, x1, y1 = item["box"]
    name = html.escape(item["name"])
    if item["kind"] == "held":
        return ""  # the inset is small; the line under the view names the held object
    if item["kind"] == "object":  # under the object (its mark, if any, is above it)
        number = f"{item['mark']}: " if marks and item.get("mark") else ""
        return (f'<span class="lbl" style="left:{x0 * 100:.1f}%;top:{y1 * 100:.1f}%;width:{(x1 - x0) * 100:.1f}%">'
                f"{number}{name}</span>")
    closed = "" if item.get("open", True) else " closed"
    name += " (closed)" if closed else ""
    if item["name"] == at:
        return f'<span class="lbl banner{closed}" style="left:0;top:0">{name}</span>'
    return (f'<span class="lbl{closed}" style="left:{x0 * 100:.1f}%;top:{y0 * 100:.1f}%;width:{(x1 - x0) * 100:.1f}%">'
            f"{name}</span>")


def _where(layout: dict, marks: bool) -> str:
    """Under a view: where the robot is, what it holds, and (Set-of-Marks) which object each number is."""
    e = html.escape
    parts = [f"at the {e(layout['at'])} ({e(layout['room'])})" if layout["at"] else f"in the {e(layout['room'])}"]
    held = [i for i in layout["items"] if i["kind"] == "held"]
    if held:
        parts.append(f"holding the {e(held[0]['name'])}")
    if marks:
        objs = [i for i in layout["items"] if i["kind"] == "object" and i.get("mark")]
        if objs:
            parts.append("marks: " + ", ".join(f"{i['mark']} {e(i['name'])}" for i in objs))
    return f'<div class="where">{"; ".join(parts)}</div>'


def _view_cell(src: str | None, alt: str, layout: dict | None, marks: bool) -> str:
    """A view with its labels (when there is a view) and, under it, where the robot is (when known)."""
    frame = ""
    if src is not None:
        labels = "".join(_label(i, layout["at"], marks) for i in layout["items"]) if layout else ""
        frame = f'<div class="frame"><img class="view" src="{html.escape(src)}" alt="{alt}">{labels}</div>'
    return frame + (_where(layout, marks) if layout else "")


def _episode_page(r: EpisodeRecord, run: dict, images: list[str] | None, layouts: list[dict] | None, note: str,
                  prev: str | None, next_: str | None) -> str:
    e = html.escape
    status = '<span class="ok">success</span>' if r.success else (
        '<span class="bad">failure (wrong delivery)</span>' if r.failure else '<span class="bad">no success</span>')
    nav = " | ".join(x for x in [f'<a href="{prev}">&larr; previous</a>' if prev else "",
                                 '<a href="../index.html">index</a>',
                                 f'<a href="{next_}">next &rarr;</a>' if next_ else ""] if x)
    meta = "".join(f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in [
        ("episode", e(r.episode_id)), ("agent", e(str(run.get("label") or run.get("agent")))), ("split", e(r.split)),
        ("ambiguity", e(r.ambiguity)), ("K / Q / budget", f"{r.K} / {r.Q} / {r.budget}"), ("result", status),
        ("steps", str(r.length)), ("useful questions", str(r.useful_questions)),
        ("invalid actions", str(r.invalid_actions)),
        ("total reward", f"{r.total_reward:+.2f}")])
    marks = bool(run.get("set_of_marks"))

    def view(t: int, alt: str) -> str:
        return _view_cell(images[t] if images else None, alt, layouts[t] if layouts else None, marks)

    rows = []
    model = bool(r.agent_steps)  # a model agent: its thoughts (and raw replies) beside the actions
    rows.append(f'<tr><td>0</td><td>{view(0, "start view")}</td>'
                f'<td colspan="{5 if model else 4}"><i>start</i></td></tr>')
    for t, action in enumerate(r.actions):
        img = view(t + 1, f"view after step {t + 1}")
        # per-step lists other than actions and rewards may be empty (not recorded; records.py checks the rest)
        invalid, asked = bool(r.invalid and r.invalid[t]), bool(r.asked and r.asked[t])
        cls = "invalid" if invalid else ("ask" if asked else "")
        terms = terms_text({k: v[t] for k, v in r.reward_terms.items() if v})
        answer = f'<span class="q">{e(r.answers[t])}</span>' if r.answers and r.answers[t] else ""
        why = r.invalid_reasons[t] if r.invalid_reasons else ""
        reason = f'<br><span class="bad">invalid: {e(why)}</span>' if invalid else ""
        useful = " (useful)" if r.useful and r.useful[t] else ""
        rows.append(f'<tr class="{cls}"><td>{t + 1}</td><td>{img}</td>{_model_cell(r, t) if model else ""}'
                    f'<td><code>{e(action)}</code>{reason}</td>'
                    f'<td>{answer}{useful}</td><td>{r.rewards[t]:+.2f}</td><td>{e(terms)}</td></tr>')
    warn = f'<p class="warn">{e(note)}</p>' if note else ""
    body = (f"<p>{nav}</p><h1>{e(r.episode_id)}</h1>"
            f"<p class=\"instruction\" id=\"instruction\">{e(r.instruction)}</p>{warn}"
            f"<table class=\"meta\">{meta}</table><h2>Trajectory</h2>"
            + ('<input type="checkbox" id="show-labels" checked> <label for="show-labels">label the receptacles and '
               "objects on the views</label>" if layouts and images else "")
            + f"<table id=\"steps\"><tr><th>step</th><th>view</th>{'<th>thought</th>' if model else ''}"
              "<th>action</th><th>answer</th><th>reward</th><th>terms</th></tr>"
            + "".join(rows) + "</table>")
    return _page(f"{r.episode_id} — a2a", body)


def _model_cell(r: EpisodeRecord, t: int) -> str:
    """The model's thought at step t, its raw reply when that was not an action, tokens and latency."""
    e = html.escape
    if t >= len(r.agent_steps):
        return "<td></td>"
    s = r.agent_steps[t]
    parts = [f'<span class="thought">{e(s.get("thought") or "")}</span>']
    if s.get("error"):
        parts.append(f'<br><span class="bad">{e(s["error"])}</span><br><small>raw: <code>'
                     f'{e(str(s.get("raw", ""))[:300])}</code></small>')
    if s.get("tool_calls"):
        parts.append("<br><small>tool calls: " + e(", ".join(f"{n}({a})" for n, a in s["tool_calls"])) + "</small>")
    parts.append(f'<br><small>{s.get("source", "")}: '
                 f'{s.get("prompt_tokens", 0)}+{s.get("completion_tokens", 0)} tokens, '
                 f'{float(s.get("latency_s", 0.0)):.2f} s</small>')
    return "<td>" + "".join(parts) + "</td>"


def build_view(run_dir: str | os.PathLike, out: str | os.PathLike | None = None, config: ViewConfig | None = None,
               log=print) -> Path:
    """Writes the pages; returns the path of index.html."""
    cfg = config or ViewConfig()
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    records = sorted(read_records(run_dir), key=lambda r: r.episode_index)  # the file is in completion order
    out = Path(out) if out else run_dir / "view"
    (out / "episodes").mkdir(parents=True, exist_ok=True)
    shown = records[:cfg.max_episodes]
    replayer: _Replayer | None = None
    replay_error = ""
    pages = [f"episodes/{_safe(r.episode_id)}.html" for r in shown]
    for k, r in enumerate(shown):
        frames, layouts, note = None, None, ""
        if not replay_error:  # the replay gives the labels, and the views that were not saved
            try:
                replayer = replayer or _Replayer(run, cfg.frame_size, render=cfg.replay)
                replay = replayer.replay(r)
                frames, layouts, note = replay.frames, replay.layouts or None, replay.note
            except (OSError, ValueError) as exc:
                replay_error = f"cannot load the run's dataset to replay its episodes ({exc})"
        if r.frames:
            try:
                saved = load_frames(run_dir, r.frames, r.length)
            except FileNotFoundError:  # views are the saved frames, or else replayed (docs/eval.md)
                saved = None
                missing = f"the saved views ({r.frames}) are missing" + ("; these are replayed" if frames is not None
                                                                         else "")
                note = f"{note}; {missing}" if note else missing
            if saved is not None:
                frames = saved
                if layouts is not None and len(layouts) != len(frames):
                    layouts, note = None, note or "no labels: the replay does not match the saved views"
        if frames is None:
            note = note or (f"views not available: {replay_error}" if replay_error and cfg.replay else
                            "views not saved for this episode (a2a eval --save-frames N)")
        elif layouts is None and replay_error:
            note = note or f"no labels on the views: {replay_error}"
        images = None
        if frames is not None:
            img_dir = out / "episodes" / _safe(r.episode_id)
            img_dir.mkdir(parents=True, exist_ok=True)
            images = []
            for t, f in enumerate(frames):
                _write_png(f, img_dir / f"{t:03d}.png")
                images.append(f"{_safe(r.episode_id)}/{t:03d}.png")
        prev = Path(pages[k - 1]).name if k > 0 else None
        nxt = Path(pages[k + 1]).name if k + 1 < len(pages) else None
        (out / pages[k]).write_text(_episode_page(r, run, images, layouts, note, prev, nxt), encoding="utf-8")
    e = html.escape
    rows = "".join(
        f'<tr><td><a href="{e(p)}">{e(r.episode_id)}</a></td><td>{e(r.ambiguity)}</td><td>{r.K}</td><td>{r.Q}</td>'
        f'<td>{r.length}</td><td>{"<span class=ok>yes</span>" if r.success else "<span class=bad>no</span>"}</td>'
        f"<td>{e(r.instruction)}</td></tr>" for r, p in zip(shown, pages))
    more = (f"<p>{len(records) - len(shown)} more episodes not shown (--max-episodes).</p>"
            if len(records) > len(shown) else "")
    body = (f"<h1>{e(str(run.get('label') or run['agent']))} on {e(run['split'])} "
            f"(budget δ={run.get('budget_delta')})</h1>"
            f"<p>{len(records)} episodes, {sum(r.success for r in records)} successes. Run: {e(str(run_dir))}</p>"
            "<table id=\"episodes\"><tr><th>episode</th><th>ambiguity</th><th>K</th><th>Q</th><th>steps</th>"
            "<th>success</th>"
            f"<th>instruction</th></tr>{rows}</table>{more}")
    index = out / "index.html"
    index.write_text(_page(f"a2a run {run_dir.name}", body), encoding="utf-8")
    log(f"wrote {len(shown)} episode pages to {out} (open {index})")
    return index
