"""The two baselines the matcher is measured against, answering through the same ``Answer`` shape."""

from __future__ import annotations

import difflib

from rapidfuzz import fuzz, process

from knowledge import Answer, KnowledgeBase
from knowledge.render import entry_text


class _Scan:
    """Score every question string of every entry; the best entry answers if it clears ``cutoff``."""

    def __init__(self, kb: KnowledgeBase, cutoff: float) -> None:
        self.kb = kb
        self.cutoff = cutoff
        self.strings: list[str] = []
        self.owners: list[int] = []
        for index, entry in enumerate(kb.entries):
            for text in (entry.title, *entry.keywords):
                self.strings.append(text.lower())
                self.owners.append(index)

    def best(self, question: str) -> tuple[int, float]:
        raise NotImplementedError

    def match(self, question: str, partnership: str | None = None) -> Answer:
        position, score = self.best(question.lower())
        entry = self.kb.entries[self.owners[position]]
        if score < self.cutoff:
            return Answer("Dat weet ik niet.", score, None, True, "fallback")
        return Answer(entry_text(entry, self.kb.partnerships, partnership), score, entry.id, False, "entry")


class DifflibScan(_Scan):
    """Standard library only: difflib's ratio against every string."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(kb, cutoff=0.6)

    def best(self, question: str) -> tuple[int, float]:
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(question)
        best_position, best_score = 0, -1.0
        for position, text in enumerate(self.strings):
            matcher.set_seq1(text)
            score = matcher.ratio()
            if score > best_score:
                best_position, best_score = position, score
        return best_position, best_score


class NaiveRapidfuzz(_Scan):
    """rapidfuzz's token_set_ratio against every string, without any Dutch normalisation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(kb, cutoff=0.6)

    def best(self, question: str) -> tuple[int, float]:
        found = process.extractOne(question, self.strings, scorer=fuzz.token_set_ratio)
        return (found[2], found[1] / 100) if found else (0, 0.0)
