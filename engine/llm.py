"""Structured rows from a page by a language model: instructor over an OpenAI-compatible API.

An `Endpoint` is where a model answers: Ollama (its OpenAI-compatible `/v1` for the chat,
its own API, through the `ollama` client, to check the model is pulled and read its context
size) or any OpenAI-compatible server (OpenAI, OpenRouter, vLLM, LM Studio). `Models` holds the
endpoints a run may use and the tokens it may still spend. `Llm` is one run's use of them:
clients built once, every call's tokens and latency added to the step's `LlmUsage`.

Failures become `ModelError` (a step error) that names the cause: the server does not answer,
the model is not pulled, the context is too small for the schema, the answer does not fit the
schema after the re-asks, the plan's token limit is spent.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from engine._markdown import chunks, estimate_tokens
from engine.errors import StepError, causes
from engine.events import LlmUsage
from proxies import NetworkPolicy, NetworkRefused, PinnedTransport

if TYPE_CHECKING:  # the clients are imported on first use: openai alone takes a second
    import instructor
    import openai

E = TypeVar("E", bound=BaseException)

ANSWER_TOKENS = 1024
"""Room kept in the context for the answer; an answer past it is cut, so does not validate."""

MIN_CHUNK_TOKENS = 200
"""Below this much room for the page, a context is too small to be worth asking."""

SYSTEM = (
    "You extract structured data from a web page, given as Markdown. Use only what the page "
    "says; leave a value empty (null) when the page does not give it; never invent one. Copy "
    "URLs exactly as they appear. Dates as YYYY-MM-DD, numbers without currency or units."
)
ROWS = " Return every item the page lists, in page order; an empty list if this part lists none."


def instructions(many: bool, prompt: str | None) -> str:
    """The system prompt of an extraction: rows or one record, and the bot's own words."""
    return SYSTEM + (ROWS if many else "") + (f"\n\n{prompt}" if prompt else "")


class ModelError(StepError):
    """The model could not give the step its rows; the message names why and where."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


@dataclass(frozen=True)
class Endpoint:
    """Where a model answers, and how to ask it."""

    kind: Literal["ollama", "openai"]
    base_url: str
    model: str
    api_key: str | None = None
    context_tokens: int = 4096
    """The model's context as served (Ollama's own `num_ctx`, when the model sets one, wins)."""
    mode: Literal["tools", "json"] | None = None
    """tools: function calling; json: JSON mode. Default: tools for OpenAI, json for Ollama
    (every Ollama model can do it)."""
    policy: NetworkPolicy | None = None
    """Checked against this policy on every connection, as a page is: an account's own
    endpoint, whose address a user chose. None: the deployment's, trusted."""

    def transport(self) -> dict[str, Any]:
        """What an httpx client for this endpoint is built with."""
        if self.policy is None:
            return {}
        from engine.network import tls_context  # engine.network imports the node kinds

        pinned = PinnedTransport(self.policy, verify=tls_context(), trust_env=False)
        return {"transport": pinned, "trust_env": False}


@dataclass(frozen=True)
class Models:
    """The endpoints a run may use by name, which one a node gets by default, and how many
    tokens the run may still spend (None: no limit)."""

    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    default: str | None = None
    token_budget: int | None = None


@dataclass
class _Client:
    endpoint: Endpoint
    api: openai.AsyncOpenAI
    chat: instructor.AsyncInstructor
    context: dict[str, int] = field(default_factory=dict)
    """Context size by model, once checked."""


class Llm:
    """One run's model calls: clients, checks, the token budget."""

    def __init__(self, models: Models, timeout_s: float) -> None:
        self.models = models
        self.timeout_s = timeout_s
        self.spent = 0
        self._clients: dict[str, _Client] = {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.api.close()
        self._clients.clear()

    def endpoint(self, name: str | None) -> tuple[str, Endpoint]:
        name = name or self.models.default
        if not self.models.endpoints:
            raise ModelError("no model endpoint is configured (TRAWLER_LLM__...)")
        if name is None or name not in self.models.endpoints:
            known = ", ".join(sorted(self.models.endpoints))
            raise ModelError(f"no model endpoint named {name!r}; configured: {known}")
        return name, self.models.endpoints[name]

    async def ask(
        self,
        *,
        provider: str | None,
        model: str | None,
        answer: type[BaseModel],
        system: str,
        text: str,
        url: str,
        temperature: float,
        reasks: int,
        usage: LlmUsage,
        whole: bool = True,
    ) -> list[BaseModel]:
        """Ask for `answer` on each chunk of `text` that fits the model's context (on the
        first only, unless `whole`)."""
        client = await self._client(provider)
        endpoint = client.endpoint
        model = model or endpoint.model
        usage.model = model
        context = await self._context(client, model)
        schema = json.dumps(answer.model_json_schema())
        fixed = estimate_tokens(system) + estimate_tokens(schema) + 50
        room = context - fixed - ANSWER_TOKENS
        if room < MIN_CHUNK_TOKENS:
            raise ModelError(
                f"the context of {model} ({context} tokens) is too small: the prompt and the "
                f"schema take about {fixed} and the answer needs {ANSWER_TOKENS}; use a model "
                "with a larger context or fewer fields"
            )
        parts = (chunks(text, room) or [""])[: None if whole else 1]
        answers: list[BaseModel] = []
        for index, part in enumerate(parts):
            where = f" (part {index + 1} of {len(parts)})" if len(parts) > 1 else ""
            messages: list[Any] = [
                {"role": "system", "content": system},
                {"role": "user", "content": f"Page {url}{where}:\n\n{part}"},
            ]
            answers.append(
                await self._ask(client, model, answer, messages, temperature, reasks, usage)
            )
        return answers

    async def _ask(
        self,
        client: _Client,
        model: str,
        answer: type[BaseModel],
        messages: list[Any],
        temperature: float,
        reasks: int,
        usage: LlmUsage,
    ) -> BaseModel:
        budget = self.models.token_budget
        if budget is not None and self.spent >= budget:
            spent = f" ({self.spent} of them by this run)" if self.spent else ""
            raise ModelError(f"the plan's monthly LLM token limit is reached{spent}")

        def counted(response: Any) -> None:
            used = getattr(response, "usage", None)
            if used is not None:
                usage.tokens_in += used.prompt_tokens or 0
                usage.tokens_out += used.completion_tokens or 0
                self.spent += (used.prompt_tokens or 0) + (used.completion_tokens or 0)
            usage.calls += 1

        from instructor.core.hooks import Hooks

        hooks = Hooks()  # this call's own: steps running at once share the client
        hooks.on("completion:response", counted)
        started = time.monotonic()
        try:
            return await client.chat.create(
                model=model,
                response_model=answer,
                messages=messages,
                temperature=temperature,
                max_tokens=ANSWER_TOKENS,
                max_retries=reasks + 1,
                hooks=hooks,
            )
        except Exception as exc:
            raise self._explain(exc, client.endpoint, model, reasks) from exc
        finally:
            usage.latency_ms += (time.monotonic() - started) * 1000

    async def _client(self, provider: str | None) -> _Client:
        name, endpoint = self.endpoint(provider)
        if name not in self._clients:
            import instructor
            import openai

            base = endpoint.base_url.rstrip("/")
            transport = endpoint.transport()
            api = openai.AsyncOpenAI(
                base_url=f"{base}/v1" if endpoint.kind == "ollama" else base,
                api_key=endpoint.api_key or "none",
                timeout=self.timeout_s,
                max_retries=0,  # the node's retry policy decides
                http_client=httpx.AsyncClient(timeout=self.timeout_s, **transport)
                if transport
                else None,
            )
            default: Literal["tools", "json"] = "tools" if endpoint.kind == "openai" else "json"
            mode = instructor.Mode.TOOLS
            if (endpoint.mode or default) == "json":
                mode = instructor.Mode.JSON
            self._clients[name] = _Client(endpoint, api, instructor.from_openai(api, mode=mode))
        return self._clients[name]

    async def _context(self, client: _Client, model: str) -> int:
        """The model's context; on Ollama, first checks that the model is there."""
        endpoint = client.endpoint
        if model in client.context:
            return client.context[model]
        context = endpoint.context_tokens
        if endpoint.kind == "ollama":
            import ollama

            native = ollama.AsyncClient(
                host=endpoint.base_url, timeout=self.timeout_s, **endpoint.transport()
            )
            try:
                async with native:
                    shown = await native.show(model)
            except ollama.ResponseError as exc:
                if exc.status_code == 404:
                    raise ModelError(
                        f"model {model!r} is not pulled on the Ollama server at "
                        f"{endpoint.base_url}: run `ollama pull {model}` there"
                    ) from exc
                raise ModelError(
                    f"the Ollama server at {endpoint.base_url} answered {exc.status_code}: "
                    f"{exc.error}",
                    retryable=True,
                ) from exc
            except NetworkRefused as exc:
                raise _refused(endpoint, exc) from exc
            except (ConnectionError, httpx.HTTPError) as exc:
                raise ModelError(
                    f"the Ollama server at {endpoint.base_url} does not answer ({exc}): "
                    "is `ollama serve` running?",
                    retryable=True,
                ) from exc
            set_ctx = re.search(r"num_ctx\s+(\d+)", shown.parameters or "")
            if set_ctx:
                context = int(set_ctx.group(1))
        client.context[model] = context
        return context

    def _explain(self, exc: Exception, endpoint: Endpoint, model: str, reasks: int) -> Exception:
        import openai
        from instructor.core import InstructorRetryException

        refused = _cause(exc, NetworkRefused)
        if refused is not None:
            return _refused(endpoint, refused)
        cause = _cause(exc, openai.APIError)
        where = endpoint.base_url
        if isinstance(cause, openai.APITimeoutError):
            return ModelError(
                f"{model} at {where} did not answer within {self.timeout_s:g} s", retryable=True
            )
        if isinstance(cause, openai.APIConnectionError):
            reason = cause.__cause__ or cause
            return ModelError(
                f"the model server at {where} does not answer ({reason})", retryable=True
            )
        if isinstance(cause, openai.APIStatusError):
            message = _message(cause)
            if isinstance(cause, openai.NotFoundError):
                hint = f": run `ollama pull {model}` there" if endpoint.kind == "ollama" else ""
                return ModelError(f"model {model!r} not found at {where}{hint} ({message})")
            if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
                return ModelError(f"{where} refused the API key: {message}")
            if "context" in message.lower() and ("length" in message or "window" in message):
                return ModelError(f"the page part did not fit {model}'s context: {message}")
            retry = isinstance(cause, openai.RateLimitError | openai.InternalServerError)
            return ModelError(f"{where} answered {cause.status_code}: {message}", retryable=retry)
        if isinstance(exc, InstructorRetryException):
            detail = _invalid(exc.__cause__ or exc)
            return ModelError(
                f"{model}'s answer did not fit the schema after {reasks + 1} attempt(s): {detail}"
            )
        return exc


def _cause(exc: BaseException, kind: type[E]) -> E | None:
    """`exc`, or what caused it, of type `kind`."""
    return next((c for c in causes(exc) if isinstance(c, kind)), None)


def _refused(endpoint: Endpoint, exc: NetworkRefused) -> ModelError:
    return ModelError(f"the network policy refused the model endpoint {endpoint.base_url}: {exc}")


def _invalid(exc: BaseException) -> str:
    """What was wrong with the last answer, by field."""
    if not isinstance(exc, ValidationError):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"])
        got = f" (got {error['input']!r:.60})" if where else ""
        problems.append(f"{where + ': ' if where else ''}{error['msg']}{got}")
    more = f" and {exc.error_count() - 3} more" if exc.error_count() > 3 else ""
    return "; ".join(problems) + more


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return error.message
