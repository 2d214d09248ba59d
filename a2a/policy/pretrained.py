"""The tiny policy a2a ships, and the recipe that makes it.

The paper's MLLM starts from pretraining; a tiny CPU model has none, and from random weights it needs
far more than the main job's few minutes to learn to read an instruction and copy a receptacle's name
out of an answer. So a2a ships a start made offline by behavior cloning (the paper's SFT) of the
non-privileged scripted agent greedy-explore, and `a2a train` with no arguments continues from it.
What the start already knows is measured when it is made (PRETRAINING.json, shown by `a2a model info`)
and again by every main job, on the same episodes as the trained policy.

`a2a model pretrain-tiny DIR` runs the recipe (`pretrain_tiny`); the shipped copy in
a2a/pretrained/tiny/ is its output. The directory is a saved policy (a2a_policy.json,
trainable.safetensors) over its own base checkpoint (base/, the random tiny model it started from:
the frozen vision tower and projector come from there), and PRETRAINING.json with the command, the
commit, the training counters and the start's own evaluation.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED_TINY = Path(__file__).resolve().parents[1] / "pretrained" / "tiny"
# The default-benchmark recipe's cloned policy (bench/experiments/default_benchmark.py), shipped so that a user can
# evaluate a trained agent without training one; its PRETRAINING.json says how it was made and chosen.
SHIPPED_RECIPE = SHIPPED_TINY.parent / "tiny-recipe"
PRETRAINING_FILE = "PRETRAINING.json"


def shipped_hint(path: str | Path) -> str:
    """"; the policy shipped with a2a is <where the package has it>" when `path` is the README's clone-relative
    path of a shipped policy (a2a/pretrained/NAME) and does not exist here (e.g. a pip install); else ""."""
    parts = Path(path).parts
    if len(parts) >= 3 and parts[-3:-1] == ("a2a", "pretrained"):
        shipped = SHIPPED_TINY.parent / parts[-1]
        if (shipped / "a2a_policy.json").is_file():
            return f"; the policy shipped with a2a is {shipped}"
    return ""


def shipped_tiny() -> Path:
    """The directory of the shipped tiny policy (a saved policy, loadable by A2APolicy.from_pretrained)."""
    if not (SHIPPED_TINY / "a2a_policy.json").is_file():
        raise FileNotFoundError(f"the shipped tiny policy is missing from {SHIPPED_TINY} (a broken install?); "
                                "build one with `a2a model pretrain-tiny DIR` and pass --model DIR")
    return SHIPPED_TINY


def export_policy(policy_dir: str | Path, out: str | Path) -> Path:
    """Copies a saved policy (a run's `policy/`, whose a2a_policy.json names its base checkpoint by path or model
    id) and that base checkpoint into `out`: a self-contained directory (base/ inside) to move or share. `out`
    must not exist, or be empty. Written in a hidden sibling folder and renamed into place: a failed export leaves
    nothing behind. Files get the default permissions (a run's are private)."""
    from .folders import built_aside
    from .loading import POLICY_FILE, base_of, check_model_path

    src, out = Path(policy_dir), Path(out)
    meta_file = src / POLICY_FILE
    if not meta_file.is_file():
        raise FileNotFoundError(f"{src}: no {POLICY_FILE} (not a saved policy; a training run writes one in policy/)")
    try:
        meta = json.loads(meta_file.read_text())
        base = base_of(src, meta)
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{meta_file}: not a saved policy's description (no base_model)") from None
    try:
        base_dir = Path(check_model_path(base))
    except ValueError as e:  # ModelPathError: no such directory, not in the local cache
        raise FileNotFoundError(f"{src}: its base checkpoint is missing: {e}") from None
    if not base_dir.is_dir():  # a Hugging Face model id in the local cache: its snapshot folder
        from huggingface_hub import try_to_load_from_cache

        base_dir = Path(str(try_to_load_from_cache(base, "config.json"))).parent
    if not (base_dir / "config.json").is_file():
        raise FileNotFoundError(f"{src}: its base checkpoint {base_dir} has no config.json")
    with built_aside(out) as tmp:
        shutil.copytree(base_dir, tmp / "base", copy_function=shutil.copyfile)  # the cache's links resolved
        for f in src.iterdir():
            if f.is_file() and f.name != POLICY_FILE:
                shutil.copyfile(f, tmp / f.name)
        (tmp / POLICY_FILE).write_text(json.dumps({**meta, "base_model": "base"}, indent=2, sort_keys=True))
    return out


def pretraining_record(path: str | Path) -> dict | None:
    f = Path(path) / PRETRAINING_FILE
    return json.loads(f.read_text()) if f.is_file() else None


@dataclass(frozen=True)
class PretrainConfig:
    out: str
    updates: int = field(default=300, metadata={"help": "behavior-cloning updates (16 envs x 32 steps each)"})
    preset: str = field(default="default", metadata={
        "help": "the data it learns on: the built-in dataset (default) or a preset of `a2a generate` (easy)"})
    expert: str = field(default="greedy-explore", metadata={"help": "the agent imitated"})
    lr: float = field(default=1e-3, metadata={"help": "learning rate"})
    seed: int = field(default=0, metadata={"help": "seed of the model, the data and the training"})
    eval_episodes: int = field(default=200, metadata={"help": "val_unseen_scenes episodes of its own evaluation"})

    def __post_init__(self) -> None:  # named as the flags of `a2a model pretrain-tiny`
        from ..rl.sft import make_expert_agent

        for flag, value, lo in (("--updates", self.updates, 1), ("--eval-episodes", self.eval_episodes, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ValueError(f"{flag} must be an integer >= {lo}, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"--lr must be > 0, got {self.lr!r}")
        make_expert_agent(self.expert, "--expert")


def pretrain_tiny(cfg: PretrainConfig, command: str = "", progress: bool = True) -> Path:
    """Builds a random tiny model, clones `cfg.expert` on the chosen data for `cfg.updates` updates,
    evaluates it on val_unseen_scenes of the built-in dataset and writes the self-contained policy
    directory `cfg.out`."""
    from ..data import generate_dataset
    from ..data.dataset import PRESETS, SPLITS
    from ..eval.run_dir import git_commit
    from ..rl.config import PPOConfig, TrainConfig
    from ..rl.trainer import ResumeConflict, train

    out = Path(cfg.out)
    work = out.parent / f".{out.name}.work"  # the run and its data, beside the output, removed at the end
    dataset = None
    if cfg.preset != "default":
        if cfg.preset not in PRESETS:
            raise ValueError(f"unknown preset {cfg.preset!r}; expected default or one of {sorted(PRESETS)}")
        dataset = str(work / "data")
        if not (work / "data" / "manifest.json").exists():
            generate_dataset(work / "data", {s: (3000 if s == "train" else 0) for s in SPLITS}, seed=cfg.seed,
                             train_scenes=500, preset=cfg.preset, progress=progress)
    t0 = time.time()
    run_cfg = TrainConfig(run_dir=str(work / "run"), model=None, from_scratch=True, dataset=dataset,
                          sft_updates=cfg.updates, sft_minutes=None, minutes=None, sft_lr=cfg.lr, sft_perturb=0.0,
                          sft_expert=cfg.expert, ppo=PPOConfig(updates=0), compare=False, eval_episodes=0,
                          tensorboard=False, seed=cfg.seed, progress=progress, policy={"finetune_llm": True})
    try:
        run = train(run_cfg)
    except ResumeConflict:  # a killed earlier call with other settings left its run: continuing it would mix them
        raise ValueError(f"{work} holds an unfinished pretrain-tiny run with other settings; remove it to start "
                         "over") from None
    hours = (time.time() - t0) / 3600
    if out.exists():  # a previous output of this recipe: replaced
        for p in out.iterdir():
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    export_policy(run.policy_dir, out)
    summary = _evaluate(out, work, cfg)
    record = {
        "what": f"behavior cloning of {cfg.expert} on the {cfg.preset} dataset's train split, from a random tiny "
                "model; no PPO", "command": command, "commit": git_commit() or "unknown", "config": cfg.__dict__,
        "updates": run.updates, "env_steps": run.env_steps, "cpu_hours": round(hours, 3),
        "eval": {"split": "val_unseen_scenes", "dataset": "built-in", "episodes": cfg.eval_episodes, **summary},
    }
    (out / PRETRAINING_FILE).write_text(json.dumps(record, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return out


def _evaluate(path: Path, work: Path, cfg: PretrainConfig) -> dict:
    """The start's own greedy evaluation on val_unseen_scenes of the built-in dataset (the main job's)."""
    from ..rl.comparison import evaluate_policy, metric
    from ..rl.config import TrainConfig
    from .loading import load_policy

    policy = load_policy(path, device="cpu")
    summary = evaluate_policy(policy, TrainConfig(run_dir=str(work), eval_episodes=cfg.eval_episodes,
                                                  progress=False),
                              work / "eval", 0, label="pretrained tiny")
    return {k: metric(summary, k) for k in ("SR", "ARS", "QR")}
