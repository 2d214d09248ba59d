"""How often a cloned policy picks its expert's action on the expert's own trajectories, per action verb.

    python bench/experiments/clone_agreement.py --model RUN/policy --expert look-then-ask --episodes 40 [--out F.json]

The expert plays (non-privileged agents only); at every step the policy reads the same history (its own prompt,
built by a2a.policy.inputs, so a scene_text policy sees its scene text) and its greedy action is compared with the
expert's. Rollout SR says that a clone fails; this says at which decisions (and, of its wrong picks, how many name
an object not in the robot's view, and how many an object of another kind than the expert's pick: a "clock" for a
"hat", not a red hat for a black one). Validation split by default: a development tool, never for tuning on test
splits. `--out` also writes the counts as JSON (with the commit measured), e.g. beside the run's evaluations in
bench/results.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

from runs import measured_commit  # bench/experiments/runs.py (the script's own folder is on sys.path)

from a2a.baselines.instruction import catalog, is_form_of
from a2a.eval.registry import make_agent
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate
from a2a.policy.inputs import EnvHistories
from a2a.policy.loading import load_for_run


class Probe:
    """Plays the expert; asks the policy for its action at every step and counts the agreements."""

    privileged = False

    def __init__(self, expert, policy):
        self.expert, self.policy = expert, policy
        self.name = f"{expert.name} (probed)"
        self.frame_size = int(min(max(policy.encoder.image.size, 64), 512))  # what the policy's agent renders at
        self.histories = EnvHistories(policy)
        self.counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        self.instead: collections.Counter = collections.Counter()
        self.picks_out_of_view = 0  # wrong picks naming no object in the current view
        self.picks_other_kind = 0  # wrong picks where the expert picks too, naming another kind of object

    def reset(self, env_ids):
        self.expert.reset(env_ids)
        self.histories.reset(env_ids)

    def act(self, obs, env):
        actions = self.expert.act(obs, env)
        step = self.histories.observe(obs.env_ids.tolist(), obs.first, obs.instruction, obs.answer, obs.invalid,
                                      obs.image, env)
        guesses = self.policy.act(step.inputs, step.vocabs, sample=False).actions
        for e, a, g in zip(step.env_ids, actions, guesses):
            verb = a.partition("(")[0]
            self.counts[verb][0] += a == g
            self.counts[verb][1] += 1
            if a != g:
                self.instead[(verb, g.partition("(")[0])] += 1
                if g.startswith("pick("):
                    name = g[len("pick("):-1]  # a short form ("cup") names what it is a form of
                    self.picks_out_of_view += not any(is_form_of(name, m) for m in env.marks(e))
                    if a.startswith("pick("):
                        self.picks_other_kind += kind(name) != kind(a[len("pick("):-1])
        self.histories.record(step.env_ids, actions)
        return actions


def kind(description: str) -> str:
    """An object description's category ("teddy bear" in "large brown teddy bear")."""
    names = sorted((c["name"] for c in catalog()["categories"]), key=len, reverse=True)
    return next((n for n in names if description == n or description.endswith(" " + n)), description)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a saved policy")
    ap.add_argument("--expert", default="look-then-ask")
    ap.add_argument("--split", default="val_unseen_scenes")
    ap.add_argument("--episodes", type=int, default=40)
    ap.add_argument("--out", type=Path, help="also write the counts here as JSON")
    args = ap.parse_args()
    expert = make_agent(args.expert)
    if expert.privileged:
        raise SystemExit(f"{args.expert} is privileged: its actions follow from what the policy cannot read")
    probe = Probe(expert, load_for_run(args.model, {"device": "cpu"}))
    with tempfile.TemporaryDirectory() as out:
        evaluate(EvalConfig(agent=probe.name, split=args.split, episodes=args.episodes, out=out, bootstrap=0,
                            progress=False, runner=RunnerConfig(num_envs=8)), agent=probe, log=lambda s: None)
    print(f"{args.model}: the policy's greedy action = {args.expert}'s, on {args.episodes} {args.split} episodes")
    for verb, (same, n) in sorted(probe.counts.items()):
        print(f"  {verb:9s} {same:5d} / {n:5d} = {same / n:.2f}")
    total = sum(n for _, n in probe.counts.values())
    print(f"  all       {sum(s for s, _ in probe.counts.values()):5d} / {total:5d}")
    print("  most frequent (expert verb, policy verb) disagreements:", probe.instead.most_common(6))
    wrong_picks = sum(n for (_, g), n in probe.instead.items() if g == "pick")
    print(f"  wrong picks naming no object in view: {probe.picks_out_of_view} of {wrong_picks}")
    expert_picks = probe.instead.get(("pick", "pick"), 0)
    print(f"  picks of another kind of object than the expert's: {probe.picks_other_kind} of {expert_picks}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "commit": measured_commit(), "model": str(args.model), "expert": args.expert, "split": args.split,
            "episodes": args.episodes,
            "agreement": {v: {"same": a, "steps": n} for v, (a, n) in sorted(probe.counts.items())},
            "disagreements": {f"{e} -> {g}": n for (e, g), n in probe.instead.most_common()},
            "wrong_picks_out_of_view": probe.picks_out_of_view, "wrong_picks": wrong_picks,
            "picks_of_another_kind": probe.picks_other_kind, "picks_where_the_expert_picks_another": expert_picks},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
