"""`summarise batch --via-batch-api`: prepare, submit, poll, download, then verify and store.

Input: paths and settings. Output: the same state store and outputs as a live batch. Does I/O.
A job once submitted is recorded before anything else happens, so an interrupted run resumes by
polling the same job instead of paying for a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from summarise.batch import BatchOptions, Tally, read_member, status_of
from summarise.crosscheck import check_context
from summarise.errors import ProviderError, SummariseError
from summarise.inputs import Failure, find_members, require_inputs
from summarise.llm_batch import BatchAPI, extraction_from, request_line
from summarise.pipeline import fact_hints, llm_article, offline_article
from summarise.prompts import prompts_version
from summarise.records import SCHEMA_VERSION
from summarise.settings import Settings
from summarise.store import Result, Store, cache_key


def run_via_batch_api(
    paths: list[str],
    settings: Settings,
    options: BatchOptions,
    *,
    api: BatchAPI | None = None,
    poll_seconds: float = 30.0,
    on_status: Callable[[str], None] | None = None,
) -> Tally:
    require_inputs(paths)
    api = api or BatchAPI(settings)
    store = Store(options.out / "state.sqlite")
    tally = Tally()
    engine_name = f"llm:{settings.model}"
    try:
        batch_id = store.open_api_batch()
        if batch_id is None:
            batch_id = _submit(paths, settings, options, api, store, tally, engine_name)
        if batch_id is not None:
            job = api.poll(batch_id, every=poll_seconds, on_status=on_status)
            answers = api.results(job) if job.status == "completed" else {}
            for custom_id, key, sha, names, text, encoding in store.pending(batch_id):
                result = _collect(answers.get(custom_id), job.status, settings, key, sha, names[0], text, encoding)
                store.save(result, names[0])
                for other in names[1:]:
                    store.link(other, key, result.status, result.error)
                for _ in names:
                    tally.count(result.status)
                tally.model_calls += result.model_calls
                tally.prompt_tokens += result.prompt_tokens
                tally.completion_tokens += result.completion_tokens
                tally.cost_usd += result.cost_usd or 0.0
            store.close_api_batch(batch_id)
    finally:
        store.close()
    return tally


def _submit(
    paths: list[str], settings: Settings, options: BatchOptions, api: BatchAPI, store: Store, tally: Tally, engine: str
) -> str | None:
    lines: list[dict[str, Any]] = []
    pending: dict[str, tuple[str, str, str, list[str], str, str | None]] = {}
    for item in find_members(paths, options.inputs):
        if isinstance(item, Failure):
            store.fail_source(item.name, item.reason)
            tally.count("failed")
            continue
        read = read_member(item.name, item.load())  # the engine runs below, only for a new text
        if read.sha is None or read.text is None:
            store.fail_source(item.name, read.error or "unreadable")
            tally.count("failed")
            continue
        key = cache_key(read.sha, engine, prompts_version(), SCHEMA_VERSION)
        known = store.result(key)
        if known and (known.status != "failed" or not options.retry_failed):
            store.link(item.name, key, known.status, known.error)
            tally.cached += 1
            tally.count(known.status)
            continue
        if key in pending:  # the same text twice: one request
            pending[key][3].append(item.name)
            continue
        custom_id = f"article-{len(pending) + 1:07d}"
        try:
            article, _ = offline_article(read.text, source=item.name, encoding=read.encoding)
        except SummariseError as exc:
            store.fail_source(item.name, str(exc))
            tally.count("failed")
            continue
        lines.append(request_line(custom_id, settings, read.text, fact_hints(article)))
        pending[key] = (custom_id, key, read.sha, [item.name], read.text, read.encoding)
    if not lines:
        return None
    batch_id = api.submit(lines, description=f"summarise {len(lines)} articles")
    store.record_api_batch(batch_id, list(pending.values()))
    return batch_id


def _collect(
    item: dict[str, Any] | None,
    job_status: str,
    settings: Settings,
    key: str,
    sha: str,
    name: str,
    text: str,
    encoding: str | None,
) -> Result:
    offline, facts = offline_article(text, source=name, encoding=encoding)
    try:
        if job_status != "completed":
            raise ProviderError(f"the batch job ended as {job_status}")
        extraction = extraction_from(item, check_context(text, facts, offline), settings)
    except ProviderError as exc:
        offline.warnings.append(f"LLM engine failed ({exc}); this is the offline engine's result")
        return Result(key, sha, "failed", offline.model_dump_json(), str(exc))
    article = llm_article(extraction, text, name, encoding, facts, offline, settings)
    usage = article.usage
    return Result(
        key, sha, status_of(article), article.model_dump_json(), None, 1,
        usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, usage.cost_usd if usage else None,
    )  # fmt: skip
