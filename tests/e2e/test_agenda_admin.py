"""The agenda for coordinators end to end: /nieuw typed and with buttons, the overview under /agenda
with the counts, changing and cancelling, and everyone else refused (forged buttons included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import NewEvent
from bot.services.schedule import AMSTERDAM, MONTHS, WEEKDAYS
from db.engine import SessionFactory
from db.models import AuditEntry, Event
from handlers import agenda_admin
from knowledge import Matcher
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, BOB, GROUP, onboard
from tests.factories import services_for
from tests.fake_bot_api import FakeBotAPI, buttons

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
REFUSAL = "alleen voor coördinatoren"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix, Carla coordinates Groningen; Bob is a mentor without rights."""
    return {"coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe", "quiet_hours": ""}


def typed_day(days_ahead: int, weekday_shift: int = 0) -> tuple[str, datetime]:
    """ "di 3 dec" for a day ``days_ahead`` from today (a wrong weekday with ``weekday_shift``)."""
    day = datetime.now(AMSTERDAM).date() + timedelta(days=days_ahead)
    weekday = WEEKDAYS[(day.weekday() + weekday_shift) % 7][:2]
    return f"{weekday} {day.day} {MONTHS[day.month - 1][:3]}", datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)


async def edited(api: FakeBotAPI, user: dict[str, Any], message: dict[str, Any], text: str) -> dict[str, Any]:
    key = (user["id"], message["message_id"])
    await api.wait_until(lambda: text in api.messages[key].get("text", ""))
    return api.messages[key]


async def audit(db: SessionFactory) -> list[tuple[int | None, str, str]]:
    async with db() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("event-%")).order_by(AuditEntry.id)
        )
        return [(r.actor_id, r.action, r.subject) for r in rows]


async def events(db: SessionFactory) -> list[Event]:
    async with db() as session:
        return list(await session.scalars(select(Event).order_by(Event.id)))


async def test_a_coordinator_adds_an_event_by_typing_and_sees_it_with_counts_under_agenda(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")

    start = await api.ask(ALICE, "/nieuw")
    assert "Wat voor bijeenkomst wordt het?" in start["text"]
    api.press(ALICE, start, "nwc:intervisie")
    await edited(api, ALICE, start, "Wat is de titel?")

    # What is typed in a step is never taken for a question.
    when = await api.ask(ALICE, "Intervisie <mentoren> & co")
    assert "Wanneer is het?" in when["text"]
    wrong, _ = typed_day(10, weekday_shift=1)
    refused = await api.ask(ALICE, f"{wrong} 15:00")
    assert "Klopt de datum?" in refused["text"]
    past = await api.ask(ALICE, "1-1-2020 15:00")
    assert "is al voorbij" in past["text"]
    right, day = typed_day(10)
    place = await api.ask(ALICE, f"{right} 15:00-16:30")
    assert "Genoteerd" in place["text"]
    assert "15:00–16:30" in place["text"]
    audience = await api.ask(ALICE, "KC Fictief")
    assert "Voor wie is het?" in audience["text"]
    assert "nwa:aan:mentor" in buttons(audience)
    api.press(ALICE, audience, "nwa:aan:mentor")
    audience = await edited(api, ALICE, audience, "Voor wie is het?")
    await api.wait_until(lambda: "nwa:uit:mentor" in buttons(api.messages[(ALICE["id"], audience["message_id"])]))
    api.press(ALICE, api.messages[(ALICE["id"], audience["message_id"])], "nwa:klaar:-")
    preview = await edited(api, ALICE, audience, "Klopt dit?")
    assert "Intervisie <mentoren> & co (intervisie)" in preview["text"]
    assert "Plaats: KC Fictief" in preview["text"]
    assert "Voor: mentor" in preview["text"]
    api.press(ALICE, preview, "nwk:opslaan")
    await edited(api, ALICE, preview, "Opgeslagen: Intervisie <mentoren> & co")

    [event] = await events(db)
    assert (event.partnership, event.audience, event.location) == ("poo-marnix", "mentor", "KC Fictief")
    assert event.starts_at == day.replace(hour=15).astimezone(UTC)
    assert await audit(db) == [(ALICE["id"], "event-new", f"event:{event.id}")]

    # Bob's /agenda is the same as before: one message, nothing to manage.
    before = len(api.sent_to(BOB["id"]))
    agenda = await api.ask(BOB, "/agenda")
    assert "Intervisie <mentoren> & co" in agenda["text"]
    await bot.wait_idle()
    assert len(api.sent_to(BOB["id"])) == before + 1
    assert "Beheer" not in api.sent_to(BOB["id"])[-1]["text"]
    # Bob says he comes (the button under a reminder; pressed here under his /agenda).
    api.press(BOB, agenda, f"rsvp:{event.id}:ja", forged=True)
    await bot.wait_idle()

    # Alice gets her own agenda, then the partnership's events to manage, with the counts.
    mine = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "/agenda")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= mine + 2)
    overview = api.sent_to(ALICE["id"])[mine + 1]
    assert "Beheer: agenda van" in overview["text"]
    assert "Ik kom: 1 · Ik kan niet: 0" in overview["text"]
    assert buttons(overview) == [f"agb:kies:{event.id}"]


async def test_a_coordinator_picks_the_moment_with_buttons_then_changes_and_cancels_the_event(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    start = await api.ask(ALICE, "/nieuw")
    api.press(ALICE, start, "nwc:overig")
    await edited(api, ALICE, start, "Wat is de titel?")
    when = await api.ask(ALICE, "Fictieve borrel")
    day_button = buttons(when)[2]
    api.press(ALICE, when, day_button)
    times = await edited(api, ALICE, when, "Hoe laat op")
    api.press(ALICE, times, "nwt:1530")
    place = await edited(api, ALICE, when, "Waar is het?")
    assert "15:30–17:30" in place["text"]
    api.press(ALICE, place, "nwp:geen")
    audience = await edited(api, ALICE, when, "Voor wie is het?")
    api.press(ALICE, audience, "nwa:klaar:-")
    preview = await edited(api, ALICE, when, "Klopt dit?")
    assert "Voor: het hele partnerschap" in preview["text"]
    api.press(ALICE, preview, "nwk:opslaan")
    await edited(api, ALICE, when, "Opgeslagen: Fictieve borrel")
    [event] = await events(db)

    mine = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "/agenda")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= mine + 2)
    overview = api.sent_to(ALICE["id"])[mine + 1]
    api.press(ALICE, overview, f"agb:kies:{event.id}")
    manage = await edited(api, ALICE, overview, "Wat wil je doen?")
    assert set(buttons(manage)) == {
        f"agw:titel:{event.id}",
        f"agw:tijd:{event.id}",
        f"agw:plek:{event.id}",
        f"agb:afgelast:{event.id}",
    }

    before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, manage, f"agw:titel:{event.id}")
    prompt = await api.reply(ALICE["id"], before)
    assert "Wat wordt de nieuwe titel van ‘Fictieve borrel’?" in prompt["text"]
    done = await api.ask(ALICE, "Fictieve eindejaarsborrel")
    assert "Gewijzigd: Fictieve eindejaarsborrel" in done["text"]

    before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, manage, f"agw:tijd:{event.id}")
    await api.reply(ALICE["id"], before)
    moment, day = typed_day(12)
    moved = await api.ask(ALICE, f"{moment} 19:00")
    assert "Gewijzigd" in moved["text"]
    assert "19:00–21:00" in moved["text"]

    api.press(ALICE, manage, f"agb:afgelast:{event.id}")
    confirm = await edited(api, ALICE, manage, "afgelasten?")
    api.press(ALICE, confirm, f"agb:ja:{event.id}")
    await edited(api, ALICE, manage, "Afgelast: Fictieve eindejaarsborrel")

    [changed] = await events(db)
    assert changed.cancelled
    assert changed.starts_at == day.replace(hour=19).astimezone(UTC)
    assert [action for _, action, _ in await audit(db)] == ["event-new", "event-edit", "event-edit", "event-cancel"]


async def test_everyone_else_is_refused_and_nothing_changes(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, matcher: Matcher
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "coordinator", None)  # the onboarding role grants nothing
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "coordinator", None)
    start = datetime.now(UTC) + timedelta(days=5)
    await services_for(db, matcher).agenda.add(
        NewEvent("poo-marnix", "Fictieve intervisie", start, start + timedelta(hours=2)), datetime.now(UTC)
    )
    [event] = await events(db)

    for command in ("/nieuw", "/stats"):
        refused = await api.ask(BOB, command)
        assert REFUSAL in refused["text"]
    last = api.sent_to(BOB["id"])[-1]
    forged = [
        f"agb:ja:{event.id}",
        f"agb:kies:{event.id}",
        f"agw:titel:{event.id}",
        "nwc:intervisie",
        "nwk:opslaan",
        "st:7",
    ]
    for data in forged:
        api.press(BOB, last, data, forged=True)
    await bot.wait_idle()
    refusals = [c.params.get("text", "") for c in api.calls_to("answerCallbackQuery")]
    assert sum(REFUSAL in text for text in refusals) == len(forged)
    # Bob typing now is a question again, not a title.
    answer = await api.ask(BOB, "Wat is intervisie?")
    assert "Wat is de titel" not in answer["text"]

    # Carla coordinates another partnership: her overview is her own, forged ids reach nothing.
    mine = len(api.sent_to(CAROL["id"]))
    api.send_text(CAROL, "/agenda")
    await api.wait_until(lambda: len(api.sent_to(CAROL["id"])) >= mine + 2)
    overview = api.sent_to(CAROL["id"])[mine + 1]
    assert "Er staan geen komende bijeenkomsten" in overview["text"]
    api.press(CAROL, overview, f"agb:ja:{event.id}", forged=True)
    await edited(api, CAROL, overview, "bestaat niet (meer) in jouw partnerschap")
    before = len(api.sent_to(CAROL["id"]))
    api.press(CAROL, overview, f"agw:titel:{event.id}", forged=True)
    gone = await api.reply(CAROL["id"], before)
    assert "bestaat niet (meer) in jouw partnerschap" in gone["text"]

    # In a group even Alice is sent to her private chat.
    api.send_text(ALICE, "/nieuw", chat=GROUP)
    await api.wait_until(lambda: any("privégesprek" in m.get("text", "") for m in api.sent_to(GROUP["id"])))

    [unchanged] = await events(db)
    assert (unchanged.title, unchanged.cancelled) == ("Fictieve intervisie", False)
    assert await audit(db) == []


async def test_a_restart_loses_no_typed_text_and_a_quiet_flow_times_out(
    api: FakeBotAPI, bot: BotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    start = await api.ask(ALICE, "/nieuw")
    api.press(ALICE, start, "nwc:intervisie")
    await edited(api, ALICE, start, "Wat is de titel?")
    when = await api.ask(ALICE, "Fictieve intervisie na de herstart")
    assert "Wanneer is het?" in when["text"]

    await bot.stop()
    monkeypatch.setattr(agenda_admin, "TIMEOUT", timedelta(seconds=1))
    await bot.start()
    resumed = await api.ask(ALICE, "/nieuw")
    assert "we gaan verder waar je was" in resumed["text"]
    assert "Wanneer is het?" in resumed["text"]
    assert "nwd:" in buttons(resumed)[0]

    # Nothing typed for a while: the flow stops waiting, the draft stays.
    await api.wait_until(
        lambda: any("gestopt met wachten" in m.get("text", "") for m in api.sent_to(ALICE["id"])), timeout=15
    )
    again = await api.ask(ALICE, "/nieuw")
    assert "Wanneer is het?" in again["text"]
    cancelled = await api.ask(ALICE, "/annuleer")
    assert "het concept is weg" in cancelled["text"]
    fresh = await api.ask(ALICE, "/nieuw")
    assert "Wat voor bijeenkomst wordt het?" in fresh["text"]
    nothing = await api.ask(ALICE, "/annuleer")
    assert "Gestopt" in nothing["text"]
    outside = await api.ask(ALICE, "/annuleer")
    assert "Er loopt nu niets om te annuleren" in outside["text"]
