"""Compose the stages: read -> normalise -> facts -> events -> verify -> Article.

Input: a path or text. Output: a verified `Article`. I/O only through `sources`.
This is the public Python API as well (`summarise_text`, `summarise_file`), for notebooks.
"""

from __future__ import annotations

from pathlib import Path

from summarise.facts import find_facts
from summarise.normalise import normalise
from summarise.offline import build_events, build_people
from summarise.records import Article
from summarise.sources import DEFAULT_MAX_BYTES, SourceText, decode_bytes, read_source
from summarise.verify import verify_article


def summarise_text(text: str, *, source: str = "<text>", encoding: str | None = None) -> Article:
    """Summarise article text already in memory with the offline engine."""
    nt = normalise(text)
    facts = find_facts(nt.text)
    events = build_events(nt, facts)
    article = Article(
        source=source,
        encoding=encoding,
        characters=len(text),
        engine="offline",
        is_campaign_report=any(e.type != "other_figure" for e in events),
        headline=_headline(text),
        events=events,
        people=build_people(nt, facts),
    )
    return verify_article(text, article)


def summarise_source(src: SourceText) -> Article:
    return summarise_text(src.text, source=src.name, encoding=src.encoding)


def summarise_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read, decode and summarise one file ('-' is standard input)."""
    return summarise_source(read_source(path, max_bytes=max_bytes))


def summarise_bytes(data: bytes, *, name: str = "<bytes>") -> Article:
    return summarise_source(decode_bytes(data, name=name))


def _headline(text: str) -> str | None:
    """The first short line naming the campaign; PDF pages put headlines first or last."""
    for line in text.splitlines():
        line = line.strip()
        if 6 <= len(line) <= 40 and "三个一批" in normalise(line).text and not line.endswith(("。", "，", ",")):
            return line
    return None
