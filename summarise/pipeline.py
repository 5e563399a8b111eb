"""Compose the stages: read -> normalise -> facts -> events -> [LLM -> cross-check] -> verify.

Input: a path or text, and optional `Settings`. Output: a verified `Article`. I/O only through
`sources` and, for the LLM engine, through the extractor it is given or builds.
This is the public Python API as well (`summarise_text`, `summarise_file`), for notebooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from summarise.errors import InputTooLarge, ProviderError, SummariseError
from summarise.facts import Facts, find_facts
from summarise.normalise import normalise, normalised_text
from summarise.offline import build_events
from summarise.people import build_people
from summarise.records import Article
from summarise.settings import Engine, Settings
from summarise.sources import DEFAULT_MAX_BYTES, SourceText, decode_bytes, read_source
from summarise.verify import verify_article

if TYPE_CHECKING:  # the LLM engine's modules load when a model is used, not for `summarise FILE`
    from summarise.drafts import CheckContext, Extraction


class Extractor(Protocol):
    """What the pipeline needs of a model: `llm.LLMExtractor`, or a fake in tests."""

    def extract(self, article: str, hints: list[str], check: CheckContext) -> Extraction: ...


class AsyncExtractor(Protocol):
    async def extract(self, article: str, hints: list[str], check: CheckContext) -> Extraction: ...


class EngineFailed(ProviderError):
    """The model failed; `fallback` is the offline engine's article, so no work is lost."""

    def __init__(self, cause: SummariseError, fallback: Article) -> None:
        super().__init__(str(cause))
        self.fallback = fallback


def offline_article(text: str, *, source: str = "<text>", encoding: str | None = None) -> tuple[Article, Facts]:
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
    return verify_article(text, article), facts


def summarise_text(
    text: str,
    *,
    source: str = "<text>",
    encoding: str | None = None,
    settings: Settings | None = None,
    extractor: Extractor | None = None,
) -> Article:
    """Summarise article text already in memory; offline unless settings select the LLM engine."""
    article, facts = offline_article(text, source=source, encoding=encoding)
    if settings is None or settings.resolved_engine() is Engine.OFFLINE:
        return article
    hints, check = llm_inputs(text, source, article, facts, settings)
    if extractor is None:
        from summarise.llm import LLMExtractor  # the SDKs load only when a model is used

        extractor = LLMExtractor(settings)
    try:
        extraction = extractor.extract(text, hints, check)
    except ProviderError as exc:
        raise failed_engine(exc, article) from None
    return llm_article(extraction, text, source, encoding, facts, article, settings)


def llm_inputs(
    text: str, source: str, article: Article, facts: Facts, settings: Settings
) -> tuple[list[str], CheckContext]:
    """What a model is sent beside the article (hints) and checked against (the context)."""
    from summarise.crosscheck import check_context

    _check_length(text, source, settings)
    return fact_hints(article), check_context(text, facts, article)


def _check_length(text: str, source: str, settings: Settings) -> None:
    if len(text) > settings.max_chars:
        raise InputTooLarge(
            source,
            f"{len(text):,} characters is above the LLM engine's limit of {settings.max_chars:,} "
            "(raise --max-chars, or use --engine offline)",
        )


def failed_engine(exc: SummariseError, article: Article) -> EngineFailed:
    """The model failed: the offline result, marked, travels with the error."""
    article.warnings.append(f"LLM engine failed ({exc}); this is the offline engine's result")
    return EngineFailed(exc, article)


def llm_article(
    extraction: Extraction,
    text: str,
    source: str,
    encoding: str | None,
    facts: Facts,
    offline: Article,
    settings: Settings,
) -> Article:
    warnings = []
    if extraction.malformed:
        warnings.append("the model's answer was cut off or malformed JSON; only the part that parsed is shown")
    if extraction.unresolved:
        warnings.append(
            f"after {settings.max_retries} re-ask(s) the model still disagreed with the source: "
            + "; ".join(extraction.unresolved[:5])
        )
    from summarise.crosscheck import build_article

    article = build_article(
        extraction.draft,
        source=text,
        name=source,
        encoding=encoding,
        facts=facts,
        offline=offline,
        model=settings.model,
        usage=extraction.usage,
        warnings=warnings,
    )
    if extraction.malformed:  # shown, flagged, and still an error: the model did not do its job
        raise EngineFailed(
            ProviderError("the model's output was malformed JSON; what parsed is shown, flagged"), article
        )
    return article


def fact_hints(article: Article) -> list[str]:
    """The pattern facts, one line each, given to the model as hints."""
    hints = []
    for r in article.rounds():
        for key in ("signed", "started", "commissioned", "total"):
            batch = getattr(r, key)
            for part in ("projects", "investment"):
                figure = getattr(batch, part) if batch else None
                if figure and figure.evidence:
                    hints.append(
                        f"{r.scope.name} phase {r.phase} {key} {part}: "
                        f"{figure.value:g} — “{_repaired(figure.evidence.quote)}”"
                    )
    for c in article.cumulative_totals():
        for part in ("projects", "investment"):
            figure = getattr(c, part)
            if figure and figure.evidence:
                hints.append(
                    f"{c.scope.name} cumulative through phase {c.through_phase} {part}: "
                    f"{figure.value:g} — “{_repaired(figure.evidence.quote)}”"
                )
    return hints


def _repaired(quote: str) -> str:
    """A quote as the model sees the article's words, without the PDF's line breaks."""
    return normalise(quote).text


def summarise_source(src: SourceText, settings: Settings | None = None) -> Article:
    return summarise_text(src.text, source=src.name, encoding=src.encoding, settings=settings)


def summarise_file(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, settings: Settings | None = None
) -> Article:
    """Read, decode and summarise one file ('-' is standard input)."""
    return summarise_source(read_source(path, max_bytes=max_bytes), settings)


def summarise_bytes(data: bytes, *, name: str = "<bytes>", settings: Settings | None = None) -> Article:
    return summarise_source(decode_bytes(data, name=name), settings)


def _headline(text: str) -> str | None:
    """The first short line naming the campaign; PDF pages put headlines first or last."""
    for line in text.splitlines():
        line = line.strip()
        if (
            6 <= len(line) <= 40
            and "批" in line  # the same in every form of the name: rules out most lines cheaply
            and "三个一批" in normalised_text(line)
            and not line.endswith(("。", "，", ","))
        ):
            return line
    return None
