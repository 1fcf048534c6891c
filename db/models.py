"""Typed SQLAlchemy 2.0 models.

Deliveries (reminders, broadcasts) go to *chats*: a private chat of a user, or a group. So a chat
carries the delivery state (active, blocked by the user), and a user carries the profile that
broadcasts and reminders select on (partnership, role, school) and points at its private chat.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Every timestamp: aware in, aware UTC out, stored as UTC, the same on SQLite and PostgreSQL.

    SQLite has no time zones: SQLAlchemy stores the wall-clock time and drops the offset, so 09:00
    Europe/Amsterdam would come back as 09:00 without a zone. Converting to UTC first fixes that; a
    naive value is refused instead of being guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        in_utc = value.astimezone(UTC)
        return in_utc if dialect.name == "postgresql" else in_utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy's own attribute)


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    user: Mapped[User | None] = relationship(back_populates="chat", passive_deletes=True)


class User(Base):
    __tablename__ = "users"
    # Audiences of reminders and broadcasts: a partnership, optionally narrowed to roles.
    __table_args__ = (Index("ix_users_partnership_role", "partnership", "role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="SET NULL"), unique=True, index=True
    )
    display_name: Mapped[str] = mapped_column(String(255), default="")
    partnership: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    school_id: Mapped[str | None] = mapped_column(String(64), index=True)
    school_name: Mapped[str | None] = mapped_column(String(255))
    awaiting: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    chat: Mapped[Chat | None] = relationship(back_populates="user")

    @property
    def active(self) -> bool:
        """Whether the bot can still reach this user in private."""
        return self.chat is not None and self.chat.active


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_created_at", "created_at"),)

    # Made by the application (db.repositories.new_question_id), so a reply can carry its feedback
    # buttons before the row is written.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    question: Mapped[str] = mapped_column(Text)
    matched: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Double)
    fallback: Mapped[bool]
    partnership: Mapped[str | None] = mapped_column(String(64))
    feedback: Mapped[int | None] = mapped_column(SmallInteger)
    feedback_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # A coordinator answered it from the question inbox (/vragen): it left the inbox.
    answered_at: Mapped[datetime | None]


class Lease(Base):
    """A named role that one instance holds at a time, e.g. "polling": the newest instance that
    started long polling. On a 409 from Telegram an instance that no longer holds it hands over."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[datetime]


class InboxUpdate(Base):
    """An update received but not yet handled: written before Telegram is told it arrived, deleted
    once handled, so that a crash loses none (see bot/inbox.py). Holds personal data only briefly."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    # What handling it already committed when its reply may not have gone out (e.g. "school").
    outcome: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The instance handling it and until when; another instance takes it over once the lease ran out.
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]


class Event(Base):
    """One occurrence of an agenda item of a partnership; a series is stored as its occurrences.

    ``uid`` is the source UID (shared by the occurrences of a series) and ``occurrence`` the
    RECURRENCE-ID in UTC ("" for a single event), so re-importing a file updates instead of
    duplicating. ``audience`` is a comma-separated list of roles ("" = the whole partnership),
    ``schools`` optionally narrows it to school ids. ``alarms`` holds the event's own reminder
    moments (JSON, see bot/services/schedule.py); None means the category's defaults.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("partnership", "uid", "occurrence", name="uq_events_partnership_uid_occurrence"),
        Index("ix_events_partnership_starts_at", "partnership", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership: Mapped[str] = mapped_column(String(64))
    uid: Mapped[str] = mapped_column(String(255))
    occurrence: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(255), default="")
    schools: Mapped[str] = mapped_column(Text, default="")
    alarms: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class Subscription(Base):
    """A user's choice for one category of reminders; no row means subscribed (the default)."""

    __tablename__ = "subscriptions"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Rsvp(Base):
    """ "Ik kom" (True) or "Ik kan niet" (False) of a user for one event occurrence; changeable."""

    __tablename__ = "rsvps"

    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False, index=True
    )
    coming: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """The outbox: one message to one chat, sent at least once and at most once per (key, chat).

    ``key`` names what is sent ("reminder:<event>:<moment>", "cancelled:<event>", later broadcasts),
    so planning again never duplicates. Status: pending -> sending (claimed) -> sent, or failed /
    skipped with ``last_error``, or blocked (the user blocked the bot). A row is skipped when its
    chat is inactive or, with ``not_after`` set (the event's start), when that moment has passed.
    ``text`` is for messages that are not rendered from an event (broadcasts).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", "chat_id", name="uq_deliveries_key_chat_id"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("events.id", ondelete="CASCADE"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    not_after: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    # The instance that claimed the row and until when; ``attempts`` is the claim's fencing token.
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coordinator(Base):
    """The right to run a partnership in the bot (broadcasts, agenda, inbox, imports, statistics).

    Granted only by the command line (``python -m bot coordinators add``), from ``COORDINATOR_IDS`` at
    start, or by another coordinator of the same partnership in chat; never by the role chosen in
    onboarding. Keyed on the Telegram user id, so a right can be granted before the person ever
    wrote to the bot.
    """

    __tablename__ = "coordinators"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    partnership: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what, when, for every coordinator action. A forgotten coordinator's rows stay, with
    ``actor_id`` and ``actor_name`` emptied; ``subject`` names what was acted on by id ("broadcast:7",
    "user:123"), ``detail`` holds no personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_partnership_at", "partnership", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    partnership: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class KnowledgeItem(Base):
    """The knowledge overlay: an entry a partnership added without editing the YAML files (a contact
    person, a school or a question and its answer), from an import or an answer in the inbox.

    ``key`` is the item's natural key (knowledge/overlay.py: ``natural_key``), so importing again
    updates instead of duplicating; ``fields`` holds its columns as JSON. Who changed it is in the
    audit log, not here (the log forgets names on /vergeetmij).
    """

    __tablename__ = "knowledge_overlay"
    __table_args__ = (UniqueConstraint("partnership", "kind", "key", name="uq_knowledge_overlay_partnership_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    entry_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxDraft(Base):
    """A coordinator's answer being written for a group of questions in the inbox: kept in the
    database, so a restart loses no text. One per coordinator; deleted once sent or cancelled, and
    with the coordinator on /vergeetmij."""

    __tablename__ = "inbox_drafts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # the coordinator
    partnership: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[int] = mapped_column(BigInteger)
    answer: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventDraft(Base):
    """What a coordinator typed so far in /nieuw ("nieuw") or in changing an event ("wijzig"), so a
    restart of the bot loses no text. One row per coordinator and purpose; gone with the user."""

    __tablename__ = "event_drafts"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    purpose: Mapped[str] = mapped_column(String(8), primary_key=True)
    partnership: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("events.id", ondelete="CASCADE"))
    field: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(255))
    day: Mapped[str | None] = mapped_column(String(10))  # a day picked with a button (ISO date)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(String(255))  # "" = no place
    audience: Mapped[str | None] = mapped_column(String(255))  # comma-separated roles, "" = everyone
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A message of a partnership's coordinators to (part of) the partnership, sent through the outbox.

    Status: ``concept`` (being written in /bericht; the draft survives a restart), then ``scheduled``
    (its outbox rows wait for ``due_at``) or ``sending``, then ``done`` once every outbox row is final
    and the report is queued; or ``cancelled``. Its outbox rows have the key "broadcast:<id>", one per
    chat. The audience: ``roles`` (comma-separated, "" = every role), optionally one school
    (``school_id``) or the subscribers of a category; all empty is the whole partnership.
    ``author_id`` and ``report_chat_id`` are emptied when the author is forgotten (then no report);
    ``text`` is Telegram HTML, built from the entities of the coordinator's message.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_partnership_created_at", "partnership", "created_at"),
        Index("ix_broadcasts_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    report_chat_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    roles: Mapped[str] = mapped_column(String(255), default="")
    school_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="concept")
    due_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]


class WebToken(Base):
    """A way into the web view (bot/web/): a one-time link sent by /web, or the session it started.

    Only the SHA-256 of a token is stored, so a copy of the database opens no session. A coordinator
    who loses the right (or says /vergeetmij) loses every token at once (``delete_everything``).
    """

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "link" or "session"
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
