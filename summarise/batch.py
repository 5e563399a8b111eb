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
import gc
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from summarise.errors import SummariseError
from summarise.facts import Facts
from summarise.inputs import (
    MAX_MEMBER_BYTES,
    Failure,
    Member,
    Selection,
    count_members,
    find_members,
    require_inputs,
)
from summarise.limits import RateLimiter
from summarise.pipeline import AsyncExtractor, EngineFailed, failed_engine, llm_article, llm_inputs, offline_article
from summarise.prompts import prompts_version
from summarise.records import SCHEMA_VERSION, Article
from summarise.settings import Engine, Settings
from summarise.sources import decode_bytes
from summarise.store import Result, Store, cache_key, text_hash
from summarise.workers import worker_pool


@dataclass(frozen=True, slots=True)
class BatchOptions:
    out: Path
    concurrency: int = 8
    workers: int = max(1, os.cpu_count() or 1)
    rpm: int | None = None
    tpm: int | None = None
    retry_failed: bool = False
    selection: Selection = field(default_factory=Selection)

    @property
    def inputs(self) -> Selection:
        """The selection, never walking into the output folder (`summarise batch . --out out`
        with `--include '*'` would otherwise take its own outputs as articles on the next run)."""
        return replace(self.selection, skip_folders=(*self.selection.skip_folders, self.out.resolve()))


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
class _Read:
    """A member read, decoded and hashed: enough to know whether its text is already done."""

    name: str
    text: str | None
    encoding: str | None
    sha: str | None
    error: str | None


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
    status: str = "failed"


def read_member(name: str, data: bytes | None) -> _Read:
    """Runs in a worker process: read (plain files), decode, hash; no engine yet."""
    try:
        if data is None:
            size = os.stat(name).st_size
            if size > MAX_MEMBER_BYTES:
                return _Read(name, None, None, None, f"{name}: {size:,} bytes is above the cap")
            data = Path(name).read_bytes()
        src = decode_bytes(data, name=name)
    except SummariseError as exc:
        return _Read(name, None, None, None, str(exc))
    except OSError as exc:
        return _Read(name, None, None, None, f"{name}: cannot be read ({exc.strerror or exc})")
    return _Read(name, src.text, src.encoding, text_hash(src.text), None)


def prepare_read(read: _Read, keep_facts: bool) -> _Prepared:
    """The offline engine on a member already read."""
    if read.text is None:
        return _Prepared(read.name, None, None, None, None, None, read.error)
    try:
        article, facts = offline_article(read.text, source=read.name, encoding=read.encoding)
    except SummariseError as exc:
        return _Prepared(read.name, None, None, None, None, None, str(exc))
    return _Prepared(
        read.name,
        read.text if keep_facts else None,  # the LLM engine needs the text; the offline one is done
        read.encoding,
        read.sha,
        article.model_dump_json(),
        facts if keep_facts else None,
        None,
        status_of(article),
    )


def prepare_llm_chunk(
    state: str, engine: str, prompts: str, retry_failed: bool, items: list[tuple[str, bytes | None]]
) -> list[_Prepared]:
    """Runs in a worker: several members per trip (one round of inter-process traffic for many
    articles), each read and hashed first. The offline engine (the model's hints, and the result
    kept if the model fails) runs only for a text the store holds no answer for that this run
    would take: a copy of a stored text comes back without it, for the runner to link. (Results
    are never deleted, so the runner finds the answer that made the copy known.)"""
    reads = [read_member(name, data) for name, data in items]
    keys = {r.sha: cache_key(r.sha, engine, prompts, SCHEMA_VERSION) for r in reads if r.sha}
    known = _worker_store(state).known_statuses(set(keys.values()), include_failed=not retry_failed)
    return [
        _Prepared(r.name, None, r.encoding, r.sha, None, None, None)
        if r.sha is not None and keys[r.sha] in known
        else prepare_read(r, True)
        for r in reads
    ]


def _chunks(
    items: Iterator[Member | Failure], size: Callable[[int], int], max_bytes: int = 4_000_000
) -> Iterator[list[Member | Failure]]:
    """Lists of items; `size(n)` says how many to take after the first n."""
    chunk: list[Member | Failure] = []
    held = taken = 0
    target = size(0)
    for item in items:
        chunk.append(item)
        held += len(item.data) if isinstance(item, Member) and item.data else 0
        if len(chunk) >= target or held >= max_bytes:
            taken += len(chunk)
            yield chunk
            chunk, held = [], 0
            target = size(taken)
    if chunk:
        yield chunk


_WORKER_STORES: dict[str, Store] = {}


def _worker_store(state: str) -> Store:
    """A worker's connection to the state store, opened once per worker process."""
    store = _WORKER_STORES.get(state)
    if store is None:
        store = _WORKER_STORES[state] = Store(Path(state))
    return store


_TEXT_BUDGET = 8_000_000  # characters of decoded text a worker holds at once


def _read_in_batches(members: list[tuple[str, bytes | None]], finished: dict[str, str]) -> Iterator[list[_Read]]:
    """The members not yet finished, read and decoded, in batches of at most `_TEXT_BUDGET`
    characters: a chunk of 256 files of 20 MB each is never held whole."""
    batch: list[_Read] = []
    held = 0
    for name, data in members:
        if name in finished:
            continue
        read = read_member(name, data)
        batch.append(read)
        held += len(read.text or "")
        if held >= _TEXT_BUDGET:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _engine_result(read: _Read, key: str) -> Result | str:
    """The offline engine's result for a text, or why there is none."""
    p = prepare_read(read, False)
    if p.sha is None or p.article_json is None:
        return p.error or "unreadable"
    return Result(key, p.sha, p.status, p.article_json, None)


def offline_chunk(
    state: str, engine: str, members: list[tuple[str, bytes | None]], failures: list[tuple[str, str]]
) -> dict[str, int]:
    """Runs in a worker: the offline engine for a chunk, stored in one commit (a kill loses at most
    this chunk, which the next run redoes). Writing here, not in the coordinating process, is
    what lets the batch keep pace with every core."""
    store = _worker_store(state)
    counts = {"ok": 0, "flagged": 0, "failed": len(failures), "cached": 0}
    finished = store.finished_sources([name for name, _ in members])
    # The engine runs once per text the store does not hold yet, outside the transaction so that
    # the other workers can commit meanwhile; a copy of a text (here, or stored by an earlier
    # chunk) is only linked to its result.
    known: dict[str, str] = {}
    computed: dict[str, Result | str] = {}  # a result, or why the engine failed on the text
    sources: list[tuple[str, str | None, str | None]] = []  # name, cache key, why it cannot be read
    for read in _read_in_batches(members, finished):
        keys = [cache_key(r.sha, engine, "-", SCHEMA_VERSION) if r.sha else None for r in read]
        known.update(store.known_statuses({k for k in keys if k and k not in known and k not in computed}))
        for r, key in zip(read, keys, strict=True):
            sources.append((r.name, key, r.error))
            if key is not None and key not in known and key not in computed:
                computed[key] = _engine_result(r, key)
    new: list[tuple[Result, str]] = []
    with store.transaction():
        for name, reason in failures:
            store.fail_source(name, reason)
        for name, _ in members:
            if name in finished:  # finished by an earlier, interrupted run
                counts["cached"] += 1
                counts[finished[name]] += 1
        for name, key, error in sources:
            outcome = computed.get(key) if key is not None else error
            if key is None or isinstance(outcome, str):  # every copy of a text fails alike
                store.fail_source(name, outcome if isinstance(outcome, str) else "unreadable")
                counts["failed"] += 1
                continue
            if key in known:  # the same text elsewhere, now or before: stored once
                store.link(name, key, known[key])
                counts["cached"] += 1
            elif outcome is not None:
                new.append((outcome, name))
                known[key] = outcome.status
            counts[known[key]] += 1
        store.save_many(new)
    return counts


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
        self._warming: asyncio.Task[AsyncExtractor] | None = None
        self._collector: tuple[int, ...] | None = None  # the collector's thresholds before _make_extractor
        self._on_progress = on_progress or (lambda tally, total: None)
        self._limiter = RateLimiter(options.rpm, options.tpm)
        self._llm_slots = asyncio.Semaphore(options.concurrency)
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        self._failed_this_run: set[str] = set()  # under --retry-failed, the keys that failed in this run
        self.total: int | None = None

    def key(self, sha: str) -> str:
        return cache_key(sha, self.engine_name, self.prompts, SCHEMA_VERSION)

    async def run(self, paths: list[str]) -> Tally:
        try:
            return await self._run(paths)
        finally:
            if self._warming is not None:  # a run that stopped early: the collector is set back after it
                await asyncio.wait([self._warming])
            if self._collector is not None:  # see _make_extractor
                gc.unfreeze()
                gc.set_threshold(*self._collector)

    async def _run(self, paths: list[str]) -> Tally:
        # Counted beside the work, not before it: the bar learns its total a moment later.
        counting = asyncio.create_task(asyncio.to_thread(count_members, paths, self.options.inputs))
        counting.add_done_callback(lambda t: setattr(self, "total", t.result()) if not t.exception() else None)
        llm = self.engine is Engine.LLM
        if llm:  # load the SDKs in a thread while the first articles are being prepared, not after
            self._warming = asyncio.create_task(asyncio.to_thread(self._make_extractor))
        size = 8 if llm else 256
        # Chunks in flight: enough to keep every worker busy and, since a chunk ends with its
        # slowest article, twice the chunks that fill the model slots.
        slots = 2 * -(-self.options.concurrency // size) + 1 if llm else 0
        gate = asyncio.Semaphore(2 * self.options.workers + slots)
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        with worker_pool(self.options.workers) as pool:
            for chunk in _chunks(find_members(paths, self.options.inputs), lambda n: self._chunk_size(size, n)):
                await gate.acquire()
                task = asyncio.create_task(self._chunk(chunk, pool, loop))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(lambda _: gate.release())
            await asyncio.gather(*tasks)
        if self._warming is not None:
            await self._warming
        await counting
        self._on_progress(self.tally, self.total)
        self.store.close()
        close = getattr(self._extractor, "aclose", None)
        if close is not None:
            await close()  # before the loop ends, or its connections complain at exit
        return self.tally

    def _chunk_size(self, size: int, taken: int) -> int:
        """Smaller chunks towards the end, once the total is known, so that no worker is left
        alone with a long last chunk while the others idle."""
        if self.total is None:
            return size
        left = self.total - taken
        return max(8, min(size, left // (2 * self.options.workers)))

    async def _chunk(
        self, chunk: list[Member | Failure], pool: ProcessPoolExecutor, loop: asyncio.AbstractEventLoop
    ) -> None:
        if self.engine is Engine.OFFLINE:  # the whole job, writes included, happens in a worker
            members = [(m.name, m.data) for m in chunk if isinstance(m, Member)]
            failures = [(f.name, f.reason) for f in chunk if isinstance(f, Failure)]
            state = str(self.store.path)
            counts = await loop.run_in_executor(pool, offline_chunk, state, self.engine_name, members, failures)
            for status in ("ok", "flagged", "failed"):
                setattr(self.tally, status, getattr(self.tally, status) + counts[status])
            self.tally.cached += counts["cached"]
            self._on_progress(self.tally, self.total)
            return
        todo: list[Member] = []
        finished = self.store.finished_sources([i.name for i in chunk if isinstance(i, Member)])
        with self.store.transaction():
            for item in chunk:
                if isinstance(item, Failure):
                    self.store.fail_source(item.name, item.reason)
                    self.tally.count("failed")
                elif item.name in finished:  # finished by an earlier, interrupted run
                    self.tally.cached += 1
                    self.tally.count(finished[item.name])
                else:
                    todo.append(item)
        self._on_progress(self.tally, self.total)
        if not todo:
            return
        items: list[tuple[str, bytes | None]] = [(m.name, m.data) for m in todo]
        prepared = await loop.run_in_executor(
            pool, prepare_llm_chunk, str(self.store.path), self.engine_name, self.prompts,
            self.options.retry_failed, items,
        )  # fmt: skip
        await asyncio.gather(*(self._one_and_report(p) for p in prepared))

    async def _one_and_report(self, prepared: _Prepared) -> None:
        try:
            await self._one(prepared)
        finally:
            self._on_progress(self.tally, self.total)

    async def _one(self, prepared: _Prepared) -> None:
        if prepared.sha is None:
            self.store.fail_source(prepared.name, prepared.error or "unreadable")
            self.tally.count("failed")
            return
        key = self.key(prepared.sha)
        if key in self._in_flight:  # the same text met twice in this run: processed once
            await self._in_flight[key]
        known = self.store.result(key)
        if known and (known.status != "failed" or not self.options.retry_failed or key in self._failed_this_run):
            self.store.link(prepared.name, key, known.status, known.error)
            self.tally.cached += 1
            self.tally.count(known.status)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = done
        try:
            result = await self._compute(prepared, key)
            self.store.save(result, prepared.name)
            if result.status == "failed" and self.options.retry_failed:
                self._failed_this_run.add(key)  # --retry-failed asks again about earlier runs' failures, not this one's
            self.tally.count(result.status)
        finally:
            done.set_result(None)
            del self._in_flight[key]

    async def _compute(self, prepared: _Prepared, key: str) -> Result:
        assert prepared.sha is not None
        assert prepared.article_json is not None
        assert prepared.text is not None
        assert prepared.facts is not None
        offline = Article.model_validate_json(prepared.article_json)
        assert self._warming is not None
        extractor = await self._warming  # waits without holding up the loop while the SDKs load
        text, name, encoding = prepared.text, prepared.name, prepared.encoding
        try:
            hints, check = llm_inputs(text, name, offline, prepared.facts, self.settings)
            # The slot is held for the request only: checking and storing the answer happen
            # after it is free, so the next request leaves at once.
            async with self._llm_slots:  # the rate limits are counted per HTTP request, by the client
                extraction = await extractor.extract(text, hints, check)
            article = llm_article(extraction, text, name, encoding, prepared.facts, offline, self.settings)
        except EngineFailed as exc:
            return Result(key, prepared.sha, "failed", exc.fallback.model_dump_json(), str(exc))
        except SummariseError as exc:  # no model answer (an error, or an article too long to send):
            fallback = failed_engine(exc, offline).fallback  # the offline result is kept, flagged
            return Result(key, prepared.sha, "failed", fallback.model_dump_json(), str(exc))
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

    def _make_extractor(self) -> AsyncExtractor:
        if self._extractor is None:
            from summarise.llm import AsyncLLMExtractor

            pace = self._limiter.acquire if self._limiter.active else None  # no hook when nothing to count
            self._extractor = AsyncLLMExtractor(self.settings, before_request=pace, in_flight=self.options.concurrency)
            # The SDKs leave ~400,000 long-lived objects (modules, schemas); each full pass of the
            # collector over them stalled the event loop for ~140 ms, and every request in flight
            # with it. Frozen, they are left out of those passes until the run ends.
            gc.freeze()
            # Requests in flight keep their objects alive across many young collections, so the
            # middle and oldest generations kept filling: at 64 in flight the collector took ~1 s
            # of a 24 s run (gen1 passes of 16 ms, three full ones of ~100 ms each). Collected
            # young ten times more rarely, it took ~0.5 s, with no full pass (GC callbacks, three
            # paired runs: 83.9-85.2% of 64 calls/s against 81.7-82.3%).
            self._collector = gc.get_threshold()
            gc.set_threshold(10_000, *self._collector[1:])
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
    require_inputs(paths)
    runner = BatchRunner(settings, options, extractor=extractor, on_progress=on_progress)
    return asyncio.run(runner.run(paths))
