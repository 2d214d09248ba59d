"""Keeping secrets and huge replies out of log lines and error messages.

Servers echo parts of an API key back ("Incorrect API key provided: sk-proj-****abcd"), so removing
the whole key is not enough: every run of `MIN_FRAGMENT` or more characters of the key is masked.
Text from a server is also cut to `max_chars`: a log line is no place for a 1 MB reply.
"""
from __future__ import annotations

MIN_FRAGMENT = 4
MAX_CHARS = 500


def redact(text: str, secret: str | None, max_chars: int = MAX_CHARS) -> str:
    """`text` cut to `max_chars` (a marker says how much was cut), with every fragment of `secret`
    of at least MIN_FRAGMENT characters replaced by '***'."""
    if len(text) > max_chars:
        text = f"{text[:max_chars]}... [{len(text) - max_chars} more characters]"
    if not secret or len(secret) < MIN_FRAGMENT:
        return text
    grams = {secret[i:i + MIN_FRAGMENT] for i in range(len(secret) - MIN_FRAGMENT + 1)}
    out, i = [], 0
    while i < len(text):
        if text[i:i + MIN_FRAGMENT] in grams:
            j = i + MIN_FRAGMENT  # extend while the run is still a substring of the secret
            while j < len(text) and text[i:j + 1] in secret:
                j += 1
            out.append("***")
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
