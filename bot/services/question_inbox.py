"""The question inbox (/vragen): what the partnership's users asked and did not get a good answer to.

Questions that fell back, or that got 👎, are grouped (knowledge/grouping.py) and shown to the
partnership's coordinators, most asked and newest first, never with who asked. A coordinator answers
a group: the answer becomes an overlay entry of the partnership (effective at once) and everyone who
asked gets it through the delivery outbox, one row per private chat. The answer being written is a
draft in the database, so a restart loses no text. Every call checks the coordinator's right itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coordinators import Authority, audit, require_right
from bot.services.knowledge import KnowledgeService, to_stored
from bot.services.planning import Planner
from bot.services.schedule import local
from bot.services.writes import WriteBehind
from db.agenda_repositories import MESSAGE, PENDING, DeliveryRepository
from db.knowledge_repositories import INBOX_ANSWER_KEY, OverlayRepository, QuestionInboxRepository
from db.models import InboxDraft
from knowledge.grouping import Asked, QuestionGroup, group_questions
from knowledge.overlay import OverlayItem, entry_id, natural_key

PAGE_SIZE = 8
MAX_ANSWER = 3000
MIN_ANSWER = 2
MAX_QUOTED = 300
MAX_KEYWORDS = 10
INBOX_SOURCE = "vragenbus"


@dataclass(frozen=True)
class GroupView:
    question_id: int  # the newest question of the group: what its button carries
    text: str
    count: int
    newest_at: datetime


@dataclass(frozen=True)
class InboxPage:
    groups: list[GroupView]
    page: int
    pages: int
    total: int  # groups in the inbox
    questions: int  # questions in the inbox


@dataclass(frozen=True)
class DraftView:
    question_id: int
    question: str
    count: int
    answer: str | None
    recipients: int

    @property
    def version(self) -> str:
        """The version of the answer shown: "Versturen" under a preview sends only this answer."""
        return answer_version(self.answer or "")


@dataclass(frozen=True)
class Answered:
    entry_id: str
    questions: int
    recipients: int


def quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


def _typed(text: str) -> str:
    """An answer as typed, stripped, with a browser's CRLF line ends as the chat's LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def answer_version(answer: str) -> str:
    """A short digest of an answer (8 hex digits: it fits a button's callback data)."""
    return hashlib.sha256(answer.encode()).hexdigest()[:8]


def answer_fault(text: str) -> Literal["short", "long"] | None:
    """Why a typed answer cannot be sent (too short or too long), or None: the chat and the web view
    refuse the same answers."""
    text = _typed(text)
    if len(text) > MAX_ANSWER:
        return "long"
    if len(text) < MIN_ANSWER:
        return "short"
    return None


def answer_message(question: str, answer: str, partnership_name: str) -> str:
    """What an asker receives (Telegram HTML, every value escaped)."""
    return (
        f"💬 Je vroeg eerder: <i>‘{html.escape(quoted(question))}’</i>\n\n"
        f"Het antwoord van {html.escape(partnership_name)}:\n{html.escape(answer)}"
    )


class Groupings:
    """The last grouping of each partnership's open questions. The same open questions give the same
    groups, so the inbox's next page (and the web view's overview, 40 ms of CPU for a thousand
    questions) regroups only when a question came or went. Held by ``Services`` for the process."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[tuple[Asked, ...], list[QuestionGroup]]] = {}

    async def of(self, partnership: str, asked: list[Asked]) -> list[QuestionGroup]:
        last = self._last.get(partnership)
        if last is not None and last[0] == tuple(asked):
            return last[1]
        groups = await asyncio.to_thread(group_questions, asked)
        self._last[partnership] = (tuple(asked), groups)
        return groups

    def forget_user(self, user_id: int) -> None:
        """/vergeetmij: no grouping holding one of the user's questions is kept in memory."""
        for partnership, (asked, _) in list(self._last.items()):
            if any(question.user_id == user_id for question in asked):
                del self._last[partnership]


class QuestionInboxService:
    def __init__(
        self,
        writes: WriteBehind,
        knowledge: KnowledgeService,
        planner: Planner,
        names: dict[str, str],
        groupings: Groupings,
    ) -> None:
        self.writes = writes
        self.knowledge = knowledge
        self.planner = planner
        self.names = names  # partnership -> its short name
        self.groupings = groupings

    async def _open_groups(self, actor: Authority) -> list[QuestionGroup]:
        """The partnership's open questions, grouped. Grouping thousands takes seconds, so it runs in a
        worker thread after a short read: no session (SQLite's one connection) and not the
        write-behind's lock are held meanwhile, and everyone else is answered and written."""
        await self.writes.settle()  # questions logged behind are written first
        async with self.writes.sessions() as session:
            await require_right(session, actor)
            found = await QuestionInboxRepository(session).open_questions(actor.partnership)
            asked = [Asked(q.id, q.text, q.created_at, q.user_id) for q in found]
        return await self.groupings.of(actor.partnership, asked)

    async def _group_of(self, actor: Authority, question_id: int) -> QuestionGroup | None:
        groups = await self._open_groups(actor)
        return next((g for g in groups if any(q.id == question_id for q in g.questions)), None)

    async def _own_group(self, actor: Authority, question_id: int) -> QuestionGroup | None:
        """The open group of ``question_id`` in the actor's inbox; None when it left the inbox (or never
        was); PermissionError when it is a question of another partnership (a forged id)."""
        group = await self._group_of(actor, question_id)
        if group is None:
            async with self.writes.sessions() as session:
                owner = await QuestionInboxRepository(session).partnership_of(question_id)
            if owner is not None and owner != actor.partnership:
                raise PermissionError("een vraag van een ander partnerschap")
        return group

    async def page(self, actor: Authority, page: int = 0) -> InboxPage:
        groups = await self._open_groups(actor)
        pages = max(1, math.ceil(len(groups) / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        shown = groups[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        views = [GroupView(g.newest.id, g.text, g.count, g.newest.at) for g in shown]
        return InboxPage(views, page, pages, len(groups), sum(g.count for g in groups))

    async def begin(self, actor: Authority, question_id: int, now: datetime) -> DraftView | None:
        """Start answering the group of ``question_id`` (None: it left the inbox; PermissionError: a
        question of another partnership); a draft answer for the same group is kept, so pressing
        "Beantwoorden" again continues it."""
        assert actor.user_id is not None
        group = await self._own_group(actor, question_id)
        if group is None:
            return None
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            inbox = QuestionInboxRepository(session)
            draft = await inbox.draft(actor.user_id)
            kept = draft.answer if draft is not None and draft.question_id == group.newest.id else None
            await inbox.save_draft(actor.user_id, actor.partnership, group.newest.id, kept, now)
            return await _view(session, group, kept)

    async def write(self, actor: Authority, answer: str, now: datetime) -> DraftView | None:
        """The coordinator typed the answer: store it in the draft; None when there is no draft or its
        questions left the inbox meanwhile."""
        assert actor.user_id is not None
        before = await self._draft(actor.user_id)
        group = await self._group_of(actor, before.question_id) if before is not None else None
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            inbox = QuestionInboxRepository(session)
            draft = await inbox.draft(actor.user_id)
            if draft is not None and before is not None and draft.question_id != before.question_id:
                group = None  # another group was taken up meanwhile: start again
            if draft is None or group is None or draft.partnership != actor.partnership:
                await inbox.drop_draft(actor.user_id)
                return None
            text = answer.strip()[:MAX_ANSWER]
            await inbox.save_draft(actor.user_id, actor.partnership, group.newest.id, text, now)
            return await _view(session, group, text)

    async def group(self, actor: Authority, question_id: int) -> DraftView | None:
        """One group of the actor's inbox, with the answer of the actor's draft when that is for this
        group (typed in the chat or on the web: one draft per coordinator). Writes nothing. None when
        it left the inbox; PermissionError for another partnership's question."""
        assert actor.user_id is not None
        group = await self._own_group(actor, question_id)
        if group is None:
            return None
        async with self.writes.sessions() as session:
            draft = await QuestionInboxRepository(session).draft(actor.user_id)
            view = await _view(session, group, None)
        ours = draft is not None and draft.partnership == actor.partnership and bool(draft.answer)
        if draft is not None and ours and any(q.id == draft.question_id for q in group.questions):
            # The draft's own id: what ``send`` checks (a question may have joined the group since).
            return replace(view, question_id=draft.question_id, answer=draft.answer)
        return view

    async def prepare(self, actor: Authority, question_id: int, answer: str, now: datetime) -> DraftView | None:
        """Take up the group of ``question_id`` and write its answer in one step (the web view's form):
        the actor's draft now holds this group and this answer, whatever it held before (a draft in the
        chat included). None when the group left the inbox; PermissionError for another partnership's."""
        assert actor.user_id is not None
        group = await self._own_group(actor, question_id)
        if group is None:
            return None
        text = _typed(answer)[:MAX_ANSWER]
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            inbox = QuestionInboxRepository(session)
            await inbox.save_draft(actor.user_id, actor.partnership, group.newest.id, text, now)
            return await _view(session, group, text)

    async def current(self, actor: Authority) -> DraftView | None:
        assert actor.user_id is not None
        draft = await self._draft(actor.user_id)
        if draft is None or draft.partnership != actor.partnership:
            return None
        group = await self._group_of(actor, draft.question_id)
        if group is None:
            return None
        async with self.writes.sessions() as session:
            return await _view(session, group, draft.answer)

    async def _draft(self, user_id: int) -> InboxDraft | None:
        async with self.writes.sessions() as session:
            return await QuestionInboxRepository(session).draft(user_id)

    async def is_answered(self, actor: Authority, question_id: int) -> bool:
        """Whether this question of the actor's partnership got an answer from the inbox already."""
        async with self.writes.sessions() as session:
            return await QuestionInboxRepository(session).is_answered(actor.partnership, question_id)

    async def cancel(self, actor: Authority) -> None:
        assert actor.user_id is not None
        async with self.writes.transaction() as session:
            await QuestionInboxRepository(session).drop_draft(actor.user_id)

    async def purge_old(self, retention_days: int, now: datetime) -> int:
        """Drafts nobody finished, and sent answers (they quote the question), go after the questions'
        retention period, like the questions themselves."""
        before = now - timedelta(days=retention_days)
        async with self.writes.transaction() as session:
            inbox = QuestionInboxRepository(session)
            return await inbox.drop_drafts_before(before) + await inbox.drop_answers_sent_before(before)

    async def send(
        self, actor: Authority, question_id: int, now: datetime, version: str | None = None
    ) -> Answered | None:
        """Confirmed: the draft answer becomes a question/answer entry of the partnership, every asker
        gets it through the outbox, and the group leaves the inbox, all in one transaction; then the
        index is rebuilt at once. None when the draft is not for this group (any more), or when
        ``version`` (of the answer the coordinator saw in the preview, ``DraftView.version``) is not
        the draft's answer now: it was changed meanwhile, in the chat or on the web. PermissionError for a question of
        another partnership."""
        assert actor.user_id is not None
        group = await self._own_group(actor, question_id)
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            inbox = QuestionInboxRepository(session)
            draft = await inbox.draft(actor.user_id)
            # A question asked meanwhile may have joined the group: its asker gets the answer too.
            if draft is None or group is None or draft.question_id != question_id or not draft.answer:
                return None
            if version and version != answer_version(draft.answer):
                return None
            item = self._entry(actor.partnership, group, draft.answer)
            await OverlayRepository(session).upsert([to_stored(item)], now)
            recipients = await self._deliver(session, group, draft.answer, actor.partnership, now)
            await inbox.mark_answered([q.id for q in group.questions], now)
            await inbox.drop_draft(actor.user_id)
            detail = f"{group.count} vragen, {recipients} ontvangers"
            audit(session, actor, "vraag-beantwoord", now, subject=item.entry_id, detail=detail)
        await self.knowledge.reload()
        return Answered(item.entry_id, group.count, recipients)

    def _entry(self, partnership: str, group: QuestionGroup, answer: str) -> OverlayItem:
        others = [v.replace(";", ",") for v in group.variants[1 : MAX_KEYWORDS + 1]]
        fields = {"vraag": quoted(group.text), "antwoord": answer, "bron": INBOX_SOURCE}
        if others:
            fields["trefwoorden"] = "; ".join(others)
        key = natural_key("faq", fields)
        taken = set(self.knowledge.holder.kb.by_id)
        own_id = entry_id("faq", key)
        if own_id in taken:  # the YAML base has an entry of that id: keep them apart
            own_id = entry_id("faq", f"{INBOX_SOURCE} {key}")
        return OverlayItem(partnership, "faq", key, fields, INBOX_SOURCE, own_id)

    async def _deliver(
        self, session: AsyncSession, group: QuestionGroup, answer: str, partnership: str, now: datetime
    ) -> int:
        """One outbox row per asker's private chat, with their own (newest) wording of the question."""
        asked_by: dict[int, str] = {}
        for question in group.questions:  # newest first
            if question.user_id is not None:
                asked_by.setdefault(question.user_id, question.text)
        chats = await QuestionInboxRepository(session).private_chats(list(asked_by))
        quiet = self.planner.quiet
        due = quiet.end_after(now) if quiet is not None and quiet.contains(local(now).time()) else now
        name = self.names.get(partnership, partnership)
        rows = [
            {
                "key": f"{INBOX_ANSWER_KEY}{group.newest.id}",
                "kind": MESSAGE,
                "chat_id": chat_id,
                "user_id": user_id,
                "text": answer_message(asked_by[user_id], answer, name),
                "due_at": due,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for user_id, chat_id in chats.items()
        ]
        await DeliveryRepository(session).add(rows)
        return len(rows)


async def _view(session: AsyncSession, group: QuestionGroup, answer: str | None) -> DraftView:
    users = list({q.user_id for q in group.questions if q.user_id is not None})
    chats = await QuestionInboxRepository(session).private_chats(users)
    return DraftView(group.newest.id, group.text, group.count, answer, len(chats))


__all__ = [
    "Answered",
    "DraftView",
    "GroupView",
    "InboxPage",
    "QuestionInboxService",
    "answer_fault",
    "answer_message",
    "answer_version",
]
