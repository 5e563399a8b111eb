"""The only module that talks to a model: openai + instructor, with tenacity for transport.

Input: `Settings`, the article and its check context. Output: an `Extraction` (the draft, token
usage per attempt, and what the re-asks could not fix). Does network I/O.
Two kinds of retry, kept apart: instructor re-asks the model when its answer fails the
cross-check (`--max-retries`); tenacity repeats a request the transport lost (429 honouring
Retry-After, 5xx, timeouts, refused connections), bounded in attempts and seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import instructor
import jiter
import openai
from instructor import openai_schema
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from summarise.drafts import CheckContext, DraftArticle, Extraction, checking, parse_unchecked
from summarise.errors import ProviderError
from summarise.limits import estimate_request_tokens
from summarise.prompts import render_prompt
from summarise.records import AttemptUsage, Usage
from summarise.settings import Mode, Settings

# instructor logs every failed attempt at ERROR; the CLI reports errors itself, in one line.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False

_MODES = {
    Mode.TOOLS: instructor.Mode.TOOLS,
    Mode.JSON_SCHEMA: instructor.Mode.JSON_SCHEMA,
    Mode.JSON: instructor.Mode.JSON,
    Mode.MD_JSON: instructor.Mode.MD_JSON,
}
_T = TypeVar("_T")
# instructor wraps a plain model in a new schema class on every request, and so rebuilds its JSON
# Schema each time (about 10 ms of CPU); wrapped once here, its schema is built once.
_WIRE_MODEL = openai_schema(DraftArticle)


def _check_async_validators_once() -> None:
    """instructor walks the whole type tree of the response model on every request, to refuse
    async validators (about 5 ms for DraftArticle, which caps a batch near 100 requests a second
    on one core). A class's tree does not change, so each class is walked once. Some instructor
    modules import the function by name, so every loaded instructor module that holds it gets
    the wrapper; the others look it up in its own module at each call. Without that module
    (another instructor version) nothing is changed.
    """
    module = sys.modules.get("instructor.v2.validation.async_validators")
    current: Any = getattr(module, "reject_async_validators", None)
    if current is None:
        return
    original = getattr(current, "_original", current)  # already wrapped: find the modules it missed
    wrapper = current if original is not current else _walking_once(original)
    for name, other in list(sys.modules.items()):
        if name.startswith("instructor") and getattr(other, "reject_async_validators", None) is original:
            other.reject_async_validators = wrapper  # type: ignore[attr-defined]


def _walking_once(original: Callable[[Any], None]) -> Callable[[Any], None]:
    checked: weakref.WeakSet[type] = weakref.WeakSet()

    def walk_once(model: Any) -> None:
        if isinstance(model, type) and model in checked:
            return
        original(model)
        if isinstance(model, type):
            checked.add(model)

    walk_once._walks_once = True  # type: ignore[attr-defined]
    walk_once._original = original  # type: ignore[attr-defined]
    return walk_once


_check_async_validators_once()


def build_messages(article: str, hints: list[str]) -> list[ChatCompletionMessageParam]:
    return [
        {"role": "system", "content": render_prompt("extract.system.j2")},
        {
            "role": "user",
            "content": render_prompt("extract.user.j2", article=article, characters=len(article), facts=hints),
        },
    ]


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500 or exc.status_code == 408
    return isinstance(exc, openai.APIConnectionError)  # includes APITimeoutError


def _retry_after(exc: BaseException | None) -> float | None:
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            raw = headers.get(name)
            if raw:
                try:
                    return float(raw) * scale
                except ValueError:
                    return None
    return None


def _unwrap(exc: BaseException) -> BaseException:
    """instructor wraps transport errors in its retry exception; find the transport error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, openai.APIError):
            return seen
        seen = seen.__cause__
    return exc


class _Transport:
    """One tenacity policy for every request, built in one place."""

    def __init__(self, settings: Settings, sleep: Callable[[float], Any] | None = None) -> None:
        self.settings = settings
        self._sleep = sleep
        self._backoff = wait_random_exponential(multiplier=settings.backoff_seconds, max=30 * settings.backoff_seconds)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(exc)
        cap = self.settings.transport_max_seconds
        return min(hinted, cap) if hinted is not None else float(self._backoff(state))

    def _policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = {
            "stop": stop_after_attempt(self.settings.transport_attempts)
            | stop_after_delay(self.settings.transport_max_seconds),
            "wait": self._wait,
            "retry": retry_if_exception(_transient),
            "reraise": True,
        }
        if self._sleep is not None:
            policy["sleep"] = self._sleep
        return policy

    def call(self, fn: Callable[[], _T]) -> _T:
        def attempt() -> _T:
            try:
                return fn()
            except InstructorRetryException as exc:
                cause = _unwrap(exc)
                if cause is not exc:
                    raise cause from None  # a transport error, not a failed cross-check
                raise

        retrying = Retrying(**self._policy())
        try:
            return retrying(attempt)
        except openai.APIError as exc:
            raise provider_error(exc, self.settings, retrying.statistics.get("attempt_number", 1)) from None

    async def acall(self, fn: Callable[[], Awaitable[_T]]) -> _T:
        async def attempt() -> _T:
            try:
                return await fn()
            except InstructorRetryException as exc:
                cause = _unwrap(exc)
                if cause is not exc:
                    raise cause from None
                raise

        policy = self._policy()
        policy.pop("sleep", None)
        retrying = AsyncRetrying(**policy)
        try:
            return await retrying(attempt)
        except openai.APIError as exc:
            raise provider_error(exc, self.settings, retrying.statistics.get("attempt_number", 1)) from None


def provider_error(exc: openai.APIError, settings: Settings, attempts: int) -> ProviderError:
    where = settings.base_url
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, openai.AuthenticationError):
        msg = f"the endpoint {where} refused the API key from ${settings.api_key_env} (401); check the key"
    elif isinstance(exc, openai.PermissionDeniedError):
        msg = f"the API key from ${settings.api_key_env} may not use model {settings.model!r} (403)"
    elif isinstance(exc, openai.NotFoundError):
        msg = f"model {settings.model!r} or its endpoint not found at {where} (404); check --model and --base-url"
    elif isinstance(exc, openai.RateLimitError):
        msg = f"rate limited by {where} (429) {tries}; try again later"
    elif isinstance(exc, openai.APITimeoutError):
        msg = f"no answer from {where} within {settings.timeout:g} s, {tries}"
    elif isinstance(exc, openai.APIConnectionError):
        msg = f"cannot reach {where} {tries}; is the endpoint up?"
    elif isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 504):
        msg = f"the endpoint {where} timed out ({exc.status_code}) {tries}; giving up"
    elif isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        msg = f"server error {exc.status_code} from {where} {tries}; giving up"
    elif isinstance(exc, openai.APIStatusError):
        msg = f"the endpoint {where} rejected the request ({exc.status_code}): {_short(str(exc))}"
    else:
        msg = f"model call failed: {_short(str(exc))}"
    return ProviderError(redact(msg, settings))


def redact(text: str, settings: Settings) -> str:
    """Remove the API key from any text that may reach a user or a log."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return text.replace(key, "***") if key else text


def _short(text: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _raw_output(completion: Any) -> str | None:
    """The JSON the model sent, from a tool call or from the message text."""
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(calls[0].function.arguments)
    content = getattr(message, "content", None)
    if not content:
        return None
    fenced = re.search(r"```(?:json)?\s*(.*?)```", content, re.S)
    return fenced.group(1) if fenced else str(content)


def salvage(data: dict[str, Any]) -> DraftArticle:
    """The parts of a broken answer that still fit the schema: a bad list item or key is dropped."""
    data = dict(data)
    data.setdefault("headline_english", "")
    for _ in range(20):
        try:
            return parse_unchecked(data)
        except ValidationError as exc:
            drops: set[tuple[str, int | None]] = set()
            for error in exc.errors():
                loc = error["loc"]
                if not loc or not isinstance(loc[0], str):
                    raise
                index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
                drops.add((loc[0], index))
            for key, index in sorted(drops, key=lambda d: -1 if d[1] is None else d[1], reverse=True):
                if key == "headline_english":
                    data[key] = ""
                elif index is not None and isinstance(data.get(key), list) and index < len(data[key]):
                    del data[key][index]
                else:
                    data.pop(key, None)
    return parse_unchecked({"headline_english": ""})


class _UsageLog:
    def __init__(self, model: str, prices: dict[str, tuple[float, float]]) -> None:
        self.usage = Usage(model=model)
        self.prices = prices

    def __call__(self, response: Any) -> None:
        used = getattr(response, "usage", None)
        prompt = int(getattr(used, "prompt_tokens", 0) or 0)
        completion = int(getattr(used, "completion_tokens", 0) or 0)
        self.usage.attempts.append(
            AttemptUsage(attempt=len(self.usage.attempts) + 1, prompt_tokens=prompt, completion_tokens=completion)
        )
        self.usage.prompt_tokens += prompt
        self.usage.completion_tokens += completion
        if self.usage.model in self.prices:
            price_in, price_out = self.prices[self.usage.model]
            self.usage.cost_usd = round(
                (self.usage.prompt_tokens * price_in + self.usage.completion_tokens * price_out) / 1e6, 6
            )


def _unresolved(
    exc: InstructorRetryException | IncompleteOutputException, settings: Settings, usage: Usage
) -> Extraction:
    """Keep the last answer, unchecked, so its wrong figures are shown flagged, not lost.

    An answer cut off mid-JSON (small local models loop until the token cap) is read as far as it
    goes; whatever it holds is cross-checked like any other answer, and the run still fails.
    """
    attempts = getattr(exc, "n_attempts", 1)
    raw = _raw_output(exc.last_completion)
    if raw is None:
        raise ProviderError(
            redact(f"the model gave no usable answer after {attempts} attempts: {_short(str(exc))}", settings)
        ) from None
    if isinstance(exc, IncompleteOutputException):
        problems = [f"the answer was cut off at {settings.max_tokens} tokens (raise --max-tokens)"]
    elif isinstance(cause := exc.__cause__, ValidationError):
        problems = [str(e.get("msg", e)) for e in cause.errors()]
    else:
        problems = [_short(str(exc))]
    if not isinstance(exc, IncompleteOutputException):
        try:
            return Extraction(parse_unchecked(raw), usage, problems)
        except (ValidationError, ValueError):
            pass
    try:
        partial = jiter.from_json(raw.encode("utf-8"), partial_mode="trailing-strings")
        draft = salvage(partial if isinstance(partial, dict) else {})
    except (ValidationError, ValueError):
        raise ProviderError(
            redact(f"the model's output is not a valid record after {attempts} attempts (malformed JSON)", settings)
        ) from None
    return Extraction(draft, usage, problems[:3], malformed=True)


class LLMExtractor:
    """Synchronous extractor: one article, one schema-constrained request and its re-asks."""

    def __init__(
        self, settings: Settings, *, http_client: Any = None, sleep: Callable[[float], Any] | None = None
    ) -> None:
        self.settings = settings
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self._raw = openai.OpenAI(
            api_key=key, base_url=settings.base_url, timeout=settings.timeout, max_retries=0, http_client=http_client
        )
        self._client = instructor.from_openai(self._raw, mode=_MODES[settings.mode])
        self._transport = _Transport(settings, sleep)

    def extract(self, article: str, hints: list[str], check: CheckContext) -> Extraction:
        log, request = _request(self.settings, article, hints)
        try:
            with checking(check):
                draft: DraftArticle = self._transport.call(lambda: self._client.chat.completions.create(**request))
            return Extraction(draft, log.usage)
        except (InstructorRetryException, IncompleteOutputException) as exc:
            return _unresolved(exc, self.settings, log.usage)


def _request(settings: Settings, article: str, hints: list[str]) -> tuple[_UsageLog, dict[str, Any]]:
    """One extraction request for instructor, with its own usage log (concurrent calls stay apart)."""
    log = _UsageLog(settings.model, dict(settings.prices))
    hooks = Hooks()
    hooks.on("completion:response", log)
    return log, {
        "hooks": hooks,
        "model": settings.model,
        "response_model": _WIRE_MODEL,
        "messages": build_messages(article, hints),
        "max_retries": settings.max_retries,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
    }


_PER_POOL = 8  # requests per client of AsyncLLMExtractor


def _tls_context() -> Any:
    """One TLS context for all the clients of an extractor, made by the HTTP library the openai
    client is built on (httpx or httpx2), so its default trust store is kept. Each client made
    its own otherwise, loading the CA bundle again: ~30 ms apiece here, so the eight clients
    for 64 requests in flight held the first request back by a quarter of a second."""
    library = next(c for c in openai.DefaultAsyncHttpxClient.__mro__ if c.__name__ == "AsyncClient").__module__
    return sys.modules[library.partition(".")[0]].create_ssl_context()


class _Turn:
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock: asyncio.Lock | None = lock

    def end(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


_TURN: ContextVar[_Turn | None] = ContextVar("request_turn", default=None)


class _OneAtATime:
    """Requests are built one at a time, each until it is handed to the HTTP client.

    Building a request (instructor, the SDK's body and its HTTP request) takes ~5 ms of CPU
    before its first await. Started together, as 64 are at the start of a batch and whenever
    answers come back close together, every request was built before any was sent: they reached
    the server, and their answers came back, in one bunch, each waiting behind the others' work.
    Taking turns, each leaves as soon as it is built (stub at 1 s, 64 in flight, 20 waves:
    88.6-91.0% of 64 calls/s in nine runs, against 83.1-87.4%). The turn ends at the request
    hook, or when the extraction ends without a request; re-asks and retries do not wait for one.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        await self._lock.acquire()
        turn = _Turn(self._lock)
        token = _TURN.set(turn)
        try:
            yield
        finally:
            _TURN.reset(token)
            turn.end()

    @staticmethod
    async def handed_over(request: Any) -> None:
        """httpx request hook: the request of this task's turn is on its way."""
        turn = _TURN.get()
        if turn is not None:
            turn.end()


class AsyncLLMExtractor:
    """The same extraction for the batch runner, many articles in flight."""

    def __init__(
        self,
        settings: Settings,
        *,
        http_client: Any = None,
        before_request: Callable[[int], Awaitable[None]] | None = None,
        in_flight: int = 8,
    ) -> None:
        """`before_request(tokens)` is awaited before every HTTP request, re-asks and transport
        retries included, so rate limits count requests as the provider does. A given
        `http_client` gets the extractor's request hooks before its own.

        `in_flight`, the most requests the caller keeps going at once, sets how many clients share
        them, about eight requests each: a client's connection pool walks all its connections
        whenever a request starts or ends (probing each idle one's socket); with 64 in one pool
        that walk took a tenth of the event loop's time (py-spy, 64 in flight), in pools of
        eight half as much."""
        self.settings = settings
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self._turns = _OneAtATime()
        on_request: list[Callable[[Any], Awaitable[None]]] = [self._turns.handed_over]
        if before_request is not None:
            pace = before_request

            async def paced(request: Any) -> None:
                await pace(estimate_request_tokens(request.content, settings.max_tokens))

            on_request.append(paced)
        if http_client is None:
            tls = _tls_context()
            pools = max(1, -(-in_flight // _PER_POOL))
            hooks = {"request": on_request}
            http_clients = [openai.DefaultAsyncHttpxClient(event_hooks=hooks, verify=tls) for _ in range(pools)]
        else:  # the caller's client gets the same hooks, before its own
            given = http_client.event_hooks
            http_client.event_hooks = {**given, "request": [*on_request, *given.get("request", [])]}
            http_clients = [http_client]
        self._raws = [
            openai.AsyncOpenAI(
                api_key=key, base_url=settings.base_url, timeout=settings.timeout, max_retries=0, http_client=client
            )
            for client in http_clients
        ]
        self._clients = [instructor.from_openai(raw, mode=_MODES[settings.mode]) for raw in self._raws]
        self._busy = [0] * len(self._raws)  # requests under way per client: a new one goes to the least busy
        self._transport = _Transport(settings)

    async def aclose(self) -> None:
        for raw in self._raws:
            await raw.close()

    async def extract(self, article: str, hints: list[str], check: CheckContext) -> Extraction:
        log, request = _request(self.settings, article, hints)
        pick = min(range(len(self._busy)), key=self._busy.__getitem__)
        client = self._clients[pick]
        self._busy[pick] += 1
        try:
            async with self._turns.turn():
                with checking(check):
                    draft: DraftArticle = await self._transport.acall(lambda: client.chat.completions.create(**request))
            return Extraction(draft, log.usage)
        except (InstructorRetryException, IncompleteOutputException) as exc:
            return _unresolved(exc, self.settings, log.usage)
        finally:
            self._busy[pick] -= 1
