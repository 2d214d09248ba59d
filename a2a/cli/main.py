"""`a2a` entry point: dispatches to the subcommand modules listed in COMMANDS.

A subcommand module defines `register(subparsers)` that adds its parser and sets
`func=run` (a callable taking the parsed args and returning an exit code). A user's mistake is
reported by raising `a2a.cli.errors.UserError`: main prints it as `a2a <command>: error: ...`.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from .errors import USER_ERROR_EXIT, UserError
from .quiet import quiet_third_party

# what the machine, not the code, refuses when writing: a full disk or quota, a read-only file system
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)

# module name -> one-line help (kept here so `a2a --help` does not import torch)
COMMANDS = {
    "generate": "generate an episode dataset",
    "render": "write the frames of an episode as PNG files",
    "eval": "evaluate an agent on a split",
    "report": "compare evaluation runs: Table-1 markdown and plots",
    "view": "static HTML pages of the episodes of a run",
    "train": "train the policy with PPO (the main job)",
    "model": "create or inspect policy checkpoints",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="a2a",
                                     description="Train and evaluate embodied agents that ask before they act.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        try:
            module = importlib.import_module(f"a2a.cli.{name}_cmd")
        except ModuleNotFoundError as e:
            if e.name != f"a2a.cli.{name}_cmd":
                raise
            continue  # command not available in this build
        module.register(sub, help_text)
    return parser


def explicit_options(argv: list[str] | None) -> set[str]:
    """The destinations the command line sets itself (argparse fills the others with defaults): the same
    parser with every default suppressed, so that only what was typed lands in the namespace."""
    parser = build_parser()

    def suppress(p: argparse.ArgumentParser) -> None:
        for action in p._actions:  # argparse has no public walk over its actions
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    suppress(sub)
            action.default = argparse.SUPPRESS
        p._defaults.clear()  # set_defaults(func=...): not typed either

    suppress(parser)
    return set(vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.explicit = explicit_options(argv)  # e.g. a resumed training run keeps the budgets it was not given
    if args.version:
        from a2a import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    quiet_third_party()
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except UserError as e:
        print(f"a2a {args.command}: error: {e}", file=sys.stderr)
        return USER_ERROR_EXIT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `a2a ... | head`: the reader has gone; no traceback, nothing more to print
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:  # an output folder that is a file, or that cannot be written, or a full disk
        if not isinstance(e, (FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError)) \
                and e.errno not in WRITE_ERRNOS:
            raise
        where = "".join(f": {f}" for f in (e.filename, e.filename2) if f)
        print(f"a2a {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        return USER_ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
