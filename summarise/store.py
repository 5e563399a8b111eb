"""The batch's memory: a content-addressed result cache and the state of the run, in SQLite.

Input: results of articles as they finish. Output: what is already done, for resuming and for
writing the outputs. Does I/O (one SQLite file in WAL mode; a lock file beside it, so that one
run at a time uses an output folder).
A result is keyed by the text's hash, the engine, the model, the prompt version and the schema
version, so the same article is never paid for twice and a changed prompt is not served stale.
A run killed at any moment loses at most what was in flight: a model's answer is committed as
it arrives, the offline engine's results one chunk at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from summarise.errors import ConfigError, StateError

if sys.platform != "win32":
    import fcntl
else:  # no advisory locks there: two runs on one folder are the user's to avoid
    fcntl = None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    cache_key TEXT PRIMARY KEY,
    text_hash TEXT NOT NULL,
    status TEXT NOT NULL,            -- ok | flagged | failed
    article_json TEXT,
    error TEXT,
    model_calls INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_batches (
    id TEXT PRIMARY KEY,             -- a Batch API job
    status TEXT NOT NULL,            -- submitted | collected
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    custom_id TEXT PRIMARY KEY,      -- the request's id inside its Batch API job
    batch_id TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    names TEXT NOT NULL,             -- JSON list of the sources with this text
    text TEXT NOT NULL,
    encoding TEXT
);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,           -- the file, or archive!member
    cache_key TEXT,                  -- NULL when the member could not be read at all
    status TEXT NOT NULL,            -- ok | flagged | failed
    error TEXT
);
"""


# Each source with its text's first source name and latest result, in the order the outputs use.
_LATEST_BY_TEXT = """
SELECT first, latest, name FROM (
    SELECT s.name,
           MIN(s.name) OVER (PARTITION BY r.text_hash) AS first,
           FIRST_VALUE(r.cache_key) OVER (
               PARTITION BY r.text_hash ORDER BY r.created DESC, r.rowid DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
           ) AS latest
    FROM sources s JOIN results r ON r.cache_key = s.cache_key
)
ORDER BY first, name
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(text_sha: str, engine: str, prompts: str, schema: str) -> str:
    return hashlib.sha256(f"{text_sha}|{engine}|{prompts}|{schema}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Result:
    cache_key: str
    text_hash: str
    status: str
    article_json: str | None
    error: str | None
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


def _unusable(folder: Path, exc: Exception) -> ConfigError:
    reason = "a file of that name is in the way" if folder.is_file() else getattr(exc, "strerror", None)
    return ConfigError(f"{folder}: not a folder the batch can keep its state in ({reason or exc})")


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """One batch at a time per output folder: two would write the same outputs at once, each
    clearing the other's half-written files. The kernel drops the lock when the process ends,
    kill -9 included, so a killed run never leaves the folder locked."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / ".lock").open("a")
    except OSError as exc:
        raise _unusable(folder, exc) from exc
    with handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError(
                    f"{folder}: another summarise batch is writing there; wait for it or choose another --out"
                ) from None
        yield


def _damaged(path: Path, exc: Exception) -> StateError:
    return StateError(f"{path}: not a state store this program can use ({exc}); move it away to start afresh")


@contextmanager
def state_errors(folder: Path) -> Iterator[None]:
    """SQLite's errors met while a batch uses `folder`, as one line naming it: a damaged store
    says how to start afresh; a refused write (disk full, I/O) says what SQLite said."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StateError(f"{folder}: SQLite: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise _damaged(folder / "state.sqlite", exc) from exc


class Store:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        """`readonly`: for the processes that write the outputs, which only read the store. Not
        SQLite's mode=ro: such a connection cannot remove the WAL files when it closes last, and
        they would stay beside the store after every run."""
        self.path = path
        self._in_tx = False
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, check_same_thread=False)
            self.db.execute("PRAGMA query_only=ON")
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Worker processes write too: wait for the lock rather than fail on it.
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=120)
            # Records are ~4 KB of JSON: on 4 KB pages each one spills to an overflow page (a new
            # store only; an existing one keeps its page size). A third less time per insert.
            self.db.execute("PRAGMA page_size=16384")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.OperationalError) as exc:  # cannot be made, opened or written
            raise _unusable(path.parent, exc) from exc
        except sqlite3.DatabaseError as exc:  # the folder is fine, the file in it is not
            raise _damaged(path, exc) from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit; the writes inside do not commit on their own."""
        if self._in_tx:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")  # take the write lock now, so waiting for it can work
        self._in_tx = True
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self._in_tx = False

    def result(self, key: str) -> Result | None:
        row = self.db.execute(
            "SELECT cache_key, text_hash, status, article_json, error, model_calls, prompt_tokens, "
            "completion_tokens, cost_usd FROM results WHERE cache_key = ?",
            (key,),
        ).fetchone()
        return Result(*row) if row else None

    def save(self, result: Result, source: str) -> None:
        """Record a result and the source it came from, in one transaction."""
        self.save_many([(result, source)])

    def save_many(self, results: list[tuple[Result, str]]) -> None:
        """Record results with their sources, in one transaction."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.cache_key, r.text_hash, r.status, r.article_json, r.error, r.model_calls, r.prompt_tokens,
                     r.completion_tokens, r.cost_usd, now)
                    for r, _ in results
                ],
            )  # fmt: skip
            self.db.executemany(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                [(source, r.cache_key, r.status, r.error) for r, source in results],
            )

    def link(self, source: str, key: str, status: str, error: str | None = None) -> None:
        """Another source with an already-known result (a duplicate, or a cache hit)."""
        self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", (source, key, status, error))

    def fail_source(self, source: str, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, NULL, 'failed', ?)", (source, reason))

    def finished_sources(self, names: list[str]) -> dict[str, str]:
        """Of these sources, those an earlier run finished (not failed), with their status."""
        found: dict[str, str] = {}
        for start in range(0, len(names), 500):
            part = names[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT name, status FROM sources WHERE status != 'failed' AND name IN ({marks})", part
            )
            found.update({str(n): str(s) for n, s in rows})
        return found

    def known_statuses(self, keys: set[str], *, include_failed: bool = False) -> dict[str, str]:
        """Status of the results already stored under these keys."""
        found: dict[str, str] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(f"SELECT cache_key, status FROM results WHERE cache_key IN ({marks})", part)
            found.update({str(k): str(s) for k, s in rows if include_failed or s != "failed"})
        return found

    def latest_by_text(self) -> Iterator[tuple[str, list[str]]]:
        """(cache key, every source of its text) for each text with a result, ordered by the
        text's first source name; streamed, so memory stays flat however large the archive.

        One record per text: when sources of the same text point at results of different engines
        or models (a partial re-run with another engine), the latest result stands for all of them.
        """
        rows = self.db.execute(_LATEST_BY_TEXT)
        group: list[str] = []
        current: tuple[str, str] | None = None
        for first, key, name in rows:
            if current is not None and current[0] != first:
                yield current[1], group
                group = []
            current = (first, key)
            group.append(name)
        if current is not None:
            yield current[1], group

    def failures(self) -> list[tuple[str, str]]:
        """(source, reason) of every source that failed, in name order."""
        rows = self.db.execute("SELECT name, error FROM sources WHERE status = 'failed' ORDER BY name")
        return [(str(name), str(error or "")) for name, error in rows]

    def status_counts(self) -> dict[str, int]:
        """How many sources are ok, flagged and failed."""
        return {str(s): int(n) for s, n in self.db.execute("SELECT status, COUNT(*) FROM sources GROUP BY status")}

    def open_api_batch(self) -> str | None:
        row = self.db.execute(
            "SELECT id FROM api_batches WHERE status = 'submitted' ORDER BY created LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def record_api_batch(self, batch_id: str, pending: list[tuple[str, str, str, list[str], str, str | None]]) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            self.db.execute("INSERT INTO api_batches VALUES (?, 'submitted', ?)", (batch_id, now))
            self.db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (cid, batch_id, key, sha, json.dumps(names, ensure_ascii=False), text, enc)
                    for cid, key, sha, names, text, enc in pending
                ],
            )

    def pending(self, batch_id: str) -> list[tuple[str, str, str, list[str], str, str | None]]:
        rows = self.db.execute(
            "SELECT custom_id, cache_key, text_hash, names, text, encoding FROM pending "
            "WHERE batch_id = ? ORDER BY custom_id",
            (batch_id,),
        ).fetchall()
        return [(cid, key, sha, json.loads(names), text, enc) for cid, key, sha, names, text, enc in rows]

    def close_api_batch(self, batch_id: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE api_batches SET status = 'collected' WHERE id = ?", (batch_id,))
            self.db.execute("DELETE FROM pending WHERE batch_id = ?", (batch_id,))
