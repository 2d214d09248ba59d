"""Writes a replayable trace of the env bench's actions for the C++ profiler (replay.cpp):
the episode set (jsonl) and, per step, one action per env drawn from its current scene by
scene_actions.py — exactly what bench/test_env_throughput.py steps.

    python bench/profile/write_trace.py OUT_DIR --num-envs 256 --steps 200 [--rerender]

Frames do not change what happens, so the trace is taken without rendering and replays at any size.
OUT_DIR gets episodes.jsonl, actions.txt (num_envs lines per step) and expected.txt (invalid steps),
which replay.cpp checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: scene_actions
from scene_actions import SceneActions, SceneTables  # noqa: E402

from a2a import _core  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--num-envs", type=int, default=256)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--episodes", type=int, default=512)
    p.add_argument("--rerender", action="store_true", help="every step navigates to another receptacle")
    a = p.parse_args()
    episodes = _core.EpisodeSet.generate("train", a.episodes, seed=0)
    env = _core.BatchedEnv(episodes, num_envs=a.num_envs, width=0, height=0, num_threads=1)
    actions = SceneActions(SceneTables(episodes), a.num_envs, seed=0, rerender=a.rerender)
    actions.start(env.reset())
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "episodes.jsonl").write_bytes(episodes.to_jsonl())
    with open(a.out / "actions.txt", "wb") as f:
        for _ in range(a.steps):
            drawn = actions.draw()
            f.write(b"\n".join(drawn) + b"\n")
            actions.observe(env.step(drawn))
    (a.out / "expected.txt").write_text(f"{actions.invalid}\n")
    print(f"{a.steps} steps x {a.num_envs} envs: {actions.invalid_share:.1%} invalid, "
          f"{actions.rerender_share:.1%} re-render -> {a.out}")


if __name__ == "__main__":
    main()
