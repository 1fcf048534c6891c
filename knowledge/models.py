"""Schema of the knowledge base files (validated with pydantic) and the loaded, immutable entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# "praatje": small talk ("hoi", "dank je wel", "wie ben jij"), answered only when the whole message is one.
Kind = Literal["rol", "school", "contact", "begrip", "partnerschap", "faq", "praatje"]
ENTRY_ID = re.compile(r"^(rol|school|contact|begrip|partnerschap|faq|praatje):[a-z0-9]+(-[a-z0-9]+)*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
GENERAL = "algemeen"
REQUIRED_ROLE_IDS = (
    "rol:mentor",
    "rol:schoolopleider",
    "rol:instituutsopleider",
    "rol:bovenschools-opleidingscoordinator",
    "rol:directeur",
    "rol:relatiebeheerder",
    "rol:studiecoach",
)
META_FILE = "_partnerschap.yaml"
SMALL_TALK = "praatje"
# Typing "help" as a message: the front end (Telegram, the terminal) answers with its own help text.
HELP_ENTRY = "praatje:help"
# Buttons carry an id as "a:<id>" in Telegram's callback data, which holds at most 64 bytes.
MAX_ID_LENGTH = 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolFields(_Strict):
    name: str = Field(min_length=1)
    type: str | None = None
    place: str | None = None
    concept: str | None = None
    bestuur: str | None = None


class EntryFile(_Strict):
    id: str
    title: str = Field(min_length=1)
    keywords: list[str] = []
    answer: str | None = None
    source: str | list[str] | None = None
    per_partnership: dict[str, str] = {}
    see_also: list[str] = []
    school: SchoolFields | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ENTRY_ID.match(value):
            raise ValueError(
                "id moet de vorm <soort>:<slug> hebben (soort: rol, school, contact, begrip, "
                "partnerschap, faq of praatje; slug: kleine letters, cijfers en '-')"
            )
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(
                f"id is te lang ({len(value)} tekens, hooguit {MAX_ID_LENGTH}: het moet in een knop passen)"
            )
        return value


class EntriesFile(_Strict):
    """A file of entries; each entry is validated on its own so that all its problems are reported."""

    source: str = Field(min_length=1)
    entries: list[dict[str, Any]]


class PartnershipFile(_Strict):
    slug: str
    name: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    aliases: list[str] = []
    where_to_ask: str = Field(min_length=1)

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("slug: alleen kleine letters, cijfers en '-'")
        return value


@dataclass(frozen=True)
class Partnership:
    slug: str
    name: str
    short_name: str
    source: str
    aliases: tuple[str, ...]
    where_to_ask: str


@dataclass(frozen=True)
class School:
    name: str
    type: str | None
    place: str | None
    concept: str | None
    bestuur: str | None


@dataclass(frozen=True)
class Entry:
    """One answerable item. ``partnership`` is None for general (algemeen) entries."""

    id: str
    title: str
    keywords: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    partnership: str | None
    per_partnership: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    see_also: tuple[str, ...] = ()
    school: School | None = None
    location: str = ""

    @property
    def kind(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def small_talk(self) -> bool:
        return self.kind == SMALL_TALK
