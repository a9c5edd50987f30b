"""A model server for tests: speaks Ollama's API and OpenAI's chat completions on loopback.

It answers from fixtures keyed by the request: an `Answer` whose `contains` occurs in the
request's last user message (and whose `model` matches, if given) replies with its `replies` in
order, the last one again for every further call — so a first reply that does not fit the schema
and a second that does is a validation re-ask. A reply is a JSON value (sent as the tool call's
arguments when the request offers tools, else as the message content), a `Raw` string sent
as it is, or a function of the request's page text that returns one of those. The answer is
shaped the way the request asked: tool calls, JSON mode (`response_format`) or plain content;
usage counts a token per four characters.

Ollama's native `/api/show` and `/api/tags` know the `pulled` models; a model not pulled is the
404 a real Ollama gives, on both APIs. Every request is kept in `requests` for assertions.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Raw:
    """A reply sent verbatim, e.g. text that is not JSON."""

    text: str


@dataclass
class Answer:
    contains: str
    replies: list[Any]
    model: str | None = None
    calls: int = 0


@dataclass
class ModelServer:
    """Start with `start()`; `url` is the base (OpenAI clients add `/v1`)."""

    answers: list[Answer] = field(default_factory=list)
    pulled: set[str] = field(default_factory=lambda: {"llama3.2", "gpt-test"})
    context_length: int = 8192
    api_key: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, contains: str, *replies: Any, model: str | None = None) -> Answer:
        found = Answer(contains, list(replies), model)
        self.answers.append(found)
        return found

    def start(self) -> ModelServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/api/tags":
                    self._send(200, {"models": [{"name": m, "model": m} for m in owner.pulled]})
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                owner.requests.append({"path": self.path, "headers": dict(self.headers), **body})
                if self.path == "/api/show":
                    self._show(body)
                elif self.path == "/v1/chat/completions":
                    self._chat(body)
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def _show(self, body: dict[str, Any]) -> None:
                name = str(body.get("model", ""))
                if name.removesuffix(":latest") not in owner.pulled:
                    self._send(404, {"error": f"model '{name}' not found"})
                    return
                info = {"general.architecture": "llama", "llama.context_length": 131072}
                self._send(
                    200,
                    {
                        "modelfile": f"FROM {name}",
                        "parameters": f"num_ctx {owner.context_length}",
                        "details": {"family": "llama", "parameter_size": "3B"},
                        "model_info": info,
                    },
                )

            def _chat(self, body: dict[str, Any]) -> None:
                if owner.api_key and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
                    error = {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                    }
                    self._send(401, {"error": {**error, "code": "invalid_api_key"}})
                    return
                model = str(body.get("model", ""))
                if model not in owner.pulled:
                    message = f'model "{model}" not found, try pulling it first'
                    self._send(404, {"error": {"message": message, "type": "api_error"}})
                    return
                messages = body.get("messages", [])
                prompt = "".join(_text(m) for m in messages)
                users = [_text(m) for m in messages if m.get("role") == "user"]
                if len(prompt) // 4 > owner.context_length:
                    message = (
                        f"This model's maximum context length is {owner.context_length} tokens. "
                        f"However, your messages resulted in {len(prompt) // 4} tokens."
                    )
                    error = {"message": message, "code": "context_length_exceeded"}
                    self._send(400, {"error": {**error, "type": "invalid_request_error"}})
                    return
                # the first user message is the page; later ones are re-asks
                found = next(
                    (
                        a
                        for a in owner.answers
                        if users
                        and a.contains in users[0]
                        and (a.model is None or a.model == model)
                    ),
                    None,
                )
                if found is None:
                    error = {"message": "no fixture answers this request", "type": "api_error"}
                    self._send(500, {"error": error})
                    return
                reply = found.replies[min(found.calls, len(found.replies) - 1)]
                found.calls += 1
                if callable(reply):  # a reader of the page, standing in for the model
                    reply = reply(users[0])
                text = reply.text if isinstance(reply, Raw) else json.dumps(reply)
                message_out: dict[str, Any] = {"role": "assistant", "content": text}
                finish = "stop"
                if body.get("tools"):
                    name = body["tools"][0]["function"]["name"]
                    call = {"id": "call_1", "type": "function"}
                    call["function"] = {"name": name, "arguments": text}  # type: ignore[assignment]
                    message_out = {"role": "assistant", "content": None, "tool_calls": [call]}
                    finish = "tool_calls"
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(owner.requests)}",
                        "object": "chat.completion",
                        "created": 1_700_000_000,
                        "model": model,
                        "choices": [{"index": 0, "message": message_out, "finish_reason": finish}],
                        "usage": {
                            "prompt_tokens": len(prompt) // 4,
                            "completion_tokens": len(text) // 4 + 1,
                            "total_tokens": len(prompt) // 4 + len(text) // 4 + 1,
                        },
                    },
                )

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def chats(self) -> list[dict[str, Any]]:
        """The chat requests received, oldest first."""
        return [r for r in self.requests if r["path"] == "/v1/chat/completions"]


def _text(message: dict[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)
