"""Data access for the agenda and the delivery outbox. Like db/repositories.py: never commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, Delivery, Event, EventDraft, Rsvp, Subscription, User, UTCDateTime
from db.repositories import _dialect_insert

PENDING, SENDING, SENT, FAILED, SKIPPED, BLOCKED = "pending", "sending", "sent", "failed", "skipped", "blocked"
FINAL = (SENT, FAILED, SKIPPED, BLOCKED)
REMINDER, CANCELLED, MESSAGE = "reminder", "cancelled", "message"
CHUNK = 500  # ids or keys per IN (...): far below the parameter limits of SQLite and asyncpg
BIG_CHUNK = 5000  # ids per IN (...) where one query per chunk scans many rows (still below both limits)
MOMENTS_PER_INSERT = 1000  # rows of a VALUES list: 4 000 parameters, below the limits of SQLite and asyncpg


@dataclass(frozen=True)
class Recipient:
    user_id: int
    chat_id: int


@dataclass(frozen=True)
class Fence:
    """A claim of one outbox row: its id and the attempt that the claim made (the fencing token)."""

    delivery_id: int
    attempt: int


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row: what the dispatcher needs to send it, with no session attached."""

    id: int
    key: str
    kind: str
    chat_id: int
    user_id: int | None
    event_id: int | None
    text: str | None
    not_after: datetime | None
    attempts: int

    @property
    def fence(self) -> Fence:
        return Fence(self.id, self.attempts)


@dataclass(frozen=True)
class PlannedRow:
    key: str
    chat_id: int
    user_id: int
    due_at: datetime
    not_after: datetime | None = None


@dataclass(frozen=True)
class PlannedMoment:
    """One reminder moment of an event: a row for each of its recipients."""

    key: str
    event_id: int
    due_at: datetime
    not_after: datetime


def split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def recipients_statement(
    partnership: str, category: str, roles: Sequence[str], schools: Sequence[str]
) -> Select[int, int | None]:
    """(user id, chat id) of the subscribers an event reminds (``SubscriptionRepository.recipients``)."""
    opted_out = exists().where(
        Subscription.user_id == User.id, Subscription.category == category, Subscription.enabled.is_(False)
    )
    statement = (
        select(User.id, User.chat_id)
        .join(Chat, Chat.id == User.chat_id)
        .where(User.partnership == partnership, Chat.active.is_(True), ~opted_out)
    )
    if roles:
        statement = statement.where(User.role.in_(roles))
    if schools:
        statement = statement.where(User.school_id.in_(schools))
    return statement


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_source(self, partnership: str, uid: str) -> dict[str, Event]:
        """Every stored occurrence of a source UID, by occurrence key."""
        rows = await self.session.scalars(select(Event).where(Event.partnership == partnership, Event.uid == uid))
        return {event.occurrence: event for event in rows}

    async def by_sources(self, partnership: str, uids: Iterable[str]) -> dict[tuple[str, str], Event]:
        """Every stored occurrence of these source UIDs, by (UID, occurrence key); one query per 500 UIDs."""
        wanted = sorted(set(uids))
        found: dict[tuple[str, str], Event] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            statement = select(Event).where(Event.partnership == partnership, Event.uid.in_(chunk))
            found.update({(event.uid, event.occurrence): event for event in await self.session.scalars(statement)})
        return found

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> list[Event]:
        """New events in bulk (an ORM bulk INSERT ... RETURNING, batched by SQLAlchemy), as ORM objects.

        ``render_nulls``: a None (no own alarms) is sent as NULL instead of leaving the column out, so
        every row has the same columns and SQLAlchemy sends them in a few big batches; otherwise each
        run of rows with or without alarms is its own statement, and their results are spliced
        together one by one (quadratic in the number of runs).
        """
        if not rows:
            return []
        statement = insert(Event).returning(Event).execution_options(render_nulls=True)
        return list(await self.session.scalars(statement, list(rows)))

    async def get(self, event_id: int) -> Event | None:
        return await self.session.get(Event, event_id)

    async def listing(self, partnership: str, since: datetime | None) -> list[Event]:
        """Occurrences of a partnership in time order, cancelled ones too; ``since``: only those that end after it."""
        statement = select(Event).where(Event.partnership == partnership)
        if since is not None:
            statement = statement.where(Event.ends_at > since)
        return list(await self.session.scalars(statement.order_by(Event.starts_at, Event.id)))

    async def upcoming(
        self, partnership: str, after: datetime, limit: int | None = None, offset: int = 0
    ) -> list[Event]:
        statement = select(Event).where(
            Event.partnership == partnership, Event.starts_at > after, Event.cancelled.is_(False)
        )
        ordered = statement.order_by(Event.starts_at, Event.id)
        return list(await self.session.scalars(ordered.limit(limit).offset(offset)))

    async def count_upcoming(self, partnership: str, after: datetime) -> int:
        statement = select(func.count()).where(
            Event.partnership == partnership, Event.starts_at > after, Event.cancelled.is_(False)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def between(self, partnership: str, start: datetime, end: datetime) -> list[Event]:
        """Occurrences that start in [start, end), past ones too, cancelled ones not, in time order."""
        statement = select(Event).where(
            Event.partnership == partnership,
            Event.starts_at >= start,
            Event.starts_at < end,
            Event.cancelled.is_(False),
        )
        return list(await self.session.scalars(statement.order_by(Event.starts_at, Event.id)))

    async def rsvp_counts(self, event_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """(yes, no) per event."""
        if not event_ids:
            return {}
        statement = (
            select(Rsvp.event_id, Rsvp.coming, func.count())
            .where(Rsvp.event_id.in_(event_ids))
            .group_by(Rsvp.event_id, Rsvp.coming)
        )
        counts: dict[int, list[int]] = {}
        for event_id, coming, number in await self.session.execute(statement):
            counts.setdefault(event_id, [0, 0])[0 if coming else 1] = number
        return {event_id: (yes, no) for event_id, (yes, no) in counts.items()}

    async def rsvps_of(self, user_id: int, event_ids: Sequence[int]) -> dict[int, bool]:
        if not event_ids:
            return {}
        statement = select(Rsvp.event_id, Rsvp.coming).where(Rsvp.user_id == user_id, Rsvp.event_id.in_(event_ids))
        return {event_id: coming for event_id, coming in await self.session.execute(statement)}

    async def set_rsvp(self, event_id: int, user_id: int, coming: bool, now: datetime) -> None:
        insert = _dialect_insert(self.session.get_bind().dialect.name)(Rsvp).values(
            event_id=event_id, user_id=user_id, coming=coming, answered_at=now
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[Rsvp.event_id, Rsvp.user_id], set_={"coming": coming, "answered_at": now}
            )
        )


class DraftRepository:
    """What a coordinator typed so far in /nieuw or in changing an event (one row per purpose)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int, purpose: str) -> EventDraft | None:
        return await self.session.get(EventDraft, (user_id, purpose))

    async def fresh(self, user_id: int, purpose: str, partnership: str, now: datetime) -> EventDraft:
        """An empty draft, replacing whatever was there."""
        draft = await self.get(user_id, purpose)
        if draft is None:
            draft = EventDraft(user_id=user_id, purpose=purpose)
            self.session.add(draft)
        draft.partnership, draft.updated_at = partnership, now
        draft.event_id = draft.field = draft.category = draft.title = draft.day = None
        draft.starts_at = draft.ends_at = None
        draft.location = draft.audience = None
        await self.session.flush()
        return draft

    async def discard(self, user_id: int, purpose: str) -> bool:
        result = await self.session.execute(
            delete(EventDraft).where(EventDraft.user_id == user_id, EventDraft.purpose == purpose)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def disabled(self, user_id: int) -> set[str]:
        statement = select(Subscription.category).where(
            Subscription.user_id == user_id, Subscription.enabled.is_(False)
        )
        return set(await self.session.scalars(statement))

    async def set(self, user_id: int, category: str, enabled: bool, now: datetime) -> None:
        insert = _dialect_insert(self.session.get_bind().dialect.name)(Subscription).values(
            user_id=user_id, category=category, enabled=enabled, updated_at=now
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[Subscription.user_id, Subscription.category],
                set_={"enabled": enabled, "updated_at": now},
            )
        )

    async def recipients(
        self,
        partnership: str,
        category: str,
        roles: Sequence[str],
        schools: Sequence[str],
        user_id: int | None = None,
    ) -> list[Recipient]:
        """Subscribers reachable in private: in the partnership and the audience, not opted out."""
        statement = recipients_statement(partnership, category, roles, schools)
        if user_id is not None:
            statement = statement.where(User.id == user_id)
        return [Recipient(uid, chat) for uid, chat in await self.session.execute(statement) if chat is not None]


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def drop_stale(
        self, kind: str, wanted: Callable[[int | None, str, int], bool], event_ids: Sequence[int], user_id: int | None
    ) -> list[tuple[str, int]]:
        """Delete the pending rows of ``kind`` for these events (and user) that are not ``wanted(event
        id, key, chat)`` any more; returns the (key, chat) of the pending rows that stay.

        Rows being sent or done are never touched, and the unique (key, chat) keeps a sent reminder
        from coming back when it is planned again.
        """
        if not event_ids and user_id is None:
            raise ValueError("drop_stale needs events or a user: it would weigh every pending row")
        scope = [Delivery.kind == kind, Delivery.status == PENDING]
        if user_id is not None:
            scope.append(Delivery.user_id == user_id)
        ids = list(event_ids)
        pending: list[Any] = []
        # Few big queries: each may scan the pending rows once (a big import re-plans thousands of events).
        for start in range(0, max(len(ids), 1), BIG_CHUNK):
            chunk = [Delivery.event_id.in_(ids[start : start + BIG_CHUNK])] if ids else []
            statement = select(Delivery.id, Delivery.event_id, Delivery.key, Delivery.chat_id).where(*scope, *chunk)
            pending.extend(await self.session.execute(statement))
        stale: list[int] = []
        kept: list[tuple[str, int]] = []
        for row_id, event_id, key, chat_id in pending:
            if wanted(event_id, key, chat_id):
                kept.append((key, chat_id))
            else:
                stale.append(row_id)
        for start in range(0, len(stale), CHUNK):
            await self.session.execute(delete(Delivery).where(Delivery.id.in_(stale[start : start + CHUNK])))
        return kept

    async def add_planned(self, kind: str, rows: Iterable[PlannedRow], now: datetime) -> None:
        """Pending rows for these planned messages (a (key, chat) that exists already is left alone)."""
        await self.add(
            [
                {
                    "key": row.key,
                    "kind": kind,
                    "chat_id": row.chat_id,
                    "user_id": row.user_id,
                    "event_id": int(row.key.split(":")[1]),
                    "due_at": row.due_at,
                    "not_after": row.not_after,
                    "status": PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
                for row in rows
            ]
        )

    async def add_for_each(
        self, kind: str, moments: Sequence[PlannedMoment], recipients: Select[int, int | None], now: datetime
    ) -> None:
        """A pending row per moment and recipient, made by the database: one INSERT ... SELECT per
        ``MOMENTS_PER_INSERT`` moments (a VALUES list joined to the recipients query), so an event for
        10 000 people costs no Python per row. A (key, chat) that exists already is left alone."""
        found = recipients.subquery()
        insert = _dialect_insert(self.session.get_bind().dialect.name)(Delivery)
        for start in range(0, len(moments), MOMENTS_PER_INSERT):
            chunk = [(m.key, m.event_id, m.due_at, m.not_after) for m in moments[start : start + MOMENTS_PER_INSERT]]
            planned = (
                values(
                    column("key", String()),
                    column("event_id", Integer()),
                    column("due_at", UTCDateTime()),
                    column("not_after", UTCDateTime()),
                    name="moments",
                )
                .data(chunk)
                .cte()
            )  # a CTE: SQLite cannot name the columns of VALUES in a FROM
            source = (
                select(
                    planned.c.key,
                    literal(kind, String()).label("kind"),
                    found.c.chat_id,
                    found.c.id.label("user_id"),
                    planned.c.event_id,
                    planned.c.due_at,
                    planned.c.not_after,
                    literal(PENDING, String()).label("status"),
                    literal(0, Integer()).label("attempts"),
                    literal(now, UTCDateTime()).label("created_at"),
                )
                .select_from(planned.join(found, true()))
                .where(true())  # without a WHERE, SQLite would read ON CONFLICT as part of the join
            )
            statement = insert.from_select(list(source.selected_columns.keys()), source)
            await self.session.execute(
                statement.on_conflict_do_nothing(index_elements=[Delivery.key, Delivery.chat_id])
            )

    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Insert outbox rows; a (key, chat) that exists already is left alone."""
        if not rows:
            return
        insert = _dialect_insert(self.session.get_bind().dialect.name)(Delivery)
        statement = insert.on_conflict_do_nothing(index_elements=[Delivery.key, Delivery.chat_id])
        for start in range(0, len(rows), 500):
            await self.session.execute(statement, rows[start : start + 500])

    async def sent_chats(self, event_id: int, kind: str = REMINDER) -> list[tuple[int, int | None]]:
        """(chat, user) that already received a message of this kind about the event."""
        statement = (
            select(Delivery.chat_id, Delivery.user_id)
            .where(Delivery.event_id == event_id, Delivery.kind == kind, Delivery.status.in_([SENT, SENDING]))
            .distinct()
        )
        return [(chat_id, user_id) for chat_id, user_id in await self.session.execute(statement)]

    async def drop_pending_of_user(self, user_id: int, categories: Sequence[str]) -> int:
        """Unsubscribing: the user's pending reminders of these categories go at once."""
        in_categories = select(Event.id).where(Event.category.in_(categories))
        statement = delete(Delivery).where(
            Delivery.user_id == user_id,
            Delivery.status == PENDING,
            Delivery.kind == REMINDER,
            Delivery.event_id.in_(in_categories),
        )
        result = await self.session.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, now: datetime, limit: int, owner: str, lease_until: datetime) -> list[Claimed]:
        """Claim up to ``limit`` due rows for ``owner`` until ``lease_until``: pending ones whose moment
        came, and rows whose lease ran out (their owner died or hangs). Each claim raises ``attempts``,
        the fencing token that the outcome must carry. One UPDATE ... RETURNING; on PostgreSQL the rows
        are locked with SKIP LOCKED, so two instances never claim the same row.
        """
        due = or_(
            and_(Delivery.status == PENDING, Delivery.due_at <= now),
            and_(Delivery.status == SENDING, Delivery.lease_until < now),
        )
        # A CTE, not "id IN (subquery)": PostgreSQL may run such a subquery with LIMIT more than once
        # per UPDATE and then claims more rows than asked; a locking CTE is evaluated exactly once.
        chosen = (
            select(Delivery.id)
            .where(due)
            .order_by(Delivery.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("chosen")
        )
        statement = (
            update(Delivery)
            .where(Delivery.id == chosen.c.id)
            .values(
                status=SENDING, claimed_at=now, owner=owner, lease_until=lease_until, attempts=Delivery.attempts + 1
            )
            .returning(
                Delivery.id,
                Delivery.key,
                Delivery.kind,
                Delivery.chat_id,
                Delivery.user_id,
                Delivery.event_id,
                Delivery.text,
                Delivery.not_after,
                Delivery.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.execute(statement)
        return [Claimed(*row) for row in rows]

    async def renew(self, claims: Iterable[Fence], lease_until: datetime) -> int:
        """Extend the leases of rows still being sent under these claims; returns how many are still ours."""
        held = [and_(Delivery.id == claim.delivery_id, Delivery.attempts == claim.attempt) for claim in claims]
        if not held:
            return 0
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.status == SENDING, or_(*held))
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def finish(
        self,
        claim: Fence,
        status: str,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Record the outcome of a claim, only while the row is still that claim's (status sending,
        same attempt): an outcome of a claim that was taken over is dropped, and a row that is sent
        never changes again. Returns whether it was written."""
        values: dict[str, Any] = {"status": status, "last_error": error[:255] if error else None, "lease_until": None}
        if status == SENT:
            values["sent_at"] = now
        if retry_at is not None:
            values["due_at"] = retry_at
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id == claim.delivery_id, Delivery.attempts == claim.attempt, Delivery.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def purge_final(self, before: datetime) -> int:
        """Rows done with (sent, failed, skipped, blocked) whose moment lies before ``before``."""
        result = await self.session.execute(
            delete(Delivery).where(
                Delivery.status.in_(FINAL), func.coalesce(Delivery.sent_at, Delivery.due_at) < before
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its unsent rows follow the new id (duplicates there are dropped)."""
        unsent = [Delivery.chat_id == old_chat_id, Delivery.status.in_([PENDING, SENDING])]
        existing = select(Delivery.key).where(Delivery.chat_id == new_chat_id)
        await self.session.execute(delete(Delivery).where(*unsent, Delivery.key.in_(existing)))
        await self.session.execute(
            update(Delivery)
            .where(*unsent)
            .values(chat_id=new_chat_id, status=PENDING)
            .execution_options(synchronize_session=False)
        )

    async def counts(self) -> dict[str, int]:
        statement = select(Delivery.status, func.count()).group_by(Delivery.status)
        return {status: number for status, number in await self.session.execute(statement)}

    async def next_due(self) -> datetime | None:
        statement = select(func.min(Delivery.due_at)).where(Delivery.status == PENDING)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def active_chats(self, chat_ids: Iterable[int]) -> set[int]:
        ids = list(set(chat_ids))
        if not ids:
            return set()
        return set(await self.session.scalars(select(Chat.id).where(Chat.id.in_(ids), Chat.active.is_(True))))

    async def events(self, event_ids: Iterable[int]) -> dict[int, Event]:
        ids = list(set(event_ids))
        if not ids:
            return {}
        return {event.id: event for event in await self.session.scalars(select(Event).where(Event.id.in_(ids)))}


__all__ = [
    "BLOCKED",
    "CANCELLED",
    "FAILED",
    "FINAL",
    "MESSAGE",
    "PENDING",
    "REMINDER",
    "SENDING",
    "SENT",
    "SKIPPED",
    "Claimed",
    "DeliveryRepository",
    "DraftRepository",
    "EventRepository",
    "Fence",
    "PlannedMoment",
    "PlannedRow",
    "Recipient",
    "SubscriptionRepository",
    "recipients_statement",
    "split",
]
