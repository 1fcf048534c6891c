"""Turn entries into the Dutch answer text a user reads (plain text; the chat layer escapes it)."""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.models import GENERAL, Entry, Partnership, School

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
    text = " ".join(lines)
    if partnership:
        text += f"\n\nWil je er stage lopen of meer weten? {partnership.where_to_ask}"
    return text


def entry_text(entry: Entry, partnerships: dict[str, Partnership], scope: str | None, asker: str | None = None) -> str:
    """The entry's answer, with what the partnerships' own sources add.

    ``scope`` is the partnership the question is about (the asker's, or one named in the question):
    only its addition is shown, or every addition when it is unknown. A general answer says it is
    general, and says so when the partnership's source adds nothing. An answer of another partnership
    than the ``asker``'s starts with that partnership's name, once.
    """
    owner = partnerships.get(entry.partnership or "")
    if owner is not None and entry.partnership != asker and entry.school is None:
        parts = [f"{owner.short_name}: {entry.answer}"]
    elif entry.partnership is None and GENERAL in entry.sources:
        parts = [f"Algemeen: {entry.answer}"]
    else:
        parts = [entry.answer]
    for slug, note in entry.per_partnership.items():
        if scope is None or slug == scope:
            parts.append(f"In {_short_name(partnerships, slug)}: {note.strip()}")
    if entry.partnership is None and scope is not None and scope not in entry.per_partnership:
        parts.append(f"De bron van {_short_name(partnerships, scope)} voegt hier niets aan toe.")
    return "\n\n".join(parts)


def _short_name(partnerships: dict[str, Partnership], slug: str) -> str:
    owner = partnerships.get(slug)
    return owner.short_name if owner else slug


def bullet_list(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)
