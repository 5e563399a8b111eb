"""Write a batch's outputs from its state store: files, JSONL, SQLite and Parquet tables.

Input: the batch's `state.sqlite`. Output: in the output folder, articles/<hash>.json and .md,
articles.jsonl, failures.jsonl, tables.sqlite and parquet/<table>.parquet. Does I/O.
Everything here is derived from the store and written to a temporary name, then moved, so however
often a run was interrupted each article appears exactly once. The per-article files of a first
write go into a fresh folder moved into place whole (no rename per file); later writes update that
folder in place, file by file, and leave a file alone when its text has not changed, so a second
run over a large archive neither rewrites nor deletes hundreds of thousands of files.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from contextlib import ExitStack, closing
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from summarise.records import Article, Batch, BatchRecord, CampaignRound, Figure
from summarise.render import Format, render
from summarise.store import Result, Store
from summarise.verify import figures
from summarise.workers import worker_pool

TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "articles": [
        ("text_hash", pa.string()), ("sources", pa.string()), ("status", pa.string()), ("engine", pa.string()),
        ("is_campaign_report", pa.bool_()), ("headline", pa.string()), ("rounds", pa.int64()),
        ("verified", pa.int64()), ("flagged", pa.int64()), ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()), ("cost_usd", pa.float64()), ("error", pa.string()),
    ],
    "rounds": [
        ("text_hash", pa.string()), ("round_index", pa.int64()), ("campaign", pa.string()), ("phase", pa.int64()),
        ("date", pa.string()), ("year_inferred", pa.bool_()), ("scope", pa.string()), ("scope_english", pa.string()),
        ("scope_level", pa.string()),
    ],
    "batches": [
        ("text_hash", pa.string()), ("round_index", pa.int64()), ("phase", pa.int64()), ("scope", pa.string()),
        ("batch", pa.string()), ("projects", pa.float64()), ("projects_status", pa.string()),
        ("projects_qualifier", pa.string()), ("investment_yi", pa.float64()), ("investment_status", pa.string()),
        ("investment_qualifier", pa.string()),
    ],
    "cumulative": [
        ("text_hash", pa.string()), ("scope", pa.string()), ("through_phase", pa.int64()),
        ("projects", pa.float64()), ("investment_yi", pa.float64()),
    ],
    "figures": [
        ("text_hash", pa.string()), ("value", pa.float64()), ("unit", pa.string()), ("qualifier", pa.string()),
        ("status", pa.string()), ("note", pa.string()), ("quote", pa.string()), ("start", pa.int64()),
        ("end", pa.int64()),
    ],
    "people": [
        ("text_hash", pa.string()), ("name", pa.string()), ("pinyin", pa.string()), ("title", pa.string()),
        ("title_english", pa.string()),
    ],
    "failures": [("source", pa.string()), ("reason", pa.string())],
}  # fmt: skip
T = TypeVar("T")
R = TypeVar("R")
_CHUNK = 5_000
_SLICE = 500  # articles per trip to a worker
_INDEXES = {
    "articles": ("text_hash",),
    "rounds": ("text_hash", "round_index"),
    "batches": ("text_hash", "round_index"),
    "figures": ("text_hash",),
}


class _Rows:
    """Table rows collected for a slice of articles, handed back to the writer in one piece."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.tables[table].append(row)


class _TableWriter:
    """Rows to SQLite and Parquet in chunks, so memory stays flat however large the archive."""

    def __init__(self, folder: Path) -> None:
        self.sqlite_tmp = folder / "tables.sqlite.tmp"
        self.sqlite_tmp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.sqlite_tmp)
        self.parquet_dir = _fresh_folder(folder / "parquet.tmp")
        self.folder = folder
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        self.writers: dict[str, pq.ParquetWriter] = {}
        for name, columns in TABLES.items():
            cols = ", ".join(f'"{c}"' for c, _ in columns)
            self.db.execute(f"CREATE TABLE {name} ({cols})")

    def add_many(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self.rows[table].extend(rows)
        if len(self.rows[table]) >= _CHUNK:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self.rows[table]
        if not rows:
            return
        columns = TABLES[table]
        marks = ", ".join("?" for _ in columns)
        self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        schema = pa.schema(columns)
        arrays = [pa.array([r[i] for r in rows], type=t) for i, (_, t) in enumerate(columns)]
        if table not in self.writers:
            self.writers[table] = pq.ParquetWriter(self.parquet_dir / f"{table}.parquet", schema)
        self.writers[table].write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.rows[table] = []

    def close(self) -> None:
        for table in TABLES:
            self._flush(table)
            if table not in self.writers:  # an empty table is still a table
                schema = pa.schema(TABLES[table])
                pq.write_table(schema.empty_table(), self.parquet_dir / f"{table}.parquet")
        for writer in self.writers.values():
            writer.close()
        for table, columns in _INDEXES.items():  # for the report's joins, and for users' queries
            self.db.execute(f"CREATE INDEX {table}_by_{'_'.join(columns)} ON {table} ({', '.join(columns)})")
        self.db.commit()
        self.db.close()
        os.replace(self.sqlite_tmp, self.folder / "tables.sqlite")
        _swap_in(self.parquet_dir, self.folder / "parquet")


def _write_slice(
    state: str, articles_dir: str, in_place: bool, items: list[tuple[str, list[str]]]
) -> tuple[str, dict[str, list[tuple[Any, ...]]], list[str]]:
    """Runs in a worker: the files of a slice of articles (their names are returned), and its JSONL
    lines and table rows."""
    write = _update if in_place else _write
    with closing(Store(Path(state), readonly=True)) as store:
        lines: list[str] = []
        rows = _Rows()
        files: list[str] = []
        for key, names in items:
            result = store.result(key)
            if result is None:
                continue
            sha, status, error = result.text_hash, result.status, result.error
            article = Article.model_validate_json(result.article_json) if result.article_json else None
            record = BatchRecord(text_hash=sha, sources=names, status=status, error=error, article=article)
            if article is not None:
                stem = os.path.join(articles_dir, sha[:16])
                write(f"{stem}.json", record.model_dump_json(indent=2) + "\n")
                write(f"{stem}.md", render(article, Format.MARKDOWN))
                files += [f"{sha[:16]}.json", f"{sha[:16]}.md"]
            lines.append(record.model_dump_json() + "\n")
            _rows(rows, result, names, article)
        return "".join(lines), rows.tables, files


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write(path: str, text: str) -> None:
    """Into a folder of its own that is moved into place whole: no temporary name needed."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _update(path: str, text: str) -> None:
    """Into the folder in use: atomically, and not at all when the file already holds `text`."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    _atomic_write(Path(path), text)


def _fresh_folder(path: Path) -> Path:
    """An empty folder at `path`, whatever an interrupted run left there."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _swap_in(new: Path, final: Path) -> None:
    """Put the folder `new` in the place of `final`. A kill between the two renames leaves
    `final` missing until the next run writes it again, never a mix of old and new files."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    shutil.rmtree(old, ignore_errors=True)


def _batched(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch


def _in_order(pool: Executor, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """`fn` over `items` in the pool, results in order, at most `window` in flight: results wait
    for the writer here, and so does their memory, however large the archive."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def write_outputs(out: Path, workers: int = 1) -> dict[str, int]:
    """Rewrite every output of the folder from its state store; returns row counts.

    Slices of articles are rendered by `workers` processes (each article's files, lines and
    rows); their results are written here in source order, so the output does not depend on
    how many there were."""
    state = out / "state.sqlite"
    final = out / "articles"
    in_place = final.is_dir()
    articles_dir = final if in_place else _fresh_folder(out / "articles.tmp")
    tables = _TableWriter(out)
    jsonl_tmp = out / "articles.jsonl.tmp"
    write_slice = partial(_write_slice, str(state), str(articles_dir), in_place)
    with (
        closing(Store(state, readonly=True)) as store,
        jsonl_tmp.open("w", encoding="utf-8") as jsonl,
        ExitStack() as stack,
    ):
        failures = store.failures()
        slices = _batched(store.latest_by_text(), _SLICE)
        first = list(islice(slices, 2))
        slices = chain(first, slices)
        if workers > 1 and len(first) > 1:
            done = _in_order(stack.enter_context(worker_pool(workers)), write_slice, slices, window=2 * workers)
        else:
            done = map(write_slice, slices)
        written = 0
        files: set[str] = set()
        for lines, rows, names in done:
            jsonl.write(lines)
            if in_place:
                files.update(names)
            written += len(rows["articles"])
            for table, table_rows in rows.items():
                tables.add_many(table, table_rows)
    if in_place:  # what a write killed half-way left, and files of articles no longer in the store
        for entry in os.scandir(final):
            if entry.name not in files:
                os.unlink(entry.path)
    else:
        _swap_in(articles_dir, final)
    os.replace(jsonl_tmp, out / "articles.jsonl")
    _atomic_write(
        out / "failures.jsonl",
        "".join(json.dumps({"source": n, "reason": r}, ensure_ascii=False) + "\n" for n, r in failures),
    )
    tables.add_many("failures", failures)
    tables.close()
    return {"articles": written, "failures": len(failures)}


def _rows(t: _Rows, result: Result, names: list[str], article: Article | None) -> None:
    sha, sources = result.text_hash, "\n".join(names)
    used = (result.prompt_tokens, result.completion_tokens, result.cost_usd)
    if article is None:
        t.add("articles", (sha, sources, result.status, None, None, None, 0, 0, 0, *used, result.error))
        return
    v = article.verification
    t.add("articles", (sha, sources, result.status, article.engine, article.is_campaign_report, article.headline,
                       len(article.rounds()), v.verified, v.unverified + v.prose_flagged, *used,
                       result.error))  # fmt: skip
    for index, r in enumerate(article.rounds()):
        _round_rows(t, sha, index, r)
    for c in article.cumulative_totals():
        t.add("cumulative", (sha, c.scope.name, c.through_phase, _value(c.projects), _value(c.investment)))
    for f in figures(article):
        ev = f.evidence
        t.add("figures", (sha, f.value, f.unit.value, f.qualifier.value, f.status.value, f.note,
                          ev.quote if ev else None, ev.start if ev else None, ev.end if ev else None))  # fmt: skip
    for p in article.people:
        t.add("people", (sha, p.name, p.pinyin, p.title, p.title_english))


def _round_rows(t: _Rows, sha: str, index: int, r: CampaignRound) -> None:
    date = r.date.value.isoformat() if r.date and r.date.value else None
    t.add(
        "rounds",
        (
            sha,
            index,
            r.campaign,
            r.phase,
            date,
            bool(r.date and r.date.year_inferred),
            r.scope.name,
            r.scope.english,
            r.scope.level,
        ),
    )
    for key in ("signed", "started", "commissioned", "total"):
        batch: Batch | None = getattr(r, key)
        if batch is None:
            continue
        p, i = batch.projects, batch.investment
        t.add("batches", (sha, index, r.phase, r.scope.name, key, _value(p), p.status.value if p else None,
                          p.qualifier.value if p else None, _value(i), i.status.value if i else None,
                          i.qualifier.value if i else None))  # fmt: skip


def _value(figure: Figure | None) -> float | None:
    return figure.value if figure else None
