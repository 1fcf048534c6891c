"""The knowledge overlay: entries a partnership added without editing the YAML files.

Contact persons, schools and question/answer pairs come from an import (``python -m bot kb import``)
or from a coordinator's answer in the question inbox. They are stored elsewhere (the database) and
reach this package as plain data (``OverlayItem``). Each item becomes an ordinary entry of the
knowledge base format (the same dict ``kb export`` writes, validated by the same model), owned by its
partnership.

Overlay entries answer only the users of their own partnership: ``OverlaidMatcher`` answers them
from the YAML base plus their partnership's overlay, everyone else from the base alone, exactly as
before. A partnership without overlay entries is answered by the base index itself.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import ValidationError

from knowledge.answer import Answer
from knowledge.loader import KnowledgeBase, Problem, _with_school_answer
from knowledge.matcher import DEFAULT_THRESHOLD, Matcher, missing_detail
from knowledge.models import MAX_ID_LENGTH, Entry, EntryFile, School
from knowledge.normalize import fold, tokens, words

OverlayKind = Literal["contact", "school", "faq"]
KINDS: tuple[OverlayKind, ...] = ("contact", "school", "faq")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverlayItem:
    """One overlay entry as stored: its partnership, kind, natural key and fields (plain strings).

    ``fields`` per kind: contact ``naam, rol, school (an entry id or ""), e-mail, telefoon``; school
    ``naam, soort, plaats, concept, bestuur``; faq ``vraag, antwoord, trefwoorden`` (separated by
    ";") and ``bron``. ``source`` says where it came from (an import file, or the inbox).
    """

    partnership: str
    kind: OverlayKind
    key: str
    fields: Mapping[str, str]
    source: str
    entry_id: str = ""

    def __post_init__(self) -> None:
        if not self.entry_id:
            object.__setattr__(self, "entry_id", entry_id(self.kind, self.key))


KEY_LENGTH = 255  # the column knowledge_overlay.key


def slug(text: str) -> str:
    """'KC De Wegwijzer' -> 'kc-de-wegwijzer'."""
    return _NOT_SLUG.sub("-", fold(text)).strip("-")


def entry_id(kind: str, key: str) -> str:
    """The entry id of an overlay item: ``<kind>:<slug of the key>``, shortened with a hash of the key
    when it would not fit a button (60 characters)."""
    readable = slug(key) or "item"
    room = MAX_ID_LENGTH - len(kind) - 1
    if len(readable) <= room:
        return f"{kind}:{readable}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{kind}:{readable[: room - 9].strip('-')}-{digest}"


def natural_key(kind: str, fields: Mapping[str, str]) -> str:
    """What makes an item the same item on a second import (so it is updated, not duplicated).

    A contact: the person at a school (or at no school); a school: its type and name; a question:
    its canonical words, so "Wat is X?" and "wat is x" are one question.
    """
    if kind == "contact":
        school = fields.get("school", "").removeprefix("school:")
        key = f"{slug(fields['naam'])}-{school}" if school else slug(fields["naam"])
    elif kind == "school":
        key = slug(f"{fields.get('soort', '')} {fields['naam']}")
    else:
        key = " ".join(tokens(fields["vraag"])) or slug(fields["vraag"])
    return _bounded(key)


def _bounded(key: str) -> str:
    """A key that fits its column: a long one (a long question's words, abbreviations spelled out)
    keeps its start and gets a hash of the whole, so it still names one item."""
    if len(key) <= KEY_LENGTH:
        return key
    return f"{key[: KEY_LENGTH - 13]}#{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def _lower_first(text: str) -> str:
    """'Schoolopleider' -> 'schoolopleider', but 'BOC' stays 'BOC'."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def entry_dict(item: OverlayItem, kb: KnowledgeBase) -> dict[str, Any]:
    """The item in the knowledge base's YAML format (what ``kb export`` writes)."""
    f = item.fields
    found: dict[str, Any] = {"id": item.entry_id}
    if item.kind == "contact":
        school = kb.get(f.get("school", "")) if f.get("school") else None
        role = f["rol"].strip()
        at = f" van {school.title}" if school is not None else ""
        found["title"] = f"{f['naam']}, {_lower_first(role)}{at}"
        keywords = [f["naam"], f"{role} {f['naam']}"]
        if school is not None:
            keywords += [f"{role} {school.title}", f"contactpersoon {school.title}"]
            if school.school is not None and school.school.name != school.title:
                keywords.append(f"{role} {school.school.name}")
        found["keywords"] = keywords
        owner = kb.partnerships.get(item.partnership)
        if school is not None or owner is None:
            lines = [f"De {_lower_first(role)}{at} is {f['naam']}."]
        else:
            lines = [f"{f['naam']} is {_lower_first(role)} van {owner.short_name}."]
        if f.get("e-mail"):
            lines.append(f"E-mail: {f['e-mail']}")
        if f.get("telefoon"):
            lines.append(f"Telefoon: {f['telefoon']}")
        found["answer"] = "\n".join(lines)
    elif item.kind == "school":
        title = " ".join(part for part in (f.get("soort", ""), f["naam"]) if part)
        found["title"] = title
        described = {"name": f["naam"]}
        for column, key in (("soort", "type"), ("plaats", "place"), ("concept", "concept"), ("bestuur", "bestuur")):
            if f.get(column):
                described[key] = f[column]
        found["school"] = described
    else:
        found["title"] = f["vraag"].strip()
        found["keywords"] = [k.strip() for k in f.get("trefwoorden", "").split(";") if k.strip()]
        found["answer"] = f["antwoord"].strip()
    found["source"] = f.get("bron") or item.source
    return found


def overlay_entries(
    kb: KnowledgeBase, items: Iterable[OverlayItem], problems: list[Problem] | None = None
) -> list[Entry]:
    """The items of one partnership as entries; an item that would clash with the base (its id is
    taken) or that does not validate is left out and reported in ``problems``."""
    found: list[Entry] = []
    seen = set(kb.by_id)
    for item in items:
        data = entry_dict(item, kb)
        where = f"overlay {item.partnership}"
        if item.entry_id in seen:
            if problems is not None:
                problems.append(Problem(where, 1, f"{item.entry_id}: dit id bestaat al in de kennisbank"))
            continue
        try:
            parsed = EntryFile.model_validate(data)
        except ValidationError as exc:
            if problems is not None:
                problems.append(Problem(where, 1, f"{item.entry_id}: {exc.errors()[0]['msg']}"))
            continue
        seen.add(item.entry_id)
        school = School(**parsed.school.model_dump()) if parsed.school else None
        sources = (parsed.source,) if isinstance(parsed.source, str) else tuple(parsed.source or ())
        entry = Entry(
            id=parsed.id,
            title=parsed.title.strip(),
            keywords=tuple(parsed.keywords),
            answer=(parsed.answer or "").strip(),
            sources=sources,
            partnership=item.partnership,
            school=school,
            location=where,
        )
        found.append(_with_school_answer(entry, kb.partnerships))
    return found


def with_overlay(kb: KnowledgeBase, items: Sequence[OverlayItem]) -> KnowledgeBase:
    """The base knowledge base plus the overlay entries (of one partnership); an item that cannot be
    an entry (checked at import, so only after a hand edit of the table) is logged and left out."""
    problems: list[Problem] = []
    schools = [i for i in items if i.kind == "school"]
    # Schools first: a contact's title names its school, which may come from the overlay too.
    with_schools = replace(kb, entries=(*kb.entries, *overlay_entries(kb, schools, problems)))
    others = overlay_entries(with_schools, [i for i in items if i.kind != "school"], problems)
    if problems:  # not which: an id may hold a person's name, and the log holds no names
        logger.warning("%d overlay items left out: their id is taken or they are not valid entries", len(problems))
    return replace(with_schools, entries=(*with_schools.entries, *others))


class OverlaidMatcher(Matcher):
    """The base matcher for everyone; a partnership with overlay entries answers its own users from
    the base plus its overlay (``own``). Built off the event loop (see bot/services/knowledge.py)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        items: Sequence[OverlayItem],
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        super().__init__(kb, threshold)
        by_partnership: dict[str, list[OverlayItem]] = {}
        for item in items:
            if item.partnership in kb.partnerships:
                by_partnership.setdefault(item.partnership, []).append(item)
        self.own: dict[str, Matcher] = {
            slug: Matcher(with_overlay(kb, own), threshold) for slug, own in sorted(by_partnership.items())
        }
        self.overlay_ids = frozenset(i.entry_id for i in items)

    def for_partnership(self, partnership: str | None) -> Matcher:
        """The index that answers a user of ``partnership``."""
        return self.own.get(partnership or "", self)

    def match(self, question: str, partnership: str | None = None, previous: str | None = None) -> Answer:
        own = self.own.get(partnership or "")
        if own is None:
            return super().match(question, partnership, previous)
        answer = own.match(question, partnership, previous)
        return self._contact_detail(own, question, answer, partnership) or answer

    def _contact_detail(self, own: Matcher, question: str, answer: Answer, partnership: str | None) -> Answer | None:
        """'Wat is het e-mailadres van de schoolopleider van ...': the base has no e-mail addresses and
        says so, but an imported contact may have one. Then the contact is the answer."""
        if answer.kind != "fallback" or not answer.suggestions or answer.confidence < own.threshold:
            return None
        if missing_detail(words(question)) is None:
            return None
        best = own.kb.get(answer.suggestions[0].id)
        if best is None or best.kind != "contact" or best.id not in self.overlay_ids:
            return None
        return own.answer_entry(best.id, partnership)

    def answer_entry(self, entry_id: str, partnership: str | None = None) -> Answer | None:
        own = self.own.get(partnership or "")
        return own.answer_entry(entry_id, partnership) if own else super().answer_entry(entry_id, partnership)

    def find_schools(self, name: str, partnership: str | None = None, limit: int = 5) -> list[Entry]:
        own = self.own.get(partnership or "")
        return own.find_schools(name, partnership, limit) if own else super().find_schools(name, partnership, limit)


def build_matcher(kb: KnowledgeBase, items: Sequence[OverlayItem], threshold: float = DEFAULT_THRESHOLD) -> Matcher:
    """The matcher for the base plus an overlay: the plain base index when the overlay is empty."""
    return OverlaidMatcher(kb, items, threshold) if items else Matcher(kb, threshold)


def scoped(matcher: Matcher, partnership: str | None) -> Matcher:
    """The index that answers a user of ``partnership``: with its overlay, when it has one."""
    return matcher.for_partnership(partnership) if isinstance(matcher, OverlaidMatcher) else matcher


def lookup(matcher: Matcher, entry_id: str) -> Entry | None:
    """An entry of the base or of any partnership's overlay (a school button from onboarding)."""
    found = matcher.kb.get(entry_id)
    if found is None and isinstance(matcher, OverlaidMatcher):
        found = next((own.kb.get(entry_id) for own in matcher.own.values() if own.kb.get(entry_id)), None)
    return found


def partnership_schools(matcher: Matcher, partnership: str) -> list[Entry]:
    """The schools (base and overlay) a user of ``partnership`` can be answered about."""
    return [e for e in scoped(matcher, partnership).kb.schools if e.partnership == partnership]


def resolve_school(matcher: Matcher, partnership: str, text: str) -> Entry | list[Entry]:
    """The school of ``partnership`` that ``text`` names (an id, its title or its name), or the
    candidates (possibly none) when it is not clear which one is meant."""
    wanted = text.strip()
    schools = partnership_schools(matcher, partnership)
    by_id = [e for e in schools if e.id == wanted]
    if by_id:
        return by_id[0]
    folded = fold(" ".join(wanted.split()))
    exact = [
        e
        for e in schools
        if folded in {fold(e.title), fold(e.school.name if e.school else ""), fold(school_label_of(e))}
    ]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        return exact
    found = [e for e in scoped(matcher, partnership).find_schools(wanted, partnership) if e.partnership == partnership]
    return found[0] if len(found) == 1 else found


def school_label_of(entry: Entry) -> str:
    school = entry.school
    return f"{entry.title} {school.place}" if school is not None and school.place else entry.title


__all__ = [
    "KINDS",
    "OverlaidMatcher",
    "OverlayItem",
    "OverlayKind",
    "build_matcher",
    "entry_dict",
    "entry_id",
    "lookup",
    "natural_key",
    "overlay_entries",
    "resolve_school",
    "scoped",
    "slug",
    "with_overlay",
]
