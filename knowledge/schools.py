"""Structured questions about the opleidingsscholen, answered from the school fields, not from text.

'welke scholen in Assen', 'hoeveel daltonscholen', 'welke kindcentra doen mee', 'welke
onderwijsconcepten zijn er', 'scholen in Zwolle': the answer lists exactly the schools (or values)
that match, and says so honestly when none does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise, takewhile

from knowledge.answer import Answer, Suggestion
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry
from knowledge.normalize import canonical, fold, language, tokens, word_set
from knowledge.render import bullet_list

ARTICLES = frozenset({"een", "de", "het", "den"})
FIELDS = ("place", "concept", "type")
MAX_LISTED = 40  # a longer list helps nobody in a chat
FACET_TITLES = {"concept": "Onderwijsconcepten", "place": "Plaatsen", "type": "Soorten"}
FACET_NOUNS = {"concept": "onderwijsconcept", "place": "plaats", "type": "soort"}


@dataclass(frozen=True)
class SchoolWords:
    """The school questions' words from the language file, built on first use."""

    listing: frozenset[str]
    count: frozenset[str]
    place: frozenset[str]  # 'in Zwolle', 'te Assen'
    # A school type word that stands for several types: 'kindcentra' are KC, CKC and CDKC.
    type_groups: dict[str, tuple[str, ...]]
    # 'welke onderwijsconcepten', 'in welke plaatsen': a field asked for as a whole.
    facets: dict[str, frozenset[str]]


@cache
def school_words() -> SchoolWords:
    found = language()
    return SchoolWords(
        listing=word_set("list"),
        count=word_set("count"),
        place=word_set("place_prepositions"),
        type_groups={canonical(fold(g)): tuple(members) for g, members in found.type_groups.items()},
        facets={field: frozenset(tokens(" ".join(said))) for field, said in found.school_facets.items()},
    )


def is_school_word(word: str) -> bool:
    """'scholen', 'opleidingsschool', 'daltonscholen'; not 'hogeschool' (the pabo) or 'schoolbestuur'."""
    return ("school" in word or "scholen" in word) and not word.startswith("hoge") and "bestu" not in word


def _either(values: list[str]) -> str:
    """'KC, CKC of CDKC'."""
    return " of ".join([", ".join(values[:-1]), values[-1]]) if len(values) > 1 else values[0]


@dataclass(frozen=True)
class Asked:
    """What a question says about schools."""

    words: list[str]
    tokens: set[str]
    unknown: set[str]  # tokens the knowledge base does not know at all
    scope: str | None

    @property
    def lists(self) -> bool:
        return not school_words().listing.isdisjoint(self.words)

    @property
    def schools(self) -> bool:
        return any(is_school_word(w) for w in self.words)


@dataclass(frozen=True)
class _Filters:
    places: list[str]
    concepts: list[str]
    types: list[str]

    def __bool__(self) -> bool:
        return bool(self.places or self.concepts or self.types)

    def wanted(self) -> dict[str, list[str]]:
        """The values asked for, per school field that is filtered on."""
        fields = {"place": self.places, "concept": self.concepts, "type": self.types}
        return {field: values for field, values in fields.items() if values}

    def description(self) -> str:
        parts = []
        if self.types:
            parts.append("van het type " + _either(self.types))
        if self.concepts:
            parts.append("met onderwijsconcept " + _either(self.concepts))
        if self.places:
            parts.append("in " + _either(self.places))
        return "".join(" " + part for part in parts)

    def tokens(self) -> set[str]:
        return {t for value in (*self.places, *self.concepts, *self.types) for t in tokens(value)}


class SchoolLists:
    """The school fields of a knowledge base, indexed for structured questions."""

    def __init__(self, kb: KnowledgeBase, name_tokens: frozenset[str], label: Callable[[Entry], str]) -> None:
        self.kb = kb
        self._label = label
        self._name_tokens = name_tokens
        self.schools = kb.schools
        self._values = {field: self._field_values(field) for field in FIELDS}
        self._position = {entry.id: position for position, entry in enumerate(self.schools)}
        self._by_value: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for entry in self.schools:
            for field in FIELDS:
                self._by_value[field, getattr(entry.school, field) or ""].append(entry)
        scopes = (None, *kb.partnerships)
        self._groups = {(scope, field): self._grouped(scope, field) for scope in scopes for field in FIELDS}
        self._scope_size = {scope: len(self._in_scope(scope)) for scope in scopes}
        self._places_by_token: dict[str, list[str]] = defaultdict(list)
        for place, place_tokens in self._values["place"].items():
            for token in set(place_tokens):
                self._places_by_token[token].append(place)

    def _field_values(self, field: str) -> dict[str, tuple[str, ...]]:
        values: dict[str, tuple[str, ...]] = {}
        for entry in self.schools:
            value = getattr(entry.school, field)
            if value:
                values[value] = tuple(tokens(value)) or (fold(value),)
        return values

    def structural_tokens(self, asked: Asked) -> set[str]:
        """The words that make a question structured: school and list words, field values, names."""
        said = [w for w in asked.words if is_school_word(w) or w in school_words().listing]
        found = set(tokens(" ".join(said))) | self._filters(asked).tokens() | self._name_tokens | {"partnerschap"}
        return found | {t for facet in school_words().facets.values() for t in facet} | asked.unknown

    @staticmethod
    def may_answer(asked: Asked) -> bool:
        """Only a question with a list word ('welke', 'hoeveel') or a school word can be structured."""
        return asked.lists or asked.schools

    def answer(self, asked: Asked) -> Answer | None:
        """The list answer, or None when the question is not a structured school question."""
        filters = self._filters(asked)
        unknown_place = self._unknown_place(asked) if asked.schools else None
        facet = self._facet(asked, filters)
        if unknown_place is not None and not filters.places:
            return self._nothing_known(f"opleidingsscholen in {unknown_place}", "place", asked.scope)
        unknown_kind = next((w for w in asked.words if is_school_word(w) and canonical(w) in asked.unknown), None)
        if unknown_kind is not None and not filters:
            return self._nothing_known(unknown_kind, "concept", asked.scope)
        if facet is not None:
            return self._facet_answer(facet, asked.scope)
        if filters or (asked.schools and asked.lists and self._has_list(asked.scope)):
            return self._list_answer(filters, asked)
        return None

    def _has_list(self, scope: str | None) -> bool:
        return scope is not None and any(e.partnership == scope for e in self.schools)

    def _filters(self, asked: Asked) -> _Filters:
        candidates = dict.fromkeys(p for t in asked.tokens for p in self._places_by_token.get(t, ()))
        places = [p for p in candidates if set(self._values["place"][p]) <= asked.tokens]
        concepts = [c for c in self._values["concept"] if any(fold(c) in w for w in asked.words)]
        return _Filters(places, concepts, self._types(asked))

    def _types(self, asked: Asked) -> list[str]:
        """Types named in the question; 'CKC Drenthe' is a board, not a type, so a name after it cancels it."""
        boards = {word for word, following in pairwise(asked.words) if canonical(following) in self._name_tokens}
        said = {t for t in asked.tokens if t not in boards}
        wanted = {t for t in self._values["type"] if fold(t) in said}
        for group, members in school_words().type_groups.items():
            if group in said:
                wanted.update(m for m in members if m in self._values["type"])
        return [t for t in self._values["type"] if t in wanted]

    def _facet(self, asked: Asked, filters: _Filters) -> str | None:
        """'welke onderwijsconcepten zijn er': a whole field is asked for, no value of it."""
        for field, facet_tokens in school_words().facets.items():
            named = {"place": filters.places, "concept": filters.concepts, "type": filters.types}[field]
            if not named and facet_tokens & asked.tokens:
                return field
        return None

    @staticmethod
    def _unknown_place(asked: Asked) -> str | None:
        """'in Zwolle': the words after a place word that the knowledge base does not know."""
        for index, word in enumerate(asked.words):
            if word in school_words().place:
                rest = [w for w in asked.words[index + 1 :] if w not in ARTICLES]
                name = list(takewhile(lambda w: w[0].isalpha() and canonical(w) in asked.unknown, rest))
                if name:
                    return " ".join(part.capitalize() for part in name)
        return None

    def _in_scope(self, scope: str | None) -> list[Entry]:
        return [e for e in self.schools if scope is None or e.partnership == scope] or list(self.schools)

    def _owner_names(self, entries: Iterable[Entry]) -> tuple[list[str], str]:
        owners = sorted({e.partnership for e in entries if e.partnership})
        return owners, ", ".join(self.kb.partnerships[o].short_name for o in owners)

    def _grouped(self, scope: str | None, field: str) -> list[tuple[str, list[Entry]]]:
        """The schools in scope by their value of ``field``, values sorted; schools without one left out."""
        groups: dict[str, list[Entry]] = defaultdict(list)
        for entry in self._in_scope(scope):
            value = getattr(entry.school, field)
            if value:
                groups[value].append(entry)
        return sorted(groups.items())

    def _nothing_known(self, what: str, field: str, scope: str | None) -> Answer:
        """'Ik ken geen opleidingsscholen in Zwolle', with the values of ``field`` that are known."""
        known = [value for value, _ in self._groups[scope, field]]
        shown = ", ".join(known[:MAX_LISTED]) + (", …" if len(known) > MAX_LISTED else "")
        text = f"Ik ken geen {what}. {FACET_TITLES[field]} van de opleidingsscholen in mijn kennisbank: {shown}."
        if field == "place":
            text += " Van sommige scholen staat de plaats niet in de bron."
        return Answer(
            text=text,
            confidence=0.0,
            matched=None,
            fallback=True,
            kind="fallback",
            partnership=scope,
            explanation=f"schoollijst: geen {what}",
        )

    def _facet_answer(self, field: str, scope: str | None) -> Answer:
        groups = self._groups[scope, field]
        schools = [entry for _, entries in groups for entry in entries]
        owners, owner_names = self._owner_names(schools)
        lines = [f"{value}: {', '.join(self._label(e) for e in entries)}" for value, entries in groups[:MAX_LISTED]]
        text = f"{FACET_TITLES[field]} van de opleidingsscholen ({owner_names}):\n" + bullet_list(lines)
        if len(groups) > MAX_LISTED:
            text += f"\n… en nog {len(groups) - MAX_LISTED}."
        without = self._scope_size[scope] - len(schools)
        if without:
            text += f"\n\nVan de andere {without} scholen staat geen {FACET_NOUNS[field]} in de bron."
        return Answer(
            text=text,
            confidence=1.0,
            matched=None,
            fallback=False,
            kind="list",
            partnership=owners[0] if len(owners) == 1 else scope,
            explanation=f"schoollijst: per {FACET_NOUNS[field]}",
        )

    def _chosen(self, filters: _Filters, scope: str | None) -> list[Entry]:
        """The schools in scope with every field asked for, in the knowledge base's order."""
        ids: set[str] | None = None
        for field, values in filters.wanted().items():
            matching = {e.id for value in values for e in self._by_value[field, value]}
            ids = matching if ids is None else ids & matching
        in_scope = self._in_scope(scope)
        if ids is None:
            return in_scope
        scoped = {e.id for e in in_scope}
        return sorted((self.kb.by_id[i] for i in ids & scoped), key=lambda e: self._position[e.id])

    def _list_answer(self, filters: _Filters, asked: Asked) -> Answer:
        chosen = self._chosen(filters, asked.scope)
        description = filters.description()
        owners, owner_names = self._owner_names(chosen)
        if not chosen:
            text = f"Ik ken geen opleidingsscholen{description}."
        else:
            counted = "Er staat" if len(chosen) == 1 else "Er staan"
            noun = "opleidingsschool" if len(chosen) == 1 else "opleidingsscholen"
            opening = (
                f"{counted} {len(chosen)} {noun}{description} in de kennisbank"
                if not school_words().count.isdisjoint(asked.words)
                else f"Opleidingsscholen{description}"
            )
            text = f"{opening} ({owner_names}):\n" + bullet_list(self._label(e) for e in chosen[:MAX_LISTED])
            if len(chosen) > MAX_LISTED:
                text += f"\n… en nog {len(chosen) - MAX_LISTED}. Noem een plaats, type of onderwijsconcept."
        if filters.places:
            text += "\n\nVan sommige scholen staat de plaats niet in de bron; die ontbreken hier misschien."
        return Answer(
            text=text,
            confidence=1.0,
            matched=None,
            fallback=False,
            kind="list",
            suggestions=tuple(Suggestion(e.id, self._label(e)) for e in chosen[:10]),
            partnership=owners[0] if len(owners) == 1 else asked.scope,
            explanation=f"schoollijst:{description or ' alle'}",
        )
