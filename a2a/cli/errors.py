"""How every `a2a` subcommand reports a user's mistake: raise `UserError`; `a2a.cli.main` prints
`a2a <command>: error: <message>` (one line, no traceback, like argparse's own errors) and exits 2."""

from __future__ import annotations

USER_ERROR_EXIT = 2  # what argparse exits with for a bad command line


class UserError(Exception):
    """A mistake in what the user asked for (a bad split, a missing directory, an index out of range)."""
