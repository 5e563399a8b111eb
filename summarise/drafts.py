"""What the model fills in: draft records whose field descriptions are prompt text.

Input: the model's JSON. Output: `DraftArticle`. Pure.
Kept apart from the domain records (`records.py`), which add offsets and verification status.
While a `CheckContext` is set with `checking()`, each figure must be quoted from the source and
its quote must state it, each round must agree with the figures the patterns found, and every
number in the English prose must be a number of the source; the messages are what instructor
sends back to the model when it re-asks.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from summarise.numerals import Qualifier
from summarise.prose import ProseFacts, check_prose
from summarise.records import Article, Evidence, Figure, Status, Unit, Usage
from summarise.verify import check_figure


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a draft is checked against: the original text and the offline engine's records."""

    source: str
    facts: Article
    prose_facts: ProseFacts
    round_problems: Callable[[DraftRound], list[str]]


# Not pydantic's `context=`: instructor also uses that dict as Jinja variables and renders every
# message as a template, which would rewrite (or break on) an article holding "{{", "{%" or "{#".
# A context variable is private to its thread and to its asyncio task, so concurrent requests
# each see their own article.
_CHECKING: ContextVar[CheckContext | None] = ContextVar("checking", default=None)


@contextmanager
def checking(check: CheckContext) -> Iterator[None]:
    """Drafts validated inside this block are cross-checked against `check`."""
    token = _CHECKING.set(check)
    try:
        yield
    finally:
        _CHECKING.reset(token)


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _DraftFigure(_Draft):
    quote: str = Field(description="Text copied exactly from the article that states this number.")
    _unit = Unit.PROJECTS

    @model_validator(mode="after")
    def _quoted_from_source(self) -> _DraftFigure:
        ctx = _CHECKING.get()
        if ctx is not None:
            figure = self.to_figure()
            status, note = check_figure(ctx.source, figure)
            if status is not Status.VERIFIED:
                raise ValueError(f"{note}: quote {self.quote!r} with value {figure.value:g}")
        return self

    @abstractmethod
    def to_figure(self) -> Figure:
        """The domain figure, with the quote as evidence (offsets found by the verifier)."""


class DraftCount(_DraftFigure):
    value: int = Field(description="Number of projects (个).")

    def to_figure(self) -> Figure:
        return Figure(
            value=self.value, unit=Unit.PROJECTS, as_written=f"{self.value}个", evidence=Evidence(quote=self.quote)
        )


class DraftMoney(_DraftFigure):
    value: float = Field(description="Amount in 亿元 (CNY 100 million): 13.87万亿元 is 138700, 8500万元 is 0.85.")
    qualifier: Qualifier = Field(
        default=Qualifier.EXACT, description="more_than for 超/逾/余/多/以上, nearly for 近, about for 约, else exact."
    )

    def to_figure(self) -> Figure:
        return Figure(
            value=self.value,
            unit=Unit.YI_YUAN,
            qualifier=self.qualifier,
            as_written=f"{self.value:g}亿元",
            evidence=Evidence(quote=self.quote),
        )


class DraftBatch(_Draft):
    projects: DraftCount | None = None
    investment: DraftMoney | None = Field(default=None, description="Total investment of the batch, in 亿元.")


class DraftRound(_Draft):
    scope: str = Field(description="'河南省' for the province, else the city or county in Chinese, e.g. '郑州市'.")
    phase: int | None = Field(default=None, description="The phase number N of 第N期.")
    date: str | None = Field(default=None, description="Date of the activity, YYYY-MM-DD.")
    signed: DraftBatch | None = Field(default=None, description="签约一批")
    started: DraftBatch | None = Field(default=None, description="开工一批")
    commissioned: DraftBatch | None = Field(default=None, description="投产一批 or 结转投产")
    total: DraftBatch | None = Field(default=None, description="A stated total of the round, if any.")

    @model_validator(mode="after")
    def _agrees_with_patterns(self) -> DraftRound:
        ctx = _CHECKING.get()
        if ctx is None:
            return self
        problems = ctx.round_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class DraftCumulative(_Draft):
    scope: str = Field(description="'河南省' or the city, in Chinese.")
    through_phase: int | None = Field(default=None, description="Number of phases the totals cover.")
    projects: DraftCount | None = None
    investment: DraftMoney | None = None


class DraftPerson(_Draft):
    name: str = Field(description="Name in simplified Chinese.")
    title: str | None = Field(default=None, description="Title in Chinese as written, e.g. 省委书记.")
    title_english: str | None = None


class DraftArticle(_Draft):
    headline_english: str = Field(description="One-line English headline with the key figures.")
    key_points: list[str] = Field(
        default_factory=list, description="Two to five English sentences: what was decided, by whom, the policy points."
    )
    rounds: list[DraftRound] = Field(default_factory=list)
    cumulative: list[DraftCumulative] = Field(default_factory=list)
    people: list[DraftPerson] = Field(default_factory=list)

    @model_validator(mode="after")
    def _prose_numbers_are_facts(self) -> DraftArticle:
        ctx = _CHECKING.get()
        if ctx is None:
            return self
        problems = []
        for text in (self.headline_english, *self.key_points):
            for number in check_prose(text, ctx.prose_facts):
                if number.status is not Status.VERIFIED:
                    problems.append(f"{number.note} (in {text!r})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def parse_unchecked(raw: str | dict[str, Any]) -> DraftArticle:
    """A draft without the cross-check, to keep and flag what the re-asks could not fix."""
    if isinstance(raw, str):
        return DraftArticle.model_validate_json(raw)
    return DraftArticle.model_validate(raw)


@dataclass(slots=True)
class Extraction:
    """What an extractor returns: the draft, token usage, and failures the re-asks left."""

    draft: DraftArticle
    usage: Usage
    unresolved: list[str] = field(default_factory=list)
    malformed: bool = False  # the answer was cut off or broken JSON; `draft` holds what parsed
