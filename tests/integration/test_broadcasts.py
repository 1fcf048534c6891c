"""Broadcasts on SQLite and PostgreSQL: targeting, rights, scheduling, the outbox (429, 403, a restart
mid-broadcast), the report once, unsubscribing and forgetting, audit rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.delivery import Dispatcher
from bot.services import Audience, NewEvent, Services
from bot.services.broadcasts import NotAllowed, NothingToSend
from bot.services.coordinators import Authority, command_line
from bot.services.senders import Sender
from db.agenda_repositories import PENDING, REMINDER, SENT
from db.broadcast_repositories import CANCELLED_BROADCAST, DONE, SCHEDULED, SENDING_NOW
from db.engine import SessionFactory
from db.models import AuditEntry, Broadcast, Delivery
from db.repositories import ChatRepository, UserRepository
from knowledge import Matcher
from tests.factories import add_coordinator, add_user, services_for
from tests.fake_bot_api import TOKEN, FakeBotAPI
from tests.moments import NOW, local

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

CHIEF, MENTOR, STUDENT, BLOCKED, ELSEWHERE, OTHER_CHIEF, AT_SCHOOL = 8501, 8502, 8503, 8504, 8505, 8506, 8507
WEGWIJZER = "school:kc-de-wegwijzer"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


@pytest.fixture
async def people(sessions: SessionFactory) -> None:
    """Fictional people of poo-marnix (one blocked the bot) and one of groningen; two coordinators."""
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_user(sessions, STUDENT, "poo-marnix", "student")
    await add_user(sessions, BLOCKED, "poo-marnix", "mentor")
    await add_user(sessions, ELSEWHERE, "groningen-kop-van-drenthe", "mentor", WEGWIJZER)
    await add_user(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe", "schoolopleider")
    await add_user(sessions, AT_SCHOOL, "groningen-kop-van-drenthe", "student", WEGWIJZER)
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    await add_coordinator(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe")
    async with sessions.begin() as session:
        await ChatRepository(session).mark_blocked(BLOCKED)


def chief() -> Authority:
    return Authority(CHIEF, f"Fictief {CHIEF}", "poo-marnix")


def sender(user_id: int) -> Sender:
    return Sender(user_id, f"Fictief {user_id}", user_id, "private")


async def ready(
    services: Services, actor: Authority, text: str, audience: Audience, due: datetime | None = None
) -> int:
    """A draft written in chat, with its text, audience and moment; returns its id."""
    draft = await services.broadcasts.draft(actor, sender(actor.user_id or 0), NOW)
    await services.broadcasts.write(actor, draft.id, text, NOW)
    await services.broadcasts.set_audience(actor, draft.id, audience, NOW)
    await services.broadcasts.set_moment(actor, draft.id, due, NOW)
    return draft.id


async def rows(sessions: SessionFactory) -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.chat_id, Delivery.key)))


async def audit_rows(sessions: SessionFactory) -> list[tuple[int | None, str, str, str]]:
    async with sessions() as session:
        found = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(a.actor_id, a.action, a.subject, a.detail) for a in found]


@pytest.mark.usefixtures("people")
async def test_the_audience_counts_active_chats_of_the_partnership_the_sender_included(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    broadcasts = services_for(sessions, matcher).broadcasts
    everyone = await broadcasts.audience_size("poo-marnix", Audience())
    assert everyone == 3  # the coordinator, the mentor and the student; not the blocked one, not Groningen
    assert await broadcasts.audience_size("poo-marnix", Audience(roles=("mentor",))) == 1
    assert await broadcasts.audience_size("poo-marnix", Audience(roles=("mentor", "student"))) == 2
    assert await broadcasts.audience_size("groningen-kop-van-drenthe", Audience(school_id=WEGWIJZER)) == 2
    assert await broadcasts.audience_size("poo-marnix", Audience(category="intervisie")) == 3
    # Unsubscribed from intervisie: not among its subscribers any more, still in the whole partnership.
    await services_for(sessions, matcher).agenda.subscribe(STUDENT, "intervisie", False, NOW)
    assert await broadcasts.audience_size("poo-marnix", Audience(category="intervisie")) == 2
    assert await broadcasts.audience_size("poo-marnix", Audience()) == 3
    # Forgotten: in no audience.
    await services_for(sessions, matcher).profiles.forget(MENTOR, MENTOR)
    assert await broadcasts.audience_size("poo-marnix", Audience()) == 2
    # Only schools of the partnership in the knowledge base.
    assert [s.id for s in broadcasts.schools("groningen-kop-van-drenthe")][:1]
    assert WEGWIJZER in {s.id for s in broadcasts.schools("groningen-kop-van-drenthe")}
    assert broadcasts.schools("poo-marnix") == []
    with pytest.raises(NothingToSend):
        broadcasts.check_audience("poo-marnix", Audience(school_id=WEGWIJZER))


@pytest.mark.usefixtures("people")
async def test_the_subscribers_of_a_category_are_exactly_who_gets_its_reminders(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    broadcasts = services.broadcasts
    # No mentortraining planned: its default audience (mentors and school trainers), not the student.
    assert await broadcasts.audience_size("poo-marnix", Audience(category="mentortraining")) == 2
    # One planned for mentors only: exactly the one person whose reminders are planned.
    start = local(10, 15)
    await services.agenda.add(
        NewEvent(
            "poo-marnix",
            "Fictieve mentortraining",
            start,
            start + timedelta(hours=2),
            "mentortraining",
            audience=("mentor",),
        ),
        NOW,
    )
    reminded = {r.user_id for r in await rows(sessions) if r.kind == REMINDER}
    assert reminded == {MENTOR}
    assert await broadcasts.audience_size("poo-marnix", Audience(category="mentortraining")) == 1
    draft_id = await ready(services, chief(), "Fictief: neem je map mee", Audience(category="mentortraining"))
    view = await broadcasts.confirm(chief(), draft_id, NOW)
    assert view.recipients == 1
    # Roles and a category together: both must hold.
    assert await broadcasts.audience_size("poo-marnix", Audience(roles=("student",), category="mentortraining")) == 0


@pytest.mark.usefixtures("people")
async def test_confirming_queues_one_row_per_recipient_with_an_audit_row_once(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    draft_id = await ready(services, chief(), "Fictief <b>nieuws</b> &amp; meer", Audience(roles=("mentor", "student")))
    view = await services.broadcasts.confirm(chief(), draft_id, NOW)
    assert (view.status, view.recipients) == (SENDING_NOW, 2)
    found = await rows(sessions)
    assert [(r.chat_id, r.user_id, r.key, r.kind, r.status) for r in found] == [
        (MENTOR, MENTOR, f"broadcast:{draft_id}", "message", PENDING),
        (STUDENT, STUDENT, f"broadcast:{draft_id}", "message", PENDING),
    ]
    assert found[0].text is not None
    assert found[0].text.endswith("Fictief <b>nieuws</b> &amp; meer")
    assert "Bericht van de coördinatoren van POO" in found[0].text
    # Pressing "Versturen" again sends nothing more.
    with pytest.raises(NothingToSend):
        await services.broadcasts.confirm(chief(), draft_id, NOW)
    assert len(await rows(sessions)) == 2
    assert await audit_rows(sessions) == [
        (CHIEF, "bericht-verstuurd", f"broadcast:{draft_id}", "ontvangers=2; publiek=rollen=mentor,student")
    ]


@pytest.mark.usefixtures("people")
async def test_nobody_without_the_right_for_the_partnership_can_touch_a_broadcast(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    broadcasts = services.broadcasts
    draft_id = await ready(services, chief(), "Fictief", Audience())
    mentor = Authority(MENTOR, "x", "poo-marnix")  # forged: no right behind it
    other = Authority(OTHER_CHIEF, "x", "groningen-kop-van-drenthe")
    forged_other = Authority(OTHER_CHIEF, "x", "poo-marnix")  # right for Groningen, claims poo-marnix
    for actor in (mentor, other, forged_other):
        with pytest.raises(NotAllowed):
            await broadcasts.confirm(actor, draft_id, NOW)
        with pytest.raises(NotAllowed):
            await broadcasts.set_role(actor, draft_id, "mentor", True, NOW)
    with pytest.raises(NotAllowed):
        await broadcasts.recent(mentor)
    with pytest.raises(NotAllowed):
        await broadcasts.draft(mentor, sender(MENTOR), NOW)
    # Another coordinator of the same partnership cannot send someone else's draft either.
    await add_coordinator(sessions, STUDENT, "poo-marnix")
    with pytest.raises(NotAllowed):
        await broadcasts.confirm(Authority(STUDENT, "x", "poo-marnix"), draft_id, NOW)
    assert await rows(sessions) == []
    assert await audit_rows(sessions) == []
    assert await broadcasts.recent(other) == []


@pytest.mark.usefixtures("people")
async def test_roles_are_set_and_unset_idempotently(sessions: SessionFactory, matcher: Matcher) -> None:
    broadcasts = services_for(sessions, matcher).broadcasts
    draft = await broadcasts.draft(chief(), sender(CHIEF), NOW)
    for _ in range(2):  # two quick taps agree
        view = await broadcasts.set_role(chief(), draft.id, "mentor", True, NOW)
    view = await broadcasts.set_role(chief(), draft.id, "student", True, NOW)
    assert view.audience.roles == ("student", "mentor")
    assert view.recipients == 2
    for _ in range(2):
        view = await broadcasts.set_role(chief(), draft.id, "student", False, NOW)
    assert view.audience.roles == ("mentor",)
    # The draft survives: /bericht again (say after a restart) continues it.
    again = await broadcasts.draft(chief(), sender(CHIEF), NOW)
    assert (again.id, again.audience.roles) == (draft.id, ("mentor",))


@pytest.mark.usefixtures("people")
async def test_a_scheduled_broadcast_waits_and_can_be_cancelled_by_a_coordinator_of_the_partnership(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock)
    later = NOW + timedelta(hours=5)
    with pytest.raises(NothingToSend):
        await services.broadcasts.set_moment(
            chief(), (await services.broadcasts.draft(chief(), None, NOW)).id, NOW, NOW
        )
    draft_id = await ready(services, chief(), "Fictief gepland", Audience(), due=later)
    view = await services.broadcasts.confirm(chief(), draft_id, NOW)
    assert (view.status, view.due_at) == (SCHEDULED, later)
    assert {r.due_at for r in await rows(sessions)} == {later}
    assert await Dispatcher(services, bot).tick() == 0  # not yet
    assert api.calls_to("sendMessage") == []

    with pytest.raises(NotAllowed):
        await services.broadcasts.cancel(Authority(OTHER_CHIEF, "x", "groningen-kop-van-drenthe"), draft_id, NOW)
    cancelled = await services.broadcasts.cancel(chief(), draft_id, NOW)
    assert cancelled is not None
    assert cancelled.status == CANCELLED_BROADCAST
    assert await rows(sessions) == []
    assert await services.broadcasts.cancel(chief(), draft_id, NOW) is None  # not planned any more
    clock.now = later
    assert await Dispatcher(services, bot).tick() == 0
    assert api.calls_to("sendMessage") == []
    assert [a[1] for a in await audit_rows(sessions)] == ["bericht-gepland", "bericht-geannuleerd"]


@pytest.mark.usefixtures("people")
async def test_a_scheduled_broadcast_goes_out_at_its_moment_with_its_report(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock)
    later = NOW + timedelta(hours=5)
    draft_id = await ready(services, chief(), "Fictief gepland", Audience(roles=("mentor",)), due=later)
    await services.broadcasts.confirm(chief(), draft_id, NOW)
    clock.now = later
    await Dispatcher(services, bot).tick()
    assert [m["text"].splitlines()[-1] for m in api.sent_to(MENTOR)] == ["Fictief gepland"]
    [report] = api.sent_to(CHIEF)
    assert "Verzonden: 1" in report["text"]


@pytest.mark.usefixtures("people")
async def test_the_report_counts_sent_blocked_and_failed_with_reasons_and_comes_once(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock)
    await add_user(sessions, 8510, "poo-marnix", "mentor")
    await add_user(sessions, 8511, "poo-marnix", "mentor")
    draft_id = await ready(services, chief(), "Fictief <i>rapport</i>", Audience(roles=("mentor",)))
    await services.broadcasts.confirm(chief(), draft_id, NOW)
    # Blocked meanwhile at Telegram (403), and one that Telegram refuses (400); the blocked mentor
    # of the fixture was never queued.
    api.blocked_chats.add(8510)
    api.unknown_chats.add(8511)
    dispatcher = Dispatcher(services, bot)
    await dispatcher.tick()
    [report] = api.sent_to(CHIEF)
    lines = report["text"].splitlines()
    assert "Verzonden: 1" in lines
    assert "Geblokkeerd: 1" in lines
    assert "Mislukt: 1" in lines
    assert "• heeft de bot geblokkeerd: 1" in lines
    assert "• chat niet gevonden: 1" in lines
    assert "‘Fictief rapport’" in report["text"]
    async with sessions() as session:
        stored = await session.get(Broadcast, draft_id)
        assert stored is not None
        assert (stored.status, stored.reported_at) == (DONE, NOW)
    # However often the dispatcher runs again, the report came once.
    for _ in range(3):
        await dispatcher.tick()
    assert len(api.sent_to(CHIEF)) == 1
    [view] = await services.broadcasts.recent(chief())
    assert (view.report.sent, view.report.blocked, view.report.failed, view.report.waiting) == (1, 1, 1, 0)


@pytest.mark.usefixtures("people")
async def test_429_is_honoured_and_the_report_waits_for_the_retry(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock)
    draft_id = await ready(services, chief(), "Fictief", Audience(roles=("mentor",)))
    await services.broadcasts.confirm(chief(), draft_id, NOW)
    api.rate_limit_next, api.retry_after = 1, 7
    dispatcher = Dispatcher(services, bot)
    await dispatcher.tick()
    assert api.sent_to(MENTOR) == []
    assert api.sent_to(CHIEF) == []  # no report while a row waits
    clock.now = NOW + timedelta(seconds=7)
    await dispatcher.tick()
    assert len(api.sent_to(MENTOR)) == 1
    [report] = api.sent_to(CHIEF)
    assert "Verzonden: 1" in report["text"]


async def test_a_restart_mid_broadcast_sends_the_rest_and_repeats_at_most_the_rows_in_flight(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock, delivery_batch_size=5, delivery_claim_timeout_seconds=60)
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    for n in range(40):
        await add_user(sessions, 8600 + n, "poo-marnix", "mentor")
    draft_id = await ready(services, chief(), "Fictief", Audience(roles=("mentor",)))
    await services.broadcasts.confirm(chief(), draft_id, NOW)
    # The first process sends 15 messages and records them, then claims and sends 5 more and dies
    # before it records those: they stay "sending".
    crashed = Dispatcher(services, bot)
    for _ in range(3):
        await services.deliveries.record([await crashed.send(o) for o in await services.deliveries.claim(NOW, 5)], NOW)
    in_flight = [await crashed.send(o) for o in await services.deliveries.claim(NOW, 5)]
    assert len(in_flight) == 5
    # The restarted process: the rest at once, the 5 in flight once their claim is stale.
    clock.now = NOW + timedelta(seconds=1)
    restarted = Dispatcher(services, bot)
    await restarted.tick()
    received = {8600 + n: len(api.sent_to(8600 + n)) for n in range(40)}
    assert sorted(received.values()) == [1] * 40
    assert api.sent_to(CHIEF) == []  # 5 rows are not final yet: no report
    clock.now = NOW + timedelta(seconds=61)
    await restarted.tick()
    received = {8600 + n: len(api.sent_to(8600 + n)) for n in range(40)}
    twice = [chat for chat, count in received.items() if count == 2]
    assert min(received.values()) == 1
    assert len(twice) == 5  # exactly the rows in flight, the bound DELIVERY_BATCH_SIZE documents
    assert {o.chat_id for o in in_flight} == set(twice)
    assert {r.status for r in await rows(sessions) if r.key.startswith("broadcast:")} == {SENT}
    [report] = api.sent_to(CHIEF)
    assert "Verzonden: 40" in report["text"]


@pytest.mark.usefixtures("people")
async def test_unsubscribed_or_forgotten_recipients_never_get_a_pending_broadcast(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    services = services_for(sessions, matcher, clock)
    later = NOW + timedelta(hours=1)
    for_subscribers = await ready(services, chief(), "Fictief intervisie", Audience(category="intervisie"), due=later)
    await services.broadcasts.confirm(chief(), for_subscribers, NOW)
    await add_coordinator(sessions, MENTOR, "poo-marnix")
    mentor = Authority(MENTOR, "x", "poo-marnix")
    for_everyone = await ready(services, mentor, "Fictief iedereen", Audience(), due=later)
    await services.broadcasts.confirm(mentor, for_everyone, NOW)
    assert len(await rows(sessions)) == 6  # 3 recipients each
    # The student switches intervisie reminders off: only the broadcast to its subscribers goes.
    await services.agenda.subscribe(STUDENT, "intervisie", False, NOW)
    assert {r.key for r in await rows(sessions) if r.chat_id == STUDENT} == {f"broadcast:{for_everyone}"}
    # /vergeetmij: everything to the chief goes, the chief's sent broadcast stays without its author.
    await services.profiles.forget(CHIEF, CHIEF)
    assert CHIEF not in {r.chat_id for r in await rows(sessions)}
    clock.now = later
    await Dispatcher(services, bot).tick()
    assert api.sent_to(CHIEF) == []
    assert [m["text"].splitlines()[-1] for m in api.sent_to(STUDENT)] == ["Fictief iedereen"]
    assert len(api.sent_to(MENTOR)) == 3  # two broadcasts and the report of their own
    async with sessions() as session:
        stored = await session.get(Broadcast, for_subscribers)
        assert stored is not None
        assert (stored.author_id, stored.report_chat_id, stored.status) == (None, None, DONE)


@pytest.mark.usefixtures("people")
async def test_the_command_line_acts_for_the_partnership_and_is_audited_as_such(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    broadcasts = services_for(sessions, matcher).broadcasts
    actor = command_line("groningen-kop-van-drenthe")
    draft = await broadcasts.create(actor, "Fictief &lt;3", Audience(school_id=WEGWIJZER), NOW)
    assert draft.recipients == 2
    assert draft.audience_text == "school: KC De Wegwijzer"
    view = await broadcasts.confirm(actor, draft.id, NOW)
    assert view.recipients == 2
    assert {r.chat_id for r in await rows(sessions)} == {ELSEWHERE, AT_SCHOOL}
    assert await audit_rows(sessions) == [
        (None, "bericht-verstuurd", f"broadcast:{draft.id}", f"ontvangers=2; publiek=school={WEGWIJZER}")
    ]
    async with sessions() as session:
        assert await UserRepository(session).get(ELSEWHERE) is not None


@pytest.mark.usefixtures("people")
async def test_paid_broadcast_only_when_switched_on_and_only_for_the_broadcast_rows(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    for allowed in (False, True):
        services = services_for(sessions, matcher, Clock(), allow_paid_broadcast=allowed)
        draft_id = await ready(services, chief(), f"Fictief {allowed}", Audience(roles=("mentor",)))
        await services.broadcasts.confirm(chief(), draft_id, NOW)
        await Dispatcher(services, bot).tick()
    calls = [(int(c.params["chat_id"]), c.params.get("allow_paid_broadcast")) for c in api.calls_to("sendMessage")]
    # Off: no parameter at all (the message and its report); on: the broadcast row only, not the report.
    assert calls == [(MENTOR, None), (CHIEF, None), (MENTOR, "true"), (CHIEF, None)]


@pytest.mark.usefixtures("people")
async def test_one_broadcast_and_the_planned_ones_are_shown_to_their_partnership_only(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    """What the web view's /berichten shows: the planned broadcasts (soonest first) and one
    broadcast with its progress; another partnership's id or someone else's draft is refused."""
    services = services_for(sessions, matcher)
    broadcasts = services.broadcasts
    later, sooner = NOW + timedelta(days=3), NOW + timedelta(hours=2)
    first = await ready(services, chief(), "Fictief later", Audience(), due=later)
    await broadcasts.confirm(chief(), first, NOW)
    second = await ready(services, chief(), "Fictief eerder", Audience(roles=("mentor",)), due=sooner)
    await broadcasts.confirm(chief(), second, NOW)
    now_sent = await ready(services, chief(), "Fictief nu", Audience())
    await broadcasts.confirm(chief(), now_sent, NOW)
    cancelled = await ready(services, chief(), "Fictief weg", Audience(), due=later)
    await broadcasts.confirm(chief(), cancelled, NOW)
    await broadcasts.cancel(chief(), cancelled, NOW)

    planned = await broadcasts.planned(chief(), NOW)
    assert [v.id for v in planned] == [second, first]
    assert [v.id for v in await broadcasts.planned(chief(), sooner)] == [first]  # its moment came
    other = Authority(OTHER_CHIEF, "x", "groningen-kop-van-drenthe")
    assert await broadcasts.planned(other, NOW) == []

    shown = await broadcasts.show(chief(), now_sent)
    assert shown is not None
    assert (shown.status, shown.recipients, shown.report.waiting) == (SENDING_NOW, 3, 3)
    assert await broadcasts.show(chief(), 999_999) is None
    for actor in (other, Authority(OTHER_CHIEF, "x", "poo-marnix"), Authority(MENTOR, "x", "poo-marnix")):
        with pytest.raises(NotAllowed):
            await broadcasts.show(actor, now_sent)
    # A draft: its author sees it, counted now; another coordinator of the partnership does not.
    draft = await broadcasts.write(chief(), None, "Fictief concept", NOW)
    assert (draft.status, draft.recipients) == ("concept", 3)
    shown_draft = await broadcasts.show(chief(), draft.id)
    assert shown_draft is not None
    assert shown_draft.recipients == 3
    await add_coordinator(sessions, STUDENT, "poo-marnix")
    with pytest.raises(NotAllowed):
        await broadcasts.show(Authority(STUDENT, "x", "poo-marnix"), draft.id)


@pytest.mark.usefixtures("people")
async def test_a_draft_started_without_a_chat_is_confirmed_once_and_reported_nowhere_in_chat(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    """The web view writes the draft without a chat: confirmed twice (a double submit) it is queued
    once; its report is only on the page (no chat to send it to)."""
    services = services_for(sessions, matcher, Clock())
    broadcasts = services.broadcasts
    draft = await broadcasts.compose(chief(), "Fictieve webtekst &lt;b&gt;", Audience(roles=("mentor",)), None, NOW)
    view = await broadcasts.confirm(chief(), draft.id, NOW)
    assert view.recipients == 1
    with pytest.raises(NothingToSend):
        await broadcasts.confirm(chief(), draft.id, NOW)
    assert [r.chat_id for r in await rows(sessions)] == [MENTOR]
    await Dispatcher(services, bot).tick()
    await broadcasts.complete(NOW)
    shown = await broadcasts.show(chief(), draft.id)
    assert shown is not None
    assert (shown.status, shown.report.sent, shown.report.waiting) == (DONE, 1, 0)
    assert [c.params["chat_id"] for c in api.calls_to("sendMessage")] in ([MENTOR], [str(MENTOR)])


@pytest.mark.usefixtures("people")
async def test_a_refused_form_leaves_the_draft_as_it_was(sessions: SessionFactory, matcher: Matcher) -> None:
    """The web form writes text, audience and moment at once: a moment already past (or an unknown
    school) refuses all of it, and the draft the chat shares keeps its text and audience."""
    broadcasts = services_for(sessions, matcher, Clock()).broadcasts
    draft_id = await ready(
        services_for(sessions, matcher), chief(), "Fictieve eerste tekst", Audience(roles=("mentor",))
    )
    with pytest.raises(NothingToSend):
        await broadcasts.compose(chief(), "Fictieve nieuwe tekst", Audience(), NOW - timedelta(minutes=1), NOW)
    with pytest.raises(NothingToSend):
        await broadcasts.compose(chief(), "Fictieve nieuwe tekst", Audience(school_id="school:fictief"), None, NOW)
    kept = await broadcasts.view(chief(), draft_id)
    assert (kept.text, kept.audience) == ("Fictieve eerste tekst", Audience(roles=("mentor",)))
    later = NOW + timedelta(days=1)
    written = await broadcasts.compose(chief(), "Fictieve nieuwe tekst", Audience(), later, NOW)
    assert (written.id, written.text, written.audience, written.due_at) == (
        draft_id,
        "Fictieve nieuwe tekst",
        Audience(),
        later,
    )
