"""A normalised page indexed for reading: its stories, sentences and clauses.

Input: a `NormalisedText` and its `Facts`. Output: positions and spans the assembly stages ask
about (which story, which sentence, which city a '我市' means). Pure.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter

from summarise import facts as F
from summarise.gazetteer import find_place
from summarise.normalise import NormalisedText
from summarise.records import Evidence


class Page:
    """Index of a normalised text: where stories and sentences start and end."""

    def __init__(self, nt: NormalisedText, facts: F.Facts) -> None:
        self.nt = nt
        self.text = nt.text
        self.facts = facts
        self.stories = [0, *facts.story_starts]
        self.ends = facts.sentence_ends
        self.campaign = facts.campaign_mentions
        counts = Counter(c for p in facts.places if (c := city_of(p.name)))
        self.main_city = counts.most_common(1)[0][0] if counts else None

    def story(self, pos: int) -> tuple[int, int]:
        k = bisect_right(self.stories, pos) - 1
        end = self.stories[k + 1] if k + 1 < len(self.stories) else len(self.text)
        return self.stories[k], end

    def sentence(self, pos: int) -> tuple[int, int]:
        k = bisect_left(self.ends, pos)
        start = self.ends[k - 1] + 1 if k > 0 else 0
        end = self.ends[k] if k < len(self.ends) else len(self.text)
        return start, end

    def clause_prefix(self, pos: int) -> str:
        start = self.sentence(pos)[0]
        return re.split(r"[,;:]", self.text[start:pos])[-1]

    def story_city(self, pos: int) -> str | None:
        a, _ = self.story(pos)
        before = [c for p in self.facts.places if a <= p.start < pos and (c := city_of(p.name))]
        return before[-1] if before else self.main_city

    def has_campaign(self, a: int, b: int) -> bool:
        k = bisect_left(self.campaign, a)
        return k < len(self.campaign) and self.campaign[k] < b

    def evidence(self, start: int, end: int) -> Evidence:
        a, b = self.nt.to_original(start, end)
        return Evidence(quote=self.nt.original[a:b], start=a, end=b)


def city_of(name: str) -> str | None:
    """The prefecture-level city of a place name (a county belongs to its city)."""
    place = find_place(name)
    return place.city if place else None
