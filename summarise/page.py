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

LOOKBACK = 200


class Page:
    """Index of a normalised text: where stories and sentences start and end."""

    def __init__(self, nt: NormalisedText, facts: F.Facts) -> None:
        self.nt = nt
        self.text = nt.text
        self.facts = facts
        self.stories = [0, *facts.story_starts]
        self.ends = facts.sentence_ends
        self.campaign = facts.campaign_mentions
        self.phases: tuple[list[F.Phase], list[F.Phase]] | None = None  # filled by the assembler
        self.place_starts = [p.start for p in facts.places]
        self._local: dict[int, bool] = {}
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

    def lookback(self, pos: int) -> int:
        """Where the words that qualify a figure can start: its sentence, at most 200 characters
        back (what says 全省 or 我市 stands near the number; a page with no full stops must not
        make every figure read the whole page)."""
        return max(self.sentence(pos)[0], pos - LOOKBACK)

    def clause_prefix(self, pos: int) -> str:
        return re.split(r"[,;:]", self.text[self.lookback(pos) : pos])[-1]

    def places_between(self, a: int, b: int) -> list[F.PlaceMention]:
        return self.facts.places[bisect_left(self.place_starts, a) : bisect_left(self.place_starts, b)]

    def story_city(self, pos: int) -> str | None:
        a, _ = self.story(pos)
        for p in reversed(self.places_between(a, pos)):
            if city := city_of(p.name):
                return city
        return self.main_city

    def story_is_local(self, pos: int) -> bool:
        """Does the story speak of a sub-venue or of 'our city'? Once per story."""
        a, b = self.story(pos)
        if a not in self._local:
            story = self.text[a:b]
            self._local[a] = "分会场" in story or any(w in story for w in ("我市", "全市", "本市"))
        return self._local[a]

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
