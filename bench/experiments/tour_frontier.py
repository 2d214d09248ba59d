"""Where look-then-ask's navigations go, read against the scene text a scene_text policy sees (a2a.policy.scene).

    python bench/experiments/tour_frontier.py --episodes 100 [--split val_unseen_scenes] [--out F.json]

A clone learns the script's tour from the text's `Not visited:` list, so a navigation the text does not predict is
one the clone cannot copy. The script plays; beside it the scene text is replayed from its actions and views, and
each navigation is counted as: to the first place not visited, to another place not visited, while holding (the
goal), or to a place seen before. Validation split by default: a development tool.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

from runs import measured_commit  # bench/experiments/runs.py (the script's own folder is on sys.path)

from a2a.eval.registry import make_agent
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate
from a2a.policy.scene import SceneReplay, SceneText


class TourProbe:
    """Plays the expert and replays each env's scene text beside it."""

    privileged = False
    frame_size = 64

    def __init__(self, expert):
        self.expert = expert
        self.name = f"{expert.name} (tour probe)"
        self.replay = SceneReplay()
        self.counts: collections.Counter = collections.Counter()

    def reset(self, env_ids):
        self.expert.reset(env_ids)

    def act(self, obs, env):
        actions = self.expert.act(obs, env)
        for scene, action in zip(self.replay.step(obs, env, actions), actions):
            if action.startswith("navigate("):
                self.counts[self.kind(scene, action[len("navigate("):-1])] += 1
        return actions

    @staticmethod
    def kind(scene: SceneText, place: str) -> str:
        frontier = [p for p in scene.places if p not in scene.visited]
        if frontier and place == frontier[0]:
            return "first not visited"
        if scene.holding:
            return "holding (to the goal)"
        if any(place in seen for seen in scene.seen_at.values()):
            return "to a place seen before"
        return "another not visited" if place in frontier else "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--expert", default="look-then-ask")
    ap.add_argument("--split", default="val_unseen_scenes")
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--out", type=Path, help="also write the counts here as JSON")
    args = ap.parse_args()
    probe = TourProbe(make_agent(args.expert))
    with tempfile.TemporaryDirectory() as out:
        evaluate(EvalConfig(agent=probe.name, split=args.split, episodes=args.episodes, out=out, bootstrap=0,
                            progress=False, runner=RunnerConfig(num_envs=8)), agent=probe, log=lambda s: None)
    total = sum(probe.counts.values())
    print(f"{args.expert}'s {total} navigations on {args.episodes} {args.split} episodes, against the scene text:")
    for kind, n in probe.counts.most_common():
        print(f"  {kind:24s} {n:5d}  {n / total:.0%}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"commit": measured_commit(), "expert": args.expert, "split": args.split,
                                        "episodes": args.episodes, "navigations": total,
                                        "counts": dict(probe.counts.most_common())}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
