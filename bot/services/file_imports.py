"""A file a coordinator sends in chat: what kind it is, what importing it would do, and the import.

The same checks and writes as the command line (``events import``, ``kb import``): the calendar goes
through ``AgendaService.check_calendar`` / ``import_calendar``, a spreadsheet through
``KnowledgeService.check_import`` / ``import_items`` (knowledge/imports.py), so every limit of a
hostile file applies here too. Nothing is written before ``run``; ``run`` checks the file again (it
may be another moment, and another overlay) and imports all of it or nothing, with its audit row in
the same transaction. The running bot uses the result at once: reminders are planned in the import's
transaction, and the knowledge index is reloaded right after the commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Literal

from bot.services.agenda import AgendaService, CalendarPreview, ImportResult
from bot.services.coordinators import Authority, require_right
from bot.services.ics import IcsError, plain
from bot.services.knowledge import CheckedImport, ImportCounts, KnowledgeService
from db.engine import SessionFactory
from knowledge import Matcher
from knowledge.imports import TableFile, guess_kind
from knowledge.loader import Problem
from knowledge.overlay import OverlayKind, lookup

FileKind = Literal["ics", "contact", "school", "faq"]
CALENDAR_SUFFIXES = (".ics",)
TABLE_SUFFIXES = (".csv", ".xlsx")


def suffix_kind(file_name: str) -> Literal["ics", "table"] | None:
    """What a file's name says it is: a calendar, a spreadsheet, or something not importable."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix in CALENDAR_SUFFIXES:
        return "ics"
    if suffix in TABLE_SUFFIXES:
        return "table"
    return None


def school_check(matcher: Matcher, partnership: str) -> Callable[[str], bool]:
    """Whether a school id (X-SCHOOLS, ``--schools``) is a school of the partnership (base or overlay)."""

    def known(school_id: str) -> bool:
        entry = lookup(matcher, school_id)
        return entry is not None and entry.school is not None and entry.partnership == partnership

    return known


@dataclass(frozen=True)
class FilePreview:
    """What importing the file would do, or why it cannot be imported (``errors``, Dutch, each
    naming the row and column or the event and line, as the command line prints them)."""

    kind: FileKind
    errors: tuple[str, ...] = ()
    calendar: CalendarPreview | None = None
    table: CheckedImport | None = None


@dataclass(frozen=True)
class FileImported:
    kind: FileKind
    calendar: ImportResult | None = None
    counts: ImportCounts | None = None
    total: int = 0  # rows of a spreadsheet imported (new, updated and unchanged)


class FileImportService:
    def __init__(
        self,
        sessions: SessionFactory,
        agenda: AgendaService,
        overlay: KnowledgeService,
        matcher: Callable[[], Matcher],
    ) -> None:
        self.sessions = sessions
        self.agenda = agenda
        self.overlay = overlay
        self.matcher = matcher

    async def table_kind(self, file_name: str, content: bytes) -> tuple[OverlayKind | None, tuple[str, ...]]:
        """The kind the spreadsheet's columns say (None: ask the coordinator), or the problems that
        keep the file from being read at all (too big, not a valid .xlsx, a broken encoding)."""
        problems: list[Problem] = []
        kind = await asyncio.to_thread(guess_kind, TableFile(file_name, content), problems)
        return kind, tuple(map(str, problems))

    async def preview(
        self, actor: Authority, file_name: str, content: bytes, kind: FileKind, now: datetime
    ) -> FilePreview:
        """Check the file for the actor's partnership and count what importing it would do; writes nothing."""
        async with self.sessions() as session:
            await require_right(session, actor, actor.partnership)
        if kind == "ics":
            try:
                calendar = await self.agenda.preview_calendar(
                    content, actor.partnership, now, known_school=school_check(self.matcher(), actor.partnership)
                )
            except IcsError as exc:
                return FilePreview(kind, errors=(f"{plain(file_name)}: {exc}",))
            return FilePreview(kind, calendar=calendar)
        checked = await self.overlay.check_import(TableFile(file_name, content), kind, actor.partnership)
        return FilePreview(kind, errors=tuple(map(str, checked.problems)), table=checked)

    async def run(
        self, actor: Authority, file_name: str, content: bytes, kind: FileKind, now: datetime
    ) -> FileImported | FilePreview:
        """Import the file (all or nothing, audited); a FilePreview with the errors when it is refused now."""
        if kind == "ics":
            try:
                result = await self.agenda.import_calendar(
                    content,
                    actor.partnership,
                    now,
                    known_school=school_check(self.matcher(), actor.partnership),
                    actor=actor,
                )
            except IcsError as exc:
                return FilePreview(kind, errors=(f"{plain(file_name)}: {exc}",))
            return FileImported(kind, calendar=result)
        checked = await self.overlay.check_import(TableFile(file_name, content), kind, actor.partnership)
        if checked.problems:
            return FilePreview(kind, errors=tuple(map(str, checked.problems)), table=checked)
        counts = await self.overlay.import_items(actor, kind, checked.items, now)
        await self.overlay.reload()  # after the commit: the running bot answers with it at once
        return FileImported(kind, counts=counts, total=len(checked.items))


__all__ = ["FileImportService", "FileImported", "FileKind", "FilePreview", "school_check", "suffix_kind"]
