"""The agenda's categories, and which questions the agenda answers ("wanneer is de volgende
intervisie?"), recognised without any heavy import, so ``python -m bot ask`` stays fast otherwise."""

from __future__ import annotations

import re

CATEGORIES: dict[str, str] = {
    "intervisie": "intervisie",
    "mentortraining": "mentortraining",
    "partnerscholendag": "partnerscholendag",
    "overig": "overige bijeenkomsten",
}
WHEN = re.compile(r"\b(wanneer|welke\s+datum|hoe\s+laat|welke\s+dag|eerstvolgende|volgende|komende)\b", re.IGNORECASE)
CATEGORY_WORDS = (
    ("partnerscholendag", re.compile(r"partner\s*scholen\s*dag", re.IGNORECASE)),
    ("mentortraining", re.compile(r"mentor\s*(training|scholing|bijeenkomst)", re.IGNORECASE)),
    ("intervisie", re.compile(r"intervisie", re.IGNORECASE)),
)


def agenda_category(question: str) -> str | None:
    """The category a question asks the date of, or None for any other question.

    Only a question about *when* ("wanneer", "volgende", "welke datum") counts; "wat is intervisie"
    stays with the knowledge base.
    """
    if not WHEN.search(question):
        return None
    return next((category for category, words in CATEGORY_WORDS if words.search(question)), None)
