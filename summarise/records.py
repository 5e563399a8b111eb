"""The typed records every engine produces: the single source of truth for the JSON Schemas.

Pure pydantic v2 models, no I/O. Every number is a `Figure` that carries its evidence (a quote and
its `start`/`end` offsets into the ORIGINAL text) and its verification status, so that a reader
can find it and a renderer can flag it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from summarise.numerals import Qualifier

SCHEMA_VERSION = "1.0"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Status(StrEnum):
    """How a figure stands against the source text."""

    VERIFIED = "verified"  # the quote is in the source at its offsets and states the value
    MISMATCH = "mismatch"  # the source states another value than the record
    UNSUPPORTED = "unsupported"  # no quote, or the quote is not in the source
    MISSED_BY_MODEL = "missed_by_model"  # found by the patterns, absent from the model's records
    UNCHECKED = "unchecked"  # not yet verified


class Unit(StrEnum):
    PROJECTS = "projects"
    YI_YUAN = "yi_yuan"  # 亿元, CNY 100 million
    PERCENT = "percent"


class Evidence(Record):
    quote: str = Field(description="The source text, exactly as in the original file.")
    start: int | None = Field(
        default=None, ge=0, description="Offset of the quote in the original text; None when the quote is not in it."
    )
    end: int | None = Field(default=None, ge=0, description="End offset (exclusive) in the original text.")


class Figure(Record):
    value: float
    unit: Unit
    qualifier: Qualifier = Qualifier.EXACT
    as_written: str = Field(description="The number as the source writes it, e.g. '13.87万亿元'.")
    evidence: Evidence | None = None
    status: Status = Status.UNCHECKED
    note: str | None = Field(default=None, description="Why the figure is not verified.")


class Batch(Record):
    projects: Figure | None = None
    investment: Figure | None = None


class Scope(Record):
    name: str = Field(description="Canonical simplified name: 河南省, 郑州市.")
    english: str
    level: Literal["province", "city", "county", "unknown"]
    as_found: str | None = Field(default=None, description="How the text names it: 我市, 郑州分会场.")


class EventDate(Record):
    value: dt.date | None = Field(default=None, description="ISO date; None when the year is unknown.")
    month: int
    day: int
    year_inferred: bool = False
    reason: str | None = Field(default=None, description="Where an inferred year comes from.")
    evidence: Evidence | None = None


class CampaignRound(Record):
    """One numbered round of a campaign at one scope: the province, or a city's sub-venue."""

    type: Literal["campaign_round"] = "campaign_round"
    campaign: str = "三个一批"
    campaign_english: str = "Three Batches"
    phase: int | None = None
    phase_evidence: Evidence | None = None
    date: EventDate | None = None
    scope: Scope
    signed: Batch | None = None
    started: Batch | None = None
    commissioned: Batch | None = None
    total: Batch | None = None


class CumulativeTotal(Record):
    """Totals over several rounds ('连续十三期…共涉及18653个项目')."""

    type: Literal["cumulative_total"] = "cumulative_total"
    campaign: str = "三个一批"
    scope: Scope
    through_phase: int | None = None
    projects: Figure | None = None
    investment: Figure | None = None
    signed: Batch | None = None
    started: Batch | None = None
    commissioned: Batch | None = None


class OtherFigure(Record):
    """A number that is not a round's or a cumulative total: a venue, a sector, a share."""

    type: Literal["other_figure"] = "other_figure"
    label: str = Field(description="What the figure measures, in English.")
    context: str = Field(description="The clause around it, repaired for reading; the quote is in evidence.")
    figure: Figure


Event = Annotated[CampaignRound | CumulativeTotal | OtherFigure, Field(discriminator="type")]


class Person(Record):
    name: str = Field(description="Simplified Chinese name.")
    as_found: str = Field(description="The name as written in the source (may be traditional).")
    pinyin: str
    title: str | None = Field(default=None, description="Chinese title as written, e.g. 省委书记.")
    title_english: str | None = None
    evidence: Evidence


class ProseNumber(Record):
    """A number in the model's English prose, checked against the source's facts."""

    written: str
    value: float
    status: Status
    note: str | None = None


class Statement(Record):
    text: str
    numbers: list[ProseNumber] = Field(default_factory=list)


class Summary(Record):
    """What only a model can give: an English headline and key points, their numbers checked."""

    headline: Statement
    key_points: list[Statement] = Field(default_factory=list)


class AttemptUsage(Record):
    attempt: int
    prompt_tokens: int
    completion_tokens: int


class Usage(Record):
    model: str
    attempts: list[AttemptUsage] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="Estimate from the price table, if the model is in it.")


class Verification(Record):
    verified: int = 0
    mismatch: int = 0
    unsupported: int = 0
    missed_by_model: int = 0
    unchecked: int = 0
    prose_flagged: int = Field(default=0, description="Numbers in the English prose that match no fact of the source.")

    @property
    def total(self) -> int:
        return self.verified + self.mismatch + self.unsupported + self.missed_by_model + self.unchecked

    @property
    def unverified(self) -> int:
        return self.total - self.verified


class Article(Record):
    """Everything the tool knows about one article."""

    schema_version: str = SCHEMA_VERSION
    source: str
    encoding: str | None = None
    characters: int
    engine: str = Field(description="'offline', or 'llm:<model>'.")
    is_campaign_report: bool
    headline: str | None = Field(default=None, description="The source headline, as found.")
    events: list[Event] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    summary: Summary | None = None
    verification: Verification = Field(default_factory=Verification)
    usage: Usage | None = None
    warnings: list[str] = Field(default_factory=list)

    def rounds(self) -> list[CampaignRound]:
        return [e for e in self.events if isinstance(e, CampaignRound)]

    def cumulative_totals(self) -> list[CumulativeTotal]:
        return [e for e in self.events if isinstance(e, CumulativeTotal)]

    def other_figures(self) -> list[OtherFigure]:
        return [e for e in self.events if isinstance(e, OtherFigure)]


class BatchRecord(Record):
    """One article of a batch as written out: a line of articles.jsonl and articles/<hash>.json."""

    text_hash: str = Field(description="SHA-256 of the decoded text; the same text is one record.")
    sources: list[str] = Field(description="Every file or archive!member that held this text.")
    status: str = Field(description="'ok', 'flagged' (some figure or warning to check) or 'failed'.")
    error: str | None = None
    article: Article | None = Field(default=None, description="Absent when nothing could be read.")
