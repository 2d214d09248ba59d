"""The flags that choose who answers questions and which OpenAI-compatible endpoint serves the LLMs
(shared by `a2a eval` and `a2a train`)."""

from __future__ import annotations

USER_HELP = ("who answers questions: builtin, the core's grammar user (default); builtin-first, an LLM for the "
             "questions the grammar user does not understand; llm, an LLM for every question")


def add_llm_args(group, served: str) -> None:
    """--user, --base-url, --llm-model, --api-key-env; `served` names what the endpoint serves."""
    group.add_argument("--user", choices=("builtin", "builtin-first", "llm"), default="builtin", help=USER_HELP)
    group.add_argument("--base-url", default=None, help=f"OpenAI-compatible endpoint of {served} (e.g. http://127.0.0.1:8000/v1)")
    group.add_argument("--llm-model", default=None, help="model name at the endpoint")
    group.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
