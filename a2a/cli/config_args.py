"""Command-line flags derived from config dataclasses: each setting has one default and one help
text, written on its dataclass field (`field(default=..., metadata={"help": ...})`); the CLI only
adds the flags and reads them back."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any


def _none_or(parse):
    def convert(text: str):
        return None if text.lower() in ("none", "off") else parse(text)

    convert.__name__ = parse.__name__
    return convert


def _auto_bool(text: str) -> bool | None:
    t = text.lower()
    if t in ("auto", "none"):
        return None
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected auto, true or false, got {text!r}")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def add_config_args(group, cls, *, only: tuple[str, ...] | None = None, skip: tuple[str, ...] = (),
                    prefix: str = "") -> None:
    """One flag per field of `cls` that has a help text (`--<prefix><name>` with dashes): the fields
    named in `only` (in that order), or all but those in `skip`."""
    hints = typing.get_type_hints(cls)
    by_name = {f.name: f for f in dataclasses.fields(cls)}
    chosen = [by_name[n] for n in only] if only is not None else [f for f in by_name.values() if f.name not in skip]
    for f in chosen:
        if "help" not in f.metadata:
            continue
        typ = hints[f.name]
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        optional = type(None) in typing.get_args(typ)
        base = args[0] if optional and len(args) == 1 else typ
        default = _default(f)
        shown = "auto" if optional and base is bool and default is None else default
        # None: the help text says what the default is
        text = f.metadata["help"] if shown is None else f"{f.metadata['help']} (default: {shown})"
        kw: dict[str, Any] = {"dest": prefix + f.name, "default": default, "help": text.replace("%", "%%")}
        if "metavar" in f.metadata:
            kw["metavar"] = f.metadata["metavar"]
        if base is bool and not optional:
            kw["action"] = argparse.BooleanOptionalAction
        elif base is bool:
            kw.update(type=_auto_bool, metavar="{auto,true,false}")
        else:
            kw["type"] = _none_or(base) if optional else base
            if "choices" in f.metadata:
                kw["choices"] = f.metadata["choices"]
        group.add_argument("--" + (prefix + f.name).replace("_", "-"), *f.metadata.get("flags", ()), **kw)


def config_values(args: argparse.Namespace, cls, *, prefix: str = "") -> dict[str, Any]:
    """The values of `cls`'s flags in `args` (fields without a flag are left out)."""
    return {f.name: getattr(args, prefix + f.name) for f in dataclasses.fields(cls) if hasattr(args, prefix + f.name)}
