"""Similar questions together, for the question inbox: "wat is een pabo?" and "Wat is de pabo" are one.

Two questions are alike when the matcher's normalisation (``normalize.tokens``: stemmed, synonyms and
abbreviations replaced, stop words dropped) reduces them to the same words, or to words that differ
by a typo or two (``rapidfuzz``). Pure: the inbox service passes plain tuples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process

from knowledge.normalize import fold, tokens

SIMILAR = 88.0  # rapidfuzz token_sort_ratio of the canonical words


@dataclass(frozen=True)
class Asked:
    id: int
    text: str
    at: datetime
    user_id: int | None = None


@dataclass(frozen=True)
class QuestionGroup:
    key: str
    questions: tuple[Asked, ...]  # newest first

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def newest(self) -> Asked:
        return self.questions[0]

    @property
    def text(self) -> str:
        """The way it was asked most often; of those, the newest."""
        counted = Counter(_plain(q.text) for q in self.questions)
        return max(self.questions, key=lambda q: (counted[_plain(q.text)], q.at, q.id)).text.strip()

    @property
    def variants(self) -> list[str]:
        """Every different way it was asked, the group's own text first."""
        seen = {_plain(self.text)}
        found = [self.text]
        for question in self.questions:
            if _plain(question.text) not in seen:
                seen.add(_plain(question.text))
                found.append(question.text.strip())
        return found


def _plain(text: str) -> str:
    return " ".join(fold(text).split()).rstrip("?!. ")


def group_key(text: str) -> str:
    return " ".join(sorted(set(tokens(text)))) or _plain(text)


def group_questions(questions: Sequence[Asked]) -> list[QuestionGroup]:
    """Groups of alike questions, most asked first, then the most recently asked."""
    keys: list[str] = []
    members: dict[str, list[Asked]] = {}
    for question in sorted(questions, key=lambda q: (q.at, q.id), reverse=True):
        key = group_key(question.text)
        if key not in members:
            # rapidfuzz compares with every group's key in C: thousands of open questions stay fast.
            close = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR)
            if close is None:
                keys.append(key)
                members[key] = []
            else:
                key = close[0]
        members[key].append(question)
    groups = [QuestionGroup(key, tuple(found)) for key, found in members.items()]
    return sorted(groups, key=lambda g: (-g.count, -g.newest.at.timestamp(), -g.newest.id))


__all__ = ["Asked", "QuestionGroup", "group_key", "group_questions"]
