"""What the matcher returns: an answer with its confidence and how it was found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnswerKind = Literal["entry", "list", "ambiguous", "fallback", "invalid", "chitchat"]


@dataclass(frozen=True)
class Suggestion:
    id: str
    title: str


@dataclass(frozen=True)
class Answer:
    """``fallback`` is True whenever the bot does not give an answer it is confident about."""

    text: str
    confidence: float
    matched: str | None
    fallback: bool
    kind: AnswerKind
    suggestions: tuple[Suggestion, ...] = ()
    partnership: str | None = None
    explanation: str = ""
    title: str | None = None
    # The entry's see_also entries, offered as "Zie ook: ..." buttons.
    see_also: tuple[Suggestion, ...] = ()
    # The question this answer is about, follow-ups included: what a chat keeps as context.
    about: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "confidence": round(self.confidence, 3),
            "matched": self.matched,
            "fallback": self.fallback,
            "suggestions": [s.title for s in self.suggestions],
            "partnership": self.partnership,
        }
