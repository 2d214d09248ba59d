"""A scriptable fake OpenAI-compatible chat-completions server for the a2a.llm tests.

The server runs in a background thread on 127.0.0.1 (free port) and records every request it
receives (body and headers), the number of requests and the maximum number in flight at once.
Behaviour per request comes from ``server.script`` (a queue of actions consumed in arrival order)
and then ``server.default`` (a callable ``body -> action``). The default answers are derived from
the request contents: the fake judge says a question is useful iff it mentions the first word of
the target ("red" for "red cup"); the fake user echoes the question and the target.
"""
from __future__ import annotations

import collections
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

TEST_KEY_ENV = "A2A_TEST_LLM_KEY"
TEST_KEY = "sk-test-SECRET-0123456789abcdef"


# ---------------------------------------------------------------- actions the server can take
@dataclass
class Reply:
    """A normal 200 chat completion whose message content is ``content``."""

    content: str | None
    delay_s: float = 0.0
    finish_reason: str = "stop"
    tool_calls: list[tuple[str, str]] | None = None  # (function name, arguments JSON text)
    usage: tuple[int, int] = (11, 3)                # (prompt, completion) tokens reported


@dataclass
class Status:
    """An HTTP error status with an OpenAI-style error body."""

    code: int
    message: str = "error"
    delay_s: float = 0.0
    headers: dict[str, str] | None = None


@dataclass
class Raw:
    """A 200 response with an arbitrary (e.g. malformed JSON) body."""

    body: bytes
    content_type: str = "application/json"


@dataclass
class Drip:
    """A 200 response whose body trickles out one byte per ``interval_s`` (defeats read timeouts)."""

    interval_s: float = 0.1


@dataclass
class Sleep:
    """Sleep (interruptibly) then answer with ``then``."""

    seconds: float
    then: Any = None


# ---------------------------------------------------------------- default, content-derived answers
_TARGET_RE = re.compile(r"^Target object: (.*)$", re.M)
_QUESTION_RE = re.compile(r"^(?:New question|The robot asks): (.*)$", re.M)


def fake_judge_useful(target: str, question: str) -> bool:
    """The fake judge's rule: useful iff the question mentions the target's first word."""
    return target.split()[0].lower() in question.lower()


def fake_user_answer(target: str, question: str) -> str:
    return f"About '{question}': I want the {target}."


def message_text(message: dict) -> str:
    """The text of a chat message (its text parts when the content is a list of parts)."""
    content = message.get("content", "")
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content or ""


def default_responder(body: dict) -> Any:
    messages = body.get("messages", [])
    system = " ".join(message_text(m) for m in messages if m.get("role") == "system")
    text = message_text(messages[-1]) if messages else ""
    target = _TARGET_RE.search(text)
    question = _QUESTION_RE.search(text)
    if not (target and question):
        return Reply("hello from the fake server")
    target_s, question_s = target.group(1).strip(), question.group(1).strip()
    if "judge" in system.lower():
        useful = fake_judge_useful(target_s, question_s)
        return Reply(json.dumps({"useful": useful, "reason": f"fake rule on {target_s!r}"}))
    return Reply(fake_user_answer(target_s, question_s))


# ---------------------------------------------------------------- the server
class FakeOpenAIServer:
    def __init__(self) -> None:
        self.script: collections.deque[Any] = collections.deque()
        self.default: Callable[[dict], Any] = default_responder
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_s = 0.0  # extra delay for every request (concurrency tests)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "created": 0, "owned_by": "test"}]}).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_unparseable": raw.decode("utf-8", "replace")}
                with outer._lock:
                    outer.bodies.append(body)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    action = outer.script.popleft() if outer.script else None
                try:
                    if action is None:
                        action = outer.default(body)
                    if outer.hold_s:
                        outer._stop.wait(outer.hold_s)
                    self._act(action, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to do
                finally:
                    with outer._lock:
                        outer.in_flight -= 1

            def _act(self, action: Any, body: dict) -> None:
                if isinstance(action, Sleep):
                    outer._stop.wait(action.seconds)
                    self._act(action.then if action.then is not None else outer.default(body), body)
                elif isinstance(action, Reply):
                    if action.delay_s:
                        outer._stop.wait(action.delay_s)
                    message: dict[str, Any] = {"role": "assistant", "content": action.content}
                    if action.tool_calls:
                        message["tool_calls"] = [{"id": f"call_{i}", "type": "function",
                                                  "function": {"name": n, "arguments": a}}
                                                 for i, (n, a) in enumerate(action.tool_calls)]
                    pt, ct = action.usage
                    payload = {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                        "model": body.get("model", "fake-model"),
                        "choices": [{"index": 0, "finish_reason": action.finish_reason, "message": message}],
                        "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
                    }
                    self._send(200, json.dumps(payload).encode())
                elif isinstance(action, Status):
                    if action.delay_s:
                        outer._stop.wait(action.delay_s)
                    err = {"error": {"message": action.message, "type": "fake", "code": action.code}}
                    self._send(action.code, json.dumps(err).encode(), action.headers)
                elif isinstance(action, Drip):
                    data = json.dumps({"choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant", "content": "slow"}}]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    for i in range(len(data)):
                        if outer._stop.wait(action.interval_s):
                            return
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                elif isinstance(action, Raw):
                    self._send(200, action.body, content_type=action.content_type)
                else:  # pragma: no cover - test bug
                    raise TypeError(f"unknown action {action!r}")

            def _send(self, code: int, data: bytes, headers: dict[str, str] | None = None,
                      content_type: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.bodies)

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
