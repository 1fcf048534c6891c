"""The knowledge overlay in the running bot: the index in use, imports, export and live reload.

``KnowledgeHolder`` holds the matcher every service answers with. The YAML base never changes while
the bot runs; the overlay (imports by the command line, answers from the question inbox) does. A
JobQueue job (bot/jobs.py) reads the overlay's version marker every few seconds; when it changed,
the index is rebuilt off the event loop and swapped in at once (one attribute assignment: a question
is answered by the old index or the new one, never by half of each). An answer from the inbox in
this process swaps it immediately.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coordinators import Authority, audit, require_right
from bot.services.writes import WriteBehind
from db.engine import SessionFactory
from db.knowledge_repositories import SOURCE_LENGTH, OverlayRepository, StoredItem
from knowledge import KnowledgeBase, Matcher
from knowledge.imports import TableFile, edited_item, overlay_items
from knowledge.loader import Problem
from knowledge.overlay import KINDS, OverlayItem, OverlayKind, build_matcher

logger = logging.getLogger(__name__)


class KnowledgeHolder:
    """The matcher in use, swapped whole when the overlay changes."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = self.base = matcher
        self.kb: KnowledgeBase = matcher.kb  # the YAML base (an overlaid matcher's kb is the base too)
        self.threshold = matcher.threshold
        self.version: tuple[Any, ...] | None = None
        self._rebuilding = asyncio.Lock()

    async def rebuild(self, items: Sequence[OverlayItem], version: tuple[Any, ...]) -> None:
        """Build the index for the base plus ``items`` in a worker thread, then swap it in."""
        async with self._rebuilding:
            if version == self.version:
                return
            if items:
                matcher = await asyncio.to_thread(build_matcher, self.kb, items, self.threshold)
            else:
                matcher = self.base  # an empty overlay: the base index, as built at start
            self.matcher, self.version = matcher, version


@dataclass(frozen=True)
class ImportCounts:
    new: int
    updated: int


@dataclass(frozen=True)
class CheckedImport:
    """A file checked for import: its items (only when there are no problems, the import may go
    ahead), every problem (row and column), and what importing would do."""

    kind: OverlayKind
    items: tuple[OverlayItem, ...]
    problems: tuple[Problem, ...]
    new: int = 0
    updated: int = 0

    @property
    def unchanged(self) -> int:
        return len(self.items) - self.new - self.updated


def _changes(items: Sequence[OverlayItem], current: Sequence[OverlayItem]) -> tuple[int, int]:
    """(new, updated) as ``OverlayRepository.upsert`` would count them, without writing."""
    known = {(i.partnership, i.kind, i.key): i for i in current}
    new = updated = 0
    for item in items:
        existing = known.get((item.partnership, item.kind, item.key))
        if existing is None:
            new += 1
        elif (dict(existing.fields), existing.source, existing.entry_id) != (
            dict(item.fields),
            item.source[:SOURCE_LENGTH],
            item.entry_id,
        ):
            updated += 1
    return new, updated


def to_stored(item: OverlayItem) -> StoredItem:
    return StoredItem(item.partnership, item.kind, item.key, item.entry_id, dict(item.fields), item.source)


def to_item(stored: StoredItem) -> OverlayItem | None:
    if stored.kind not in KINDS:
        return None
    kind: OverlayKind = stored.kind
    return OverlayItem(stored.partnership, kind, stored.key, stored.fields, stored.source, stored.entry_id)


@dataclass(frozen=True)
class Edited:
    """An edit of one item: the item as stored now (None: it is gone, or a cell was wrong), the
    problems with the cells (Dutch, by column), and whether anything changed."""

    item: OverlayItem | None
    problems: tuple[Problem, ...] = ()
    changed: bool = False


async def _owned(session: AsyncSession, actor: Authority, entry_id: str) -> StoredItem | None:
    """The actor's partnership's item with this id, None when there is none; PermissionError when
    only another partnership has one (a forged id): nothing of theirs is shown or changed."""
    overlay = OverlayRepository(session)
    found = await overlay.item(actor.partnership, entry_id)
    if found is None and await overlay.owners(entry_id):
        raise PermissionError("een item van een ander partnerschap")
    return found


class KnowledgeService:
    def __init__(self, sessions: SessionFactory, writes: WriteBehind, holder: KnowledgeHolder) -> None:
        self.sessions = sessions
        self.writes = writes
        self.holder = holder

    async def items(self, partnership: str | None = None) -> list[OverlayItem]:
        async with self.sessions() as session:
            stored = await OverlayRepository(session).items(partnership)
        return [item for item in map(to_item, stored) if item is not None]

    async def managed(self, actor: Authority) -> list[OverlayItem]:
        """What the actor's partnership added, for a coordinator of it (the web view's listing)."""
        async with self.sessions() as session:
            await require_right(session, actor)
            stored = await OverlayRepository(session).items(actor.partnership)
        return [item for item in map(to_item, stored) if item is not None]

    async def reload(self) -> bool:
        """Rebuild the index when the overlay changed since the last look; True when it did."""
        async with self.sessions() as session:
            overlay = OverlayRepository(session)
            version = await overlay.version()
            if version == self.holder.version:
                return False
            stored = await overlay.items()
        items = [item for item in map(to_item, stored) if item is not None]
        await self.holder.rebuild(items, version)
        logger.info("knowledge overlay loaded: %d entries", len(items))
        return True

    async def check_import(
        self, source: Path | TableFile, kind: OverlayKind, partnership: str, origin: str | None = None
    ) -> CheckedImport:
        """Read and check a CSV or Excel file for the partnership's overlay, writing nothing: the
        command line (``kb import``) and a file sent in chat both go through here. ``origin``: the
        ``source`` the items get (default "import <file name>")."""
        current = await self.items()
        # A contact's school may be a school imported before: check against the base plus the overlay.
        matcher = await asyncio.to_thread(build_matcher, self.holder.kb, current, self.holder.threshold)
        items, problems = await asyncio.to_thread(overlay_items, source, kind, partnership, matcher, origin)
        if problems:
            return CheckedImport(kind, (), tuple(problems))
        new, updated = _changes(items, [i for i in current if i.partnership == partnership])
        return CheckedImport(kind, tuple(items), (), new, updated)

    async def import_items(
        self, actor: Authority, kind: str, items: Sequence[OverlayItem], now: datetime
    ) -> ImportCounts:
        """Store checked items of the actor's partnership in one transaction (all or nothing), with
        the audit row. The command line acts for any partnership; a coordinator only for their own."""
        if any(item.partnership != actor.partnership for item in items):
            raise PermissionError("alleen items van het eigen partnerschap")
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            new, updated = await OverlayRepository(session).upsert([to_stored(i) for i in items], now)
            audit(
                session,
                actor,
                "kennis-import",
                now,
                subject=f"import:{kind}",
                detail=f"{new} nieuw, {updated} bijgewerkt",
            )
        return ImportCounts(new, updated)

    async def item(self, actor: Authority, entry_id: str) -> OverlayItem | None:
        """One item of the actor's partnership (None: there is none); PermissionError for an id only
        another partnership has."""
        async with self.sessions() as session:
            await require_right(session, actor)
            stored = await _owned(session, actor, entry_id)
        return None if stored is None else to_item(stored)

    async def update(self, actor: Authority, entry_id: str, cells: dict[str, str], now: datetime) -> Edited:
        """Change one item of the actor's partnership to the fields a form sent, checked as a row of an
        import is (knowledge/imports.py ``edited_item``), with an audit row; the index in this process
        is rebuilt right after the commit, other instances follow at their next reload.
        PermissionError for an id only another partnership has."""
        async with self.sessions() as session:
            await require_right(session, actor)
            stored = await _owned(session, actor, entry_id)
        current = None if stored is None else to_item(stored)
        if current is None:
            return Edited(None)
        edited, problems = await asyncio.to_thread(edited_item, current, cells, self.holder.matcher)
        if edited is None:
            return Edited(None, tuple(problems))
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            changed = await OverlayRepository(session).set_fields(actor.partnership, entry_id, dict(edited.fields), now)
            if changed:
                audit(session, actor, "kennis-gewijzigd", now, subject=entry_id[:64])
        if changed:
            await self.reload()
        return Edited(edited, (), changed)

    async def remove(self, actor: Authority, entry_id: str, now: datetime, reload: bool = True) -> bool:
        """Withdraw one overlay item of the actor's partnership (a person who left, a wrong answer).
        False when there is none; PermissionError for an id only another partnership has. The index
        in this process is rebuilt after the commit (``reload``; the command line has no index to
        keep), other instances follow at their next reload."""
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            if await _owned(session, actor, entry_id) is None:
                return False
            removed = await OverlayRepository(session).remove(actor.partnership, entry_id)
            if removed:
                audit(session, actor, "kennis-verwijderd", now, subject=entry_id[:64])
        if removed and reload:
            await self.reload()
        return removed


__all__ = ["CheckedImport", "Edited", "ImportCounts", "KnowledgeHolder", "KnowledgeService", "to_item", "to_stored"]
