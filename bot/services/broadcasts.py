"""Broadcasts: a coordinator's message to (part of) the partnership, delivered through the outbox.

A broadcast starts as a draft (status ``concept``, in the database so a restart loses no text), gets
its text, audience and moment, and on confirmation all its outbox rows ("broadcast:<id>", one per
recipient chat, kind ``message``) are written in the same transaction as its audit row. The
dispatcher (bot/delivery.py) sends them like any delivery: paced, 429 honoured, 403 marks the chat
inactive, rows of a crashed process claimed again. ``complete`` runs after each dispatcher drain:
when every row of a broadcast is final it queues the report for the coordinator, once (the report's
outbox key is unique), and marks the broadcast done.

Every method that acts for a coordinator checks the right itself (callback data can be forged): the
actor must hold the right for the broadcast's partnership, and a draft belongs to its author only.
The command line acts with ``command_line(partnership)`` (no user id) and is trusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.agenda_questions import CATEGORIES
from bot.services.coordinators import Authority, NotAllowed, audit, require_right
from bot.services.deliveries import INACTIVE
from bot.services.roles import ROLES
from bot.services.schedule import DEFAULT_AUDIENCE, dutch_date, local
from bot.services.senders import Sender, storable
from bot.services.writes import WriteBehind
from db.agenda_repositories import (
    BLOCKED,
    MESSAGE,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    DeliveryRepository,
    EventRepository,
    Recipient,
    split,
)
from db.broadcast_repositories import (
    CANCELLED_BROADCAST,
    CONCEPT,
    DONE,
    OPEN,
    SCHEDULED,
    SENDING_NOW,
    BroadcastRepository,
    broadcast_key,
    report_key,
)
from db.engine import SessionFactory
from db.models import Broadcast
from knowledge import Matcher

TELEGRAM_TEXT_LIMIT = 4096
RECENT = 5
# Characters of HTML: the visible text is at most 4096, but links and formatting add to it. Never cut
# (a cut inside a tag breaks the message); longer is refused up front (``html_too_long``).
MAX_STORED = 100_000


class NothingToSend(ValueError):
    """The broadcast has no text, nobody in its audience, or is no longer a draft."""


class EmptyAudience(NothingToSend):
    """Nobody in the audience can get it (no active chat): choose another audience."""


@dataclass(frozen=True)
class Audience:
    """Who gets it: roles ("" = all), optionally one school or the subscribers of a category."""

    roles: tuple[str, ...] = ()
    school_id: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class School:
    id: str
    name: str


@dataclass(frozen=True)
class Report:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0  # pending or being sent
    gone: int = 0  # rows removed: the recipient unsubscribed or was forgotten
    reasons: tuple[tuple[str, int], ...] = ()  # Dutch reason, number of rows


@dataclass(frozen=True)
class BroadcastView:
    id: int
    partnership: str
    status: str
    text: str  # Telegram HTML of the body
    audience: Audience
    audience_text: str  # Dutch, plain
    due_at: datetime | None
    recipients: int
    created_at: datetime
    confirmed_at: datetime | None
    reported_at: datetime | None
    report: Report = field(default_factory=Report)


class BroadcastService:
    def __init__(self, sessions: SessionFactory, writes: WriteBehind, matcher: Matcher) -> None:
        self.sessions = sessions
        self.writes = writes
        self.matcher = matcher

    # -- the knowledge base's part of an audience -----------------------------------------------
    def partnership_name(self, partnership: str) -> str:
        found = self.matcher.kb.partnerships.get(partnership)
        return found.short_name if found is not None else partnership

    def schools(self, partnership: str) -> list[School]:
        """The partnership's schools in the knowledge base, by name."""
        found = [
            School(entry.id, entry.title)
            for entry in self.matcher.kb.entries
            if entry.school is not None and entry.partnership == partnership
        ]
        return sorted(found, key=lambda school: (school.name.casefold(), school.id))

    def _school_name(self, partnership: str, school_id: str) -> str | None:
        return next((s.name for s in self.schools(partnership) if s.id == school_id), None)

    def describe(self, partnership: str, audience: Audience) -> str:
        parts = []
        if audience.roles:
            parts.append("rollen: " + ", ".join(ROLES.get(role, role) for role in audience.roles))
        if audience.school_id is not None:
            parts.append("school: " + (self._school_name(partnership, audience.school_id) or audience.school_id))
        if audience.category is not None:
            parts.append("wie herinneringen krijgt voor " + CATEGORIES.get(audience.category, audience.category))
        return "; ".join(parts) if parts else "iedereen in het partnerschap"

    def check_audience(self, partnership: str, audience: Audience) -> None:
        """Refuse what is not an audience of this partnership (also untrusted button data)."""
        if any(role not in ROLES for role in audience.roles):
            raise NothingToSend("onbekende rol")
        if audience.school_id is not None and self._school_name(partnership, audience.school_id) is None:
            raise NothingToSend(f"onbekende school ‘{audience.school_id}’ in dit partnerschap")
        if audience.category is not None and audience.category not in CATEGORIES:
            raise NothingToSend("onbekende soort bijeenkomst")

    # -- drafts -----------------------------------------------------------------------------------
    async def draft(self, actor: Authority, sender: Sender | None, now: datetime) -> BroadcastView:
        """The actor's draft for their partnership: the one they left (after a restart too) or a new one."""
        if sender is not None:
            self.writes.record(sender)  # the author and their chat exist in this transaction
        async with self.writes.transaction() as session:
            found = await self._current(session, actor, sender, now)
            return await self._view(session, found, live=True)

    async def _current(
        self, session: AsyncSession, actor: Authority, sender: Sender | None, now: datetime
    ) -> Broadcast:
        await require_right(session, actor)
        repository = BroadcastRepository(session)
        found = await repository.concept_of(actor.user_id, actor.partnership) if actor.user_id else None
        if found is None:
            found = Broadcast(
                partnership=actor.partnership,
                author_id=actor.user_id,
                report_chat_id=sender.chat_id if sender is not None and sender.private else None,
                text="",
                roles="",
                status=CONCEPT,
                recipients=0,
                created_at=now,
                updated_at=now,
            )
            session.add(found)
            await session.flush()
        return found

    async def create(self, actor: Authority, text: str, audience: Audience, now: datetime) -> BroadcastView:
        """A complete draft in one go (the command line)."""
        self.check_audience(actor.partnership, audience)
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            found = Broadcast(
                partnership=actor.partnership,
                author_id=actor.user_id,
                report_chat_id=None,
                text=text,
                roles=",".join(audience.roles),
                school_id=audience.school_id,
                category=audience.category,
                status=CONCEPT,
                recipients=0,
                created_at=now,
                updated_at=now,
            )
            session.add(found)
            await session.flush()
            return await self._view(session, found, live=True)

    async def write(
        self, actor: Authority, broadcast_id: int | None, text: str, now: datetime, sender: Sender | None = None
    ) -> BroadcastView:
        """The body of the draft, as Telegram HTML (built from the message's entities by the handler).
        ``broadcast_id`` None: the actor's current draft, started when there is none."""
        if sender is not None:
            self.writes.record(sender)
        async with self.writes.transaction() as session:
            if broadcast_id is None:
                found = await self._current(session, actor, sender, now)
            else:
                found = await self._own_draft(session, actor, broadcast_id)
            if html_too_long(text):
                raise NothingToSend("het bericht met opmaak is te lang")
            found.text, found.updated_at = storable(text, MAX_STORED), now
            return await self._view(session, found, live=True)

    async def set_audience(
        self, actor: Authority, broadcast_id: int, audience: Audience, now: datetime
    ) -> BroadcastView:
        self.check_audience(actor.partnership, audience)
        async with self.writes.transaction() as session:
            found = await self._own_draft(session, actor, broadcast_id)
            _aim(found, audience)
            found.updated_at = now
            return await self._view(session, found, live=True)

    async def compose(
        self, actor: Authority, text: str, audience: Audience, due_at: datetime | None, now: datetime
    ) -> BroadcastView:
        """The actor's draft written whole (the web view's form: Telegram HTML, audience, moment) in
        one transaction, everything checked first: a refused part leaves the draft as it was."""
        self.check_audience(actor.partnership, audience)
        _check_moment(due_at, now)
        if html_too_long(text):
            raise NothingToSend("het bericht met opmaak is te lang")
        async with self.writes.transaction() as session:
            found = await self._current(session, actor, None, now)
            found.text = storable(text, MAX_STORED)
            _aim(found, audience)
            found.due_at, found.updated_at = due_at, now
            return await self._view(session, found, live=True)

    async def set_role(self, actor: Authority, broadcast_id: int, role: str, on: bool, now: datetime) -> BroadcastView:
        """Add or remove one role of the audience; idempotent (two quick taps agree)."""
        if role not in ROLES:
            raise NothingToSend("onbekende rol")
        async with self.writes.transaction() as session:
            found = await self._own_draft(session, actor, broadcast_id)
            roles = set(_split(found.roles))
            roles = roles | {role} if on else roles - {role}
            found.roles = ",".join(r for r in ROLES if r in roles)
            found.school_id = found.category = None
            found.updated_at = now
            return await self._view(session, found, live=True)

    async def set_moment(
        self, actor: Authority, broadcast_id: int | None, due_at: datetime | None, now: datetime
    ) -> BroadcastView:
        """Send at ``due_at`` (None: at once); a moment in the past is refused. ``broadcast_id``
        None: the actor's current draft (there must be one)."""
        _check_moment(due_at, now)
        async with self.writes.transaction() as session:
            if broadcast_id is None:
                await require_right(session, actor)
                current = await BroadcastRepository(session).concept_of(actor.user_id or 0, actor.partnership)
                if current is None:
                    raise NothingToSend("geen concept")
                broadcast_id = current.id
            found = await self._own_draft(session, actor, broadcast_id)
            found.due_at, found.updated_at = due_at, now
            return await self._view(session, found, live=True)

    async def view(self, actor: Authority, broadcast_id: int) -> BroadcastView:
        async with self.sessions() as session:
            found = await self._own_draft(session, actor, broadcast_id)
            return await self._view(session, found, live=True)

    async def discard(self, actor: Authority, broadcast_id: int | None = None) -> bool:
        """Throw the draft away ("Annuleren", /annuleer); nothing was sent, so nothing is audited."""
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            repository = BroadcastRepository(session)
            if broadcast_id is None:
                found = await repository.concept_of(actor.user_id, actor.partnership) if actor.user_id else None
            else:
                found = await repository.get(broadcast_id)
            if found is None or found.status != CONCEPT or not _owns(actor, found):
                return False
            await session.delete(found)
        return True

    # -- sending ----------------------------------------------------------------------------------
    async def confirm(self, actor: Authority, broadcast_id: int, now: datetime) -> BroadcastView:
        """Queue one outbox row per recipient, with the audit row, in one transaction.

        A second press of "Versturen" finds no draft any more and raises NothingToSend: the unique
        (key, chat) of the outbox would keep it from being sent twice anyway.
        """
        async with self.writes.transaction() as session:
            found = await self._own_draft(session, actor, broadcast_id)
            if not found.text.strip():
                raise NothingToSend("het bericht is leeg")
            if found.due_at is not None and found.due_at <= now:
                found.due_at = None  # it waited too long in the preview: now, then
            audience = _audience(found)
            recipients = await _recipients(session, found.partnership, audience, now)
            if not recipients:
                raise EmptyAudience("niemand in dit publiek")
            message = broadcast_message(self.partnership_name(found.partnership), found.text)
            await BroadcastRepository(session).enqueue(
                broadcast_key(found.id), recipients, message, found.due_at or now, now
            )
            found.status = SCHEDULED if found.due_at is not None else SENDING_NOW
            found.recipients, found.confirmed_at, found.updated_at = len(recipients), now, now
            planned = f"; gepland {found.due_at.isoformat()}" if found.due_at is not None else ""
            detail = f"ontvangers={len(recipients)}; publiek={_audience_detail(audience)}{planned}"
            action = "bericht-gepland" if found.due_at is not None else "bericht-verstuurd"
            audit(session, actor, action, now, subject=f"broadcast:{found.id}", detail=detail)
            return await self._view(session, found)

    async def cancel(self, actor: Authority, broadcast_id: int, now: datetime) -> BroadcastView | None:
        """Cancel a planned broadcast of the actor's partnership: its pending rows go. None: not
        (or no longer) planned."""
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            found = await BroadcastRepository(session).get(broadcast_id)
            if found is None or found.partnership != actor.partnership:
                raise NotAllowed("niet van jouw partnerschap")
            if not cancellable(found.status, found.due_at, now):
                return None
            removed = await BroadcastRepository(session).drop_pending(broadcast_key(found.id))
            found.status, found.updated_at = CANCELLED_BROADCAST, now
            subject, detail = f"broadcast:{found.id}", f"rijen={removed}"
            audit(session, actor, "bericht-geannuleerd", now, subject=subject, detail=detail)
            return await self._view(session, found)

    async def recent(self, actor: Authority, limit: int = RECENT) -> list[BroadcastView]:
        """The partnership's latest broadcasts (no drafts) with their progress and report."""
        async with self.sessions() as session:
            await require_right(session, actor)
            found = await BroadcastRepository(session).recent(actor.partnership, limit)
            return [await self._view(session, broadcast) for broadcast in found]

    async def planned(self, actor: Authority, now: datetime) -> list[BroadcastView]:
        """The partnership's confirmed broadcasts still waiting for their moment, soonest first."""
        async with self.sessions() as session:
            await require_right(session, actor)
            found = await BroadcastRepository(session).planned(actor.partnership, now)
            return [await self._view(session, broadcast) for broadcast in found]

    async def show(self, actor: Authority, broadcast_id: int) -> BroadcastView | None:
        """One broadcast of the actor's partnership with its progress and report (a draft: the
        author's own only, counted now). None: there is no such broadcast; NotAllowed: it is
        another partnership's (or another coordinator's draft)."""
        async with self.sessions() as session:
            await require_right(session, actor)
            found = await BroadcastRepository(session).get(broadcast_id)
            if found is None:
                return None
            if found.partnership != actor.partnership or (found.status == CONCEPT and not _owns(actor, found)):
                raise NotAllowed("niet van jouw partnerschap")
            return await self._view(session, found, live=found.status == CONCEPT)

    async def progress(self, broadcast_id: int) -> BroadcastView | None:
        """For the command line, which waits until every row is final."""
        async with self.sessions() as session:
            found = await BroadcastRepository(session).get(broadcast_id)
            return await self._view(session, found) if found is not None else None

    async def complete(self, now: datetime) -> int:
        """Queue the report of every broadcast whose rows are all final, once; returns how many.

        Runs after each dispatcher drain. The report is a new message to the chat the coordinator
        wrote from (none for the command line, which prints it itself).
        """
        async with self.sessions() as session:  # most polls find nothing to do: no write then
            repository = BroadcastRepository(session)
            candidates = [
                b.id
                for b in await repository.due_open(now)
                if b.status == SCHEDULED or not await repository.unfinished(broadcast_key(b.id))
            ]
        if not candidates:
            return 0
        completed = 0
        async with self.writes.transaction() as session:
            repository = BroadcastRepository(session)
            for found in await repository.due_open(now):
                key = broadcast_key(found.id)
                if await repository.unfinished(key):
                    if found.status == SCHEDULED:
                        found.status = SENDING_NOW
                    continue
                view = await self._view(session, found)
                if found.report_chat_id is not None:
                    await DeliveryRepository(session).add(
                        [
                            {
                                "key": report_key(found.id),
                                "kind": MESSAGE,
                                "chat_id": found.report_chat_id,
                                "user_id": found.author_id,
                                "text": report_message(view),
                                "due_at": now,
                                "status": PENDING,
                                "attempts": 0,
                                "created_at": now,
                            }
                        ]
                    )
                found.status, found.reported_at, found.updated_at = DONE, now, now
                completed += 1
        return completed

    async def audience_size(self, partnership: str, audience: Audience) -> int:
        async with self.sessions() as session:
            return len(await _recipients(session, partnership, audience, self.writes.clock()))

    # -- helpers ------------------------------------------------------------------------------------
    async def _own_draft(self, session: AsyncSession, actor: Authority, broadcast_id: int) -> Broadcast:
        await require_right(session, actor)
        found = await BroadcastRepository(session).get(broadcast_id)
        if found is None or found.partnership != actor.partnership or not _owns(actor, found):
            raise NotAllowed("niet jouw concept")
        if found.status != CONCEPT:
            raise NothingToSend("dit bericht is al verstuurd of weggegooid")
        return found

    async def _view(self, session: AsyncSession, found: Broadcast, live: bool = False) -> BroadcastView:
        """``live``: a draft's recipients are counted now; otherwise the count at confirmation."""
        audience = _audience(found)
        recipients = found.recipients
        if live:
            recipients = len(await _recipients(session, found.partnership, audience, self.writes.clock()))
        report = Report()
        if found.status != CONCEPT:
            report = await _report(BroadcastRepository(session), found)
        return BroadcastView(
            id=found.id,
            partnership=found.partnership,
            status=found.status,
            text=found.text,
            audience=audience,
            audience_text=self.describe(found.partnership, audience),
            due_at=found.due_at,
            recipients=recipients,
            created_at=found.created_at,
            confirmed_at=found.confirmed_at,
            reported_at=found.reported_at,
            report=report,
        )


def _aim(found: Broadcast, audience: Audience) -> None:
    found.roles = ",".join(audience.roles)
    found.school_id, found.category = audience.school_id, audience.category


def _check_moment(due_at: datetime | None, now: datetime) -> None:
    if due_at is not None and due_at <= now:
        raise NothingToSend("dat moment is al voorbij")


async def _recipients(session: AsyncSession, partnership: str, audience: Audience, now: datetime) -> list[Recipient]:
    """Who gets the broadcast. "Wie herinneringen krijgt voor <soort>" means exactly who gets that
    category's reminders: not opted out and in the audience of an upcoming event of that category
    (roles and schools as the event has them); with none planned, in the category's default audience."""
    reminded: list[tuple[Sequence[str], Sequence[str]]] = []
    if audience.category is not None:
        upcoming = await EventRepository(session).upcoming(partnership, now)
        reminded = [(split(e.audience), split(e.schools)) for e in upcoming if e.category == audience.category]
        reminded = reminded or [(DEFAULT_AUDIENCE.get(audience.category, ()), ())]
    return await BroadcastRepository(session).audience(
        partnership, audience.roles, audience.school_id, audience.category, reminded
    )


def _owns(actor: Authority, found: Broadcast) -> bool:
    return actor.user_id is None or found.author_id == actor.user_id


def _split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def _audience(found: Broadcast) -> Audience:
    return Audience(tuple(_split(found.roles)), found.school_id, found.category)


def _audience_detail(audience: Audience) -> str:
    """For the audit log: role, school and category ids, no personal data."""
    parts = [f"rollen={','.join(audience.roles)}"] if audience.roles else []
    if audience.school_id:
        parts.append(f"school={audience.school_id}")
    if audience.category:
        parts.append(f"soort={audience.category}")
    return " ".join(parts) or "iedereen"


async def _report(repository: BroadcastRepository, found: Broadcast) -> Report:
    key = broadcast_key(found.id)
    counts = (await repository.status_counts([key]))[key]
    reasons: dict[str, int] = {}
    blocked = failed = 0
    for status, error, number in await repository.reasons(key):
        is_blocked = status == BLOCKED or (status == SKIPPED and error == INACTIVE)
        blocked += number if is_blocked else 0
        failed += 0 if is_blocked else number
        reason = dutch_reason(error)
        reasons[reason] = reasons.get(reason, 0) + number
    total = sum(counts.values())
    gone = max(0, found.recipients - total) if found.status != CANCELLED_BROADCAST else 0
    ordered = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    return Report(
        sent=counts.get(SENT, 0),
        blocked=blocked,
        failed=failed,
        waiting=counts.get(PENDING, 0) + counts.get(SENDING, 0),
        gone=gone,
        reasons=ordered,
    )


# -- what coordinators and recipients read (Dutch; every inserted value escaped) -------------------
KNOWN_REASONS = (
    (re.compile(r"bot was blocked", re.IGNORECASE), "heeft de bot geblokkeerd"),
    (re.compile(r"deactivated", re.IGNORECASE), "Telegram-account bestaat niet meer"),
    (re.compile(r"chat not found", re.IGNORECASE), "chat niet gevonden"),
    (re.compile(r"too long", re.IGNORECASE), "bericht te lang"),
    (re.compile(r"parse entities", re.IGNORECASE), "opmaak niet geldig"),
    (re.compile(r"^na (\d+) pogingen", re.IGNORECASE), "lukte niet na herhaald proberen"),
)


def dutch_reason(error: str) -> str:
    """Why a row was not sent, in Dutch (Telegram's own words only for what we do not know)."""
    if error == INACTIVE:
        return "heeft de bot geblokkeerd of is niet meer bereikbaar"
    for pattern, reason in KNOWN_REASONS:
        if pattern.search(error):
            return reason
    return f"geweigerd door Telegram ({error.removeprefix('Bad Request: ')})" if error else "onbekende reden"


def plain(text_html: str) -> str:
    """The text of an HTML body without its tags (for listings and the command line)."""
    return html.unescape(re.sub(r"<[^>]*>", "", text_html))


def excerpt(text_html: str, length: int = 60) -> str:
    text = " ".join(plain(text_html).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def broadcast_header(partnership_name: str) -> str:
    return f"📢 <b>Bericht van de coördinatoren van {html.escape(partnership_name)}</b>\n\n"


def broadcast_message(partnership_name: str, body_html: str) -> str:
    return broadcast_header(partnership_name) + body_html


def html_too_long(text_html: str) -> bool:
    return len(text_html) > MAX_STORED


def max_body_length(partnership_name: str) -> int:
    """How long a body may be (in characters of text) so that the message fits Telegram's 4096."""
    return TELEGRAM_TEXT_LIMIT - len(plain(broadcast_header(partnership_name)))


def report_lines(view: BroadcastView) -> list[str]:
    """The report as plain lines: the same for the chat (escaped there) and the command line."""
    report = view.report
    lines = [f"Verzonden: {report.sent}", f"Geblokkeerd: {report.blocked}", f"Mislukt: {report.failed}"]
    if report.waiting:
        lines.append(f"Nog onderweg: {report.waiting}")
    if report.gone:
        lines.append(f"Niet meer verstuurd (afgemeld of gegevens verwijderd): {report.gone}")
    if report.reasons:
        lines.append("Redenen:")
        lines += [f"• {reason}: {number}" for reason, number in report.reasons]
    return lines


def report_message(view: BroadcastView) -> str:
    when = dutch_date(local(view.confirmed_at or view.created_at).date())
    title = f"📊 <b>Rapport van je bericht van {html.escape(when)}</b>"
    quoted = f"‘{html.escape(excerpt(view.text))}’ aan {html.escape(view.audience_text)} ({view.recipients} ontvangers)"
    return "\n".join([title, quoted, "", *(html.escape(line) for line in report_lines(view))])


def moment_text(moment: datetime) -> str:
    return f"{dutch_date(local(moment).date())} om {local(moment):%H:%M}"


def recipients_text(count: int) -> str:
    return "1 ontvanger" if count == 1 else f"{count} ontvangers"


def state_line(view: BroadcastView, now: datetime) -> str:
    """Where a broadcast is, in Dutch: planned, cancelled, under way or done with its report."""
    report = view.report
    if view.status == CANCELLED_BROADCAST:
        return "geannuleerd"
    if view.status == SCHEDULED and view.due_at is not None and view.due_at > now:
        return f"gepland op {moment_text(view.due_at)}"
    if view.status != DONE:
        done = report.sent + report.blocked + report.failed
        return f"bezig: {done} van {view.recipients} afgehandeld ({report.sent} verzonden)"
    return "klaar — " + "; ".join(report_lines(view)).replace("Redenen:; ", "redenen: ")


def cancellable(status: str, due_at: datetime | None, now: datetime) -> bool:
    """A planned broadcast can be cancelled until its moment (then the dispatcher starts sending)."""
    return status == SCHEDULED and due_at is not None and due_at > now


def roles_in(values: Sequence[str]) -> tuple[str, ...]:
    """Roles in the order of onboarding, unknown ones refused."""
    unknown = [value for value in values if value not in ROLES]
    if unknown:
        raise NothingToSend(f"onbekende rol ‘{unknown[0]}’; kies uit {', '.join(ROLES)}")
    return tuple(role for role in ROLES if role in values)


__all__ = [
    "OPEN",
    "Audience",
    "BroadcastService",
    "BroadcastView",
    "EmptyAudience",
    "NotAllowed",
    "NothingToSend",
    "Report",
    "School",
    "broadcast_message",
    "cancellable",
    "dutch_reason",
    "excerpt",
    "max_body_length",
    "moment_text",
    "plain",
    "recipients_text",
    "report_lines",
    "report_message",
    "roles_in",
    "state_line",
]
