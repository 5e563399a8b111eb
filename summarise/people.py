"""Officials of an article as records: each once, in order of first mention, fullest title.

Input: a `NormalisedText` and its `Facts`. Output: `Person` records. Pure.
"""

from __future__ import annotations

from summarise import facts as F
from summarise.glossary import title_english
from summarise.names import to_pinyin
from summarise.normalise import NormalisedText
from summarise.records import Evidence, Person


def build_people(nt: NormalisedText, facts: F.Facts) -> list[Person]:
    """Officials in order of first mention, each once, with the fullest title found."""
    by_name: dict[str, Person] = {}
    for p in facts.people:
        a, b = nt.to_original(p.start, p.end)
        known = by_name.get(p.name)
        if known is None:
            by_name[p.name] = Person(
                name=p.name,
                as_found=nt.original[a:b],
                pinyin=to_pinyin(p.name),
                title=p.title,
                title_english=title_english(p.title) if p.title else None,
                evidence=Evidence(quote=nt.original[a:b], start=a, end=b),
            )
        elif known.title is None and p.title:
            known.title, known.title_english = p.title, title_english(p.title)
    return list(by_name.values())
