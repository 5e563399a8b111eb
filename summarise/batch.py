"""Run the pipeline over whole archives: concurrent, cached, resumable.

Input: paths (files, folders, archives, @list files), settings and options. Output: the state
store filled, then the output folder written by `sinks`. Does I/O and runs processes.
The offline engine runs in a process pool on the machine's cores; the LLM engine runs as
coroutines, at most `concurrency` requests in flight, under optional RPM/TPM limits. Each
finished article is committed before the next is counted, so a killed run resumes where it
stopped, and a result already in the store (same text, engine, model, prompts, schema) is
never asked for again.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from summarise.errors import SummariseError
from summarise.facts import Facts
from summarise.inputs import Failure, Member, Selection, count_members, find_members
from summarise.limits import RateLimiter, estimate_tokens
from summarise.pipeline import AsyncExtractor, EngineFailed, offline_article, summarise_text_async
from summarise.prompts import prompts_version
from summarise.records import SCHEMA_VERSION, Article
from summarise.settings import Engine, Settings
from summarise.sources import decode_bytes
from summarise.store import Result, Store, cache_key, text_hash


@dataclass(frozen=True, slots=True)
class BatchOptions:
    out: Path
    concurrency: int = 8
    workers: int = max(1, os.cpu_count() or 1)
    rpm: int | None = None
    tpm: int | None = None
    retry_failed: bool = False
    selection: Selection = field(default_factory=Selection)


@dataclass(slots=True)
class Tally:
    """Counts shown by the progress bar and the closing summary."""

    ok: int = 0
    flagged: int = 0
    failed: int = 0
    cached: int = 0
    duplicates: int = 0
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.ok + self.flagged + self.failed

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What a worker process returns: the decoded text and the offline engine's result."""

    name: str
    text: str | None
    encoding: str | None
    sha: str | None
    article_json: str | None
    facts: Facts | None
    error: str | None


def prepare_member(name: str, data: bytes, keep_facts: bool) -> _Prepared:
    """Runs in a worker process: decode, hash, offline engine."""
    try:
        src = decode_bytes(data, name=name)
        article, facts = offline_article(src.text, source=name, encoding=src.encoding)
        return _Prepared(
            name,
            src.text,
            src.encoding,
            text_hash(src.text),
            article.model_dump_json(),
            facts if keep_facts else None,
            None,
        )
    except SummariseError as exc:
        return _Prepared(name, None, None, None, None, None, str(exc))


def status_of(article: Article) -> str:
    v = article.verification
    return "flagged" if v.unverified or v.prose_flagged or article.warnings else "ok"


class BatchRunner:
    def __init__(
        self,
        settings: Settings,
        options: BatchOptions,
        *,
        extractor: AsyncExtractor | None = None,
        on_progress: Callable[[Tally, int | None], None] | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.engine = settings.resolved_engine()
        self.engine_name = "offline" if self.engine is Engine.OFFLINE else f"llm:{settings.model}"
        self.prompts = prompts_version() if self.engine is Engine.LLM else "-"
        self.store = Store(options.out / "state.sqlite")
        self.tally = Tally()
        self._extractor = extractor
        self._on_progress = on_progress or (lambda tally, total: None)
        self._limiter = RateLimiter(options.rpm, options.tpm)
        self._llm_slots = asyncio.Semaphore(options.concurrency)
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        self.total: int | None = None

    def key(self, sha: str) -> str:
        return cache_key(sha, self.engine_name, self.prompts, SCHEMA_VERSION)

    async def run(self, paths: list[str]) -> Tally:
        self.total = count_members(paths, self.options.selection)
        self._on_progress(self.tally, self.total)
        window = max(self.options.concurrency, 2 * self.options.workers)
        gate = asyncio.Semaphore(window)
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(max_workers=self.options.workers) as pool:
            for item in find_members(paths, self.options.selection):
                await gate.acquire()
                task = asyncio.create_task(self._handle(item, pool, loop))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(lambda _: gate.release())
            await asyncio.gather(*tasks)
        self.store.close()
        close = getattr(self._extractor, "aclose", None)
        if close is not None:
            await close()  # before the loop ends, or its connections complain at exit
        return self.tally

    async def _handle(self, item: Member | Failure, pool: ProcessPoolExecutor, loop: asyncio.AbstractEventLoop) -> None:
        try:
            await self._one(item, pool, loop)
        finally:
            self._on_progress(self.tally, self.total)

    async def _one(self, item: Member | Failure, pool: ProcessPoolExecutor, loop: asyncio.AbstractEventLoop) -> None:
        if isinstance(item, Failure):
            self.store.fail_source(item.name, item.reason)
            self.tally.count("failed")
            return
        if self.store.source_done(item.name):  # finished by an earlier, interrupted run
            self.tally.cached += 1
            self.tally.count(self._status_of_source(item.name))
            return
        prepared = await loop.run_in_executor(pool, prepare_member, item.name, item.data, self.engine is Engine.LLM)
        if prepared.sha is None:
            self.store.fail_source(item.name, prepared.error or "unreadable")
            self.tally.count("failed")
            return
        key = self.key(prepared.sha)
        if key in self._in_flight:  # the same text met twice in this run: processed once
            await self._in_flight[key]
        known = self.store.result(key)
        if known and (known.status != "failed" or not self.options.retry_failed):
            self.store.link(item.name, key, known.status, known.error)
            self.tally.cached += 1
            self.tally.count(known.status)
            return
        done: asyncio.Future[None] = loop.create_future()
        self._in_flight[key] = done
        try:
            result = await self._compute(prepared, key)
            self.store.save(result, item.name)
            self.tally.count(result.status)
        finally:
            done.set_result(None)
            del self._in_flight[key]

    def _status_of_source(self, name: str) -> str:
        row = self.store.db.execute("SELECT status FROM sources WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else "failed"

    async def _compute(self, prepared: _Prepared, key: str) -> Result:
        assert prepared.sha is not None
        assert prepared.article_json is not None
        assert prepared.text is not None
        if self.engine is Engine.OFFLINE:
            article = Article.model_validate_json(prepared.article_json)
            return Result(key, prepared.sha, status_of(article), prepared.article_json, None)
        assert prepared.facts is not None
        offline = Article.model_validate_json(prepared.article_json)
        extractor = self._get_extractor()
        async with self._llm_slots:
            await self._limiter.acquire(estimate_tokens(prepared.text, self.settings.max_tokens))
            try:
                article = await summarise_text_async(
                    prepared.text,
                    extractor=extractor,
                    settings=self.settings,
                    source=prepared.name,
                    encoding=prepared.encoding,
                    prepared=(offline, prepared.facts),
                )
            except EngineFailed as exc:
                return Result(key, prepared.sha, "failed", exc.fallback.model_dump_json(), str(exc))
            except SummariseError as exc:
                return Result(key, prepared.sha, "failed", None, str(exc))
        usage = article.usage
        calls = len(usage.attempts) if usage else 0
        self.tally.model_calls += calls
        if usage:
            self.tally.prompt_tokens += usage.prompt_tokens
            self.tally.completion_tokens += usage.completion_tokens
            self.tally.cost_usd += usage.cost_usd or 0.0
        return Result(
            key, prepared.sha, status_of(article), article.model_dump_json(), None, calls,
            usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0,
            usage.cost_usd if usage else None,
        )  # fmt: skip

    def _get_extractor(self) -> AsyncExtractor:
        if self._extractor is None:
            from summarise.llm import AsyncLLMExtractor

            self._extractor = AsyncLLMExtractor(self.settings)
        return self._extractor


def run_batch(
    paths: list[str],
    settings: Settings,
    options: BatchOptions,
    *,
    extractor: AsyncExtractor | None = None,
    on_progress: Callable[[Tally, int | None], None] | None = None,
) -> Tally:
    """Run a batch to the end (the synchronous entry point of the CLI and of notebooks)."""
    runner = BatchRunner(settings, options, extractor=extractor, on_progress=on_progress)
    return asyncio.run(runner.run(paths))
