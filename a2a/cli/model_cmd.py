"""`a2a model`: create or inspect policy checkpoints.

    a2a model init-tiny DIR      a tiny LLaVA-OneVision-architecture checkpoint (random weights,
                                 tokenizer trained offline on the task's text) for tests and demos
    a2a model pretrain-tiny DIR  the tiny policy a2a ships: behavior cloning of greedy-explore from a random
                                 tiny model (the recipe of a2a/pretrained/tiny, see a2a/policy/pretrained.py)
    a2a model info DIR           what a checkpoint (or a saved policy) holds and how the policy sees it
    a2a model export POLICY OUT  a self-contained copy of a saved policy (e.g. runs/<run>/policy) with its
                                 base checkpoint inside, to move or share
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from .errors import UserError


def register(sub, help_text: str) -> None:
    p = sub.add_parser("model", help=help_text, description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    msub = p.add_subparsers(dest="model_command", metavar="SUBCOMMAND")

    t = msub.add_parser("init-tiny", help="build a tiny LLaVA-OneVision-architecture checkpoint in DIR")
    t.add_argument("out_dir")
    t.add_argument("--image-size", type=int, default=128, help="vision tower input size = env frame size (default 128)")
    t.add_argument("--patch-size", type=int, default=16)
    t.add_argument("--hidden", type=int, default=64, help="LLM hidden size")
    t.add_argument("--layers", type=int, default=2, help="LLM layers")
    t.add_argument("--heads", type=int, default=4)
    t.add_argument("--kv-heads", type=int, default=2)
    t.add_argument("--vision-hidden", type=int, default=64)
    t.add_argument("--vision-layers", type=int, default=2)
    t.add_argument("--vocab-size", type=int, default=1024, help="BPE vocabulary size (upper bound)")
    t.add_argument("--scenes", type=int, default=6, help="generated scenes whose actions train the tokenizer")
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=run_init_tiny)

    pt = msub.add_parser("pretrain-tiny",
                         help="make the tiny start a2a ships (behavior cloning, minutes to hours of CPU)")
    pt.add_argument("out_dir")
    from ..policy.pretrained import PretrainConfig
    from .config_args import add_config_args

    add_config_args(pt, PretrainConfig, skip=("out",))
    pt.set_defaults(func=run_pretrain_tiny)

    i = msub.add_parser("info", help="describe a checkpoint or a saved policy")
    i.add_argument("path")
    i.add_argument("--load", action="store_true",
                   help="also load it as a policy (reports parameters, memory, attention)")
    i.add_argument("--quantization", default="none", choices=("none", "nf4"))
    i.add_argument("--compression", default="resampler", choices=("resampler", "pool"))
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=run_info)

    e = msub.add_parser("export", help="copy a saved policy and its base checkpoint into one directory")
    e.add_argument("policy", help="a saved policy directory (a training run's policy/)")
    e.add_argument("out_dir", help="a new (or empty) directory")
    e.set_defaults(func=run_export)

    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run_init_tiny(args: argparse.Namespace) -> int:
    from a2a.policy.folders import require_new_folder
    from a2a.policy.tiny import TinySpec, init_tiny

    try:
        require_new_folder(Path(args.out_dir))  # before the tokenizer's training, not after it
    except FileExistsError as e:
        raise UserError(str(e)) from None
    try:
        spec = TinySpec(image_size=args.image_size, patch_size=args.patch_size, hidden=args.hidden,
                        layers=args.layers, heads=args.heads, kv_heads=args.kv_heads, intermediate=2 * args.hidden,
                        vision_hidden=args.vision_hidden, vision_layers=args.vision_layers,
                        vocab_size=args.vocab_size, scenes=args.scenes, seed=args.seed)
    except ValueError as e:
        raise UserError(str(e)) from None
    try:
        out = init_tiny(args.out_dir, spec)
    except OSError as e:  # filled meanwhile, no permission, a full disk
        raise UserError(str(e)) from None
    print(f"tiny LLaVA-OneVision checkpoint written to {out}")
    return 0


def run_pretrain_tiny(args: argparse.Namespace) -> int:
    import sys

    from ..cli.config_args import config_values
    from ..policy.pretrained import PretrainConfig, pretrain_tiny

    try:
        cfg = PretrainConfig(out=args.out_dir, **config_values(args, PretrainConfig))
        out = pretrain_tiny(cfg, command="a2a " + " ".join(sys.argv[1:]))
    except (ValueError, FileNotFoundError) as e:
        raise UserError(str(e)) from None
    rec = json.loads((out / "PRETRAINING.json").read_text())
    ev = rec["eval"]
    print(f"tiny policy written to {out}: {rec['updates']} updates, {rec['env_steps']} env steps, "
          f"{rec['cpu_hours']:.2f} h; val_unseen_scenes SR {ev['SR']:.2f}, ARS {ev['ARS']:.2f}, QR {ev['QR']:.2f}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..policy.pretrained import export_policy

    try:
        out = export_policy(args.policy, args.out_dir)
    except (OSError, ValueError) as e:  # a missing base, a folder with files, no permission, a full disk
        raise UserError(str(e)) from None
    print(f"policy written to {out} (a2a eval --agent mllm --model {shlex.quote(str(out))} ...)")
    return 0


def _json_object(path: Path) -> dict:
    """A JSON object file of a checkpoint; UserError naming the file when it is not one."""
    try:
        value = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise UserError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def _checkpoint_info(path: str) -> dict:
    d = Path(path)
    info: dict = {"path": str(d)}
    saved = d / "a2a_policy.json"
    if saved.is_file():
        meta = _json_object(saved)
        info["saved_policy"] = {"base_model": meta.get("base_model"), "config": meta.get("config"),
                                "tokens_per_frame": meta.get("tokens_per_frame"),
                                "trainable_tensors": len(meta.get("parameters", {}))}
        from ..policy.loading import base_of

        d = Path(base_of(d, {"base_model": "", **meta}))
        info["base_model"] = str(d)
        pre = d.parent / "PRETRAINING.json" if d.name == "base" else None
        if pre is not None and pre.is_file():  # how a shipped/pretrained start was made, and what it knows
            info["pretraining"] = json.loads(pre.read_text())
    cfg_file = d / "config.json"
    if cfg_file.is_file():
        cfg = _json_object(cfg_file)
        vc, tc = cfg.get("vision_config", {}), cfg.get("text_config", {})
        img, patch = vc.get("image_size"), vc.get("patch_size")
        grid = img // patch if img and patch else None
        info["model"] = {
            "model_type": cfg.get("model_type"),
            "vision": {k: vc.get(k) for k in ("model_type", "hidden_size", "num_hidden_layers", "image_size",
                                              "patch_size")},
            "text": {k: tc.get(k) for k in ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                             "num_key_value_heads", "vocab_size")},
            "patch_grid": grid,
            "tokens_per_frame_llava_ov_video": (-(-grid // 2)) ** 2 if grid else None,
        }
    tiny = d / "a2a_tiny.json"
    if tiny.is_file():
        info["tiny_spec"] = json.loads(tiny.read_text()).get("spec")
    return info


def run_info(args: argparse.Namespace) -> int:
    info = _checkpoint_info(args.path)
    if "model" not in info and "saved_policy" not in info:
        from a2a.policy.pretrained import shipped_hint

        raise UserError(f"{args.path}: no config.json or a2a_policy.json (not a checkpoint){shipped_hint(args.path)}")
    if args.load:
        from a2a.policy import A2APolicy, PolicyConfig

        try:  # (a folder without weights, a saved policy whose base has gone: ModelPathError, one line)
            if "saved_policy" in info:
                policy = A2APolicy.from_pretrained(args.path)
            else:
                policy = A2APolicy.from_pretrained(args.path, PolicyConfig(quantization=args.quantization,
                                                                          compression=args.compression))
        except ValueError as e:
            raise UserError(str(e)) from None
        info["policy"] = policy.describe()
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    _print_tree(info)
    return 0


def _print_tree(d: dict, indent: int = 0) -> None:
    for k, v in d.items():
        if isinstance(v, dict):
            print(" " * indent + f"{k}:")
            _print_tree(v, indent + 2)
        else:
            print(" " * indent + f"{k}: {v}")
