"""The flags that choose who answers questions and which OpenAI-compatible endpoint serves the LLMs
(shared by `a2a eval` and `a2a train`)."""

from __future__ import annotations

USER_HELP = ("who answers questions: builtin, the core's grammar user (default); builtin-first, an LLM for the "
             "questions the grammar user does not understand; llm, an LLM for every question")


def add_llm_args(group, served: str, judge: bool = False) -> None:
    """--user and the endpoint flags; `served` names what the endpoint serves; `judge`: the command
    has an LLM judge (--llm-json-mode)."""
    group.add_argument("--user", choices=("builtin", "builtin-first", "llm"), default="builtin", help=USER_HELP)
    group.add_argument("--base-url", default=None,
                       help=f"OpenAI-compatible endpoint of {served} (e.g. http://127.0.0.1:8000/v1)")
    group.add_argument("--llm-model", default=None, help="model name at the endpoint")
    group.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    group.add_argument("--llm-timeout", type=float, default=30.0, metavar="S",
                       help="seconds per HTTP attempt (default 30; a single-slot CPU server needs minutes, see "
                            "docs/llm.md)")
    group.add_argument("--llm-concurrency", type=int, default=32, metavar="N",
                       help="HTTP requests in flight at most (default 32; 1 for a single-slot server, 64+ for vLLM)")
    if judge:
        group.add_argument("--llm-json-mode", choices=("on", "off"), default="on",
                           help="ask the LLM judge for JSON (response_format); off for servers that reject it")


def llm_endpoint_kwargs(args) -> dict:
    """The UserSpec endpoint fields from the parsed flags."""
    return {"base_url": args.base_url, "model": args.llm_model, "api_key_env": args.api_key_env,
            "timeout_s": args.llm_timeout, "concurrency": args.llm_concurrency}
