"""Find model and vendor names in prompts and answers, which would unblind a vote.

A vote whose prompt or answers name a model or vendor is kept but excluded from ratings: the
voter may have picked a side for its name. The terms are every catalog model's slug, name and
aliases, every organization's name and aliases, and the two models of the battle. Matching is
case-insensitive and on whole words: a term must not touch a letter, digit or underscore on
either side, so "Meta" matches "meta's" but not "metadata".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from modelvs.catalog.catalog import Catalog

# Terms shorter than this (a one-letter alias) would match ordinary words.
MIN_TERM_LENGTH = 2
MAX_REASON_LENGTH = 300


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A term found in one part of a battle."""

    term: str
    where: str

    def reason(self) -> str:
        """Return the exclusion reason stored with the vote."""
        return f"the {self.where} names {self.term!r}"[:MAX_REASON_LENGTH]


class IdentityMatcher:
    """Finds the first of a fixed set of model and vendor names in a text."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._pattern = _compile(tuple(sorted(_clean(terms))))

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> IdentityMatcher:
        terms: list[str] = []
        for model in catalog.models.values():
            terms += [model.slug, model.name, *model.aliases]
        for organization in catalog.organizations.values():
            terms += [organization.name, *organization.aliases]
        return cls(terms)

    def find(self, text: str | None, extra_terms: Iterable[str] = ()) -> str | None:
        """Return the first name found in ``text`` (as written there), else None."""
        if not text:
            return None
        for pattern in (self._pattern, _compile(tuple(sorted(_clean(extra_terms))))):
            found = pattern.search(text) if pattern is not None else None
            if found:
                return found.group(0)
        return None

    def find_in_battle(
        self,
        prompt: str | None,
        answer_a: str | None,
        answer_b: str | None,
        models: Iterable[str] = (),
    ) -> NameMatch | None:
        """Return the first name found in the prompt, then answer A, then answer B."""
        extra = tuple(models)
        for where, text in (("prompt", prompt), ("answer A", answer_a), ("answer B", answer_b)):
            term = self.find(text, extra)
            if term is not None:
                return NameMatch(term=term, where=where)
        return None


def _clean(terms: Iterable[str]) -> set[str]:
    return {term.strip() for term in terms if len(term.strip()) >= MIN_TERM_LENGTH}


@lru_cache(maxsize=256)
def _compile(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Longer terms first, so that "Gamma API" is matched in preference to "Gamma".
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
