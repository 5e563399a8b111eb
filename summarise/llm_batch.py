"""The OpenAI Batch API path for archives too large for live calls (half the price, 24 h window).

Input: prepared articles. Output: `Extraction`s, as the live extractor gives, so the results are
cross-checked and stored exactly as live ones. Does network I/O through the `openai` client.
The requests are the same schema-constrained tool calls the live path sends through instructor;
a batch cannot re-ask, so an answer that fails the cross-check is kept and flagged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jiter
import openai
from instructor import openai_schema
from pydantic import ValidationError

from summarise.drafts import CheckContext, DraftArticle, Extraction, checking, parse_unchecked
from summarise.errors import ConfigError, ProviderError
from summarise.llm import build_messages, provider_error, redact
from summarise.records import AttemptUsage, Usage
from summarise.settings import Mode, Settings

_SCHEMA: dict[str, Any] = openai_schema(DraftArticle).openai_schema  # type: ignore[attr-defined]
DONE = ("completed", "failed", "expired", "cancelled")


@dataclass(frozen=True, slots=True)
class BatchJob:
    id: str
    status: str
    output_file_id: str | None
    error_file_id: str | None


def request_line(custom_id: str, settings: Settings, article: str, hints: list[str]) -> dict[str, Any]:
    """One line of the batch input file: a chat completion forced to call the DraftArticle tool."""
    if settings.mode is not Mode.TOOLS:
        raise ConfigError("the Batch API path sends tool calls; use --mode tools")
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": settings.model,
            "messages": build_messages(article, hints),
            "tools": [{"type": "function", "function": _SCHEMA}],
            "tool_choice": {"type": "function", "function": {"name": _SCHEMA["name"]}},
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
        },
    }


class BatchAPI:
    def __init__(
        self, settings: Settings, *, http_client: Any = None, sleep: Callable[[float], Any] = time.sleep
    ) -> None:
        self.settings = settings
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self.client = openai.OpenAI(
            api_key=key, base_url=settings.base_url, timeout=settings.timeout, max_retries=3, http_client=http_client
        )
        self._sleep = sleep

    def submit(self, lines: list[dict[str, Any]], description: str) -> str:
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
        try:
            uploaded = self.client.files.create(file=("requests.jsonl", data), purpose="batch")
            job = self.client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"description": description[:200]},
            )
        except openai.APIError as exc:
            raise provider_error(exc, self.settings, 1) from None
        return str(job.id)

    def poll(self, batch_id: str, every: float = 30.0, on_status: Callable[[str], None] | None = None) -> BatchJob:
        while True:
            try:
                job = self.client.batches.retrieve(batch_id)
            except openai.APIError as exc:
                raise provider_error(exc, self.settings, 1) from None
            if on_status:
                on_status(str(job.status))
            if job.status in DONE:
                return BatchJob(job.id, str(job.status), job.output_file_id, job.error_file_id)
            self._sleep(every)

    def results(self, job: BatchJob) -> dict[str, dict[str, Any]]:
        """custom_id -> the line of the output (or error) file."""
        out: dict[str, dict[str, Any]] = {}
        for file_id in (job.output_file_id, job.error_file_id):
            if not file_id:
                continue
            try:
                text = self.client.files.content(file_id).text
            except openai.APIError as exc:
                raise provider_error(exc, self.settings, 1) from None
            for line in text.splitlines():
                if line.strip():
                    item = json.loads(line)
                    out[item["custom_id"]] = item
        return out


def extraction_from(item: dict[str, Any] | None, check: CheckContext, settings: Settings) -> Extraction:
    """Check one batch answer as the live path does, without the re-ask a batch cannot make."""
    if item is None:
        raise ProviderError("the batch returned no answer for this article")
    response = item.get("response") or {}
    if item.get("error") or response.get("status_code") != 200:
        detail = item.get("error") or response.get("body", {}).get("error") or {}
        raise ProviderError(
            redact(f"the batch request failed: {json.dumps(detail, ensure_ascii=False)[:200]}", settings)
        )
    body = response["body"]
    usage = Usage(model=settings.model)
    used = body.get("usage") or {}
    usage.attempts.append(
        AttemptUsage(
            attempt=1, prompt_tokens=used.get("prompt_tokens", 0), completion_tokens=used.get("completion_tokens", 0)
        )
    )
    usage.prompt_tokens, usage.completion_tokens = used.get("prompt_tokens", 0), used.get("completion_tokens", 0)
    if settings.model in settings.prices:  # the Batch API costs half the live price
        price_in, price_out = settings.prices[settings.model]
        usage.cost_usd = round((usage.prompt_tokens * price_in + usage.completion_tokens * price_out) / 2e6, 6)
    message = body["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    raw = calls[0]["function"]["arguments"] if calls else message.get("content") or ""
    try:
        with checking(check):
            draft = DraftArticle.model_validate_json(raw)
        return Extraction(draft, usage)
    except ValidationError as exc:
        problems = [str(e.get("msg", e)) for e in exc.errors()]
    try:
        draft = parse_unchecked(raw)
    except (ValidationError, ValueError):
        partial = jiter.from_json(raw.encode("utf-8"), partial_mode="trailing-strings") if raw else {}
        try:
            draft = parse_unchecked(partial if isinstance(partial, dict) else {})
        except (ValidationError, ValueError):
            raise ProviderError("the batch answer is not a valid record (malformed JSON)") from None
        return Extraction(draft, usage, problems, malformed=True)
    return Extraction(draft, usage, problems)
