"""Turn entries into the Dutch answer text a user reads (plain text; the chat layer escapes it)."""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.models import Entry, Partnership, School

SCHOOL_TYPES = {
    "KC": "kindcentrum",
    "SBO": "school voor speciaal basisonderwijs",
    "CBS": "christelijke basisschool",
}


def school_label(title: str, school: School) -> str:
    return f"{title} ({school.place})" if school.place else title


def school_answer(title: str, school: School, partnership: Partnership | None) -> str:
    owner = f" van het {partnership.name}" if partnership else ""
    where = f" in {school.place}" if school.place else ""
    lines = [f"{title}{where} is een opleidingsschool{owner}."]
    details = []
    if school.type in SCHOOL_TYPES:
        details.append(f"{school.type} staat voor {SCHOOL_TYPES[school.type]}")
    if school.concept:
        details.append(f"onderwijsconcept: {school.concept}")
    if school.bestuur:
        details.append(f"bestuur: {school.bestuur}")
    if details:
        lines.append(details[0][0].upper() + "; ".join(details)[1:] + ".")
    if not school.place:
        lines.append("De plaats van de school staat niet in de bron.")
    if partnership:
        lines.append(f"Wil je er stage lopen of meer weten? {partnership.where_to_ask}")
    return " ".join(lines)


def entry_text(entry: Entry, partnerships: dict[str, Partnership], scope: str | None) -> str:
    """The entry's answer, with what each partnership's own source adds.

    With a known partnership only its own addition is shown; without one every addition is shown,
    labelled, and an answer that belongs to one partnership says which.
    """
    parts = [entry.answer]
    if entry.partnership and entry.partnership != scope and entry.school is None:
        owner = partnerships.get(entry.partnership)
        if owner:
            parts[0] = f"[{owner.short_name}] {entry.answer}"
    for slug, note in entry.per_partnership.items():
        if scope is not None and slug != scope:
            continue
        owner = partnerships.get(slug)
        name = owner.short_name if owner else slug
        parts.append(f"In {name}: {note.strip()}")
    return "\n\n".join(parts)


def bullet_list(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)
