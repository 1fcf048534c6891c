"""The agenda page in a real browser: a coordinator adds, changes and cancels an event through the
forms and sees it (with the counts) in the month and the list, and in the chat's /agenda; the
reminders follow; a wrong form keeps what was typed and says in Dutch what is wrong; another
partnership's event id gets a 403 and changes nothing; a typed title is shown as text."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import NewEvent
from bot.services.schedule import AMSTERDAM, MONTHS, WEEKDAYS
from db.agenda_repositories import PENDING, REMINDER
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery, Event
from knowledge import Matcher
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.web.conftest import ALICE, BOB, CAROL, log_in, screenshot, web_address
from tests.factories import services_for
from tests.fake_bot_api import FakeBotAPI
from tests.moments import NOW, local, today

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

GONE = "bestaat niet (meer) in jouw partnerschap"


def typed(day: date, hours: str) -> str:
    """ "ma 14 dec 15:00-16:30", as a coordinator types it in chat."""
    return f"{WEEKDAYS[day.weekday()][:2]} {day.day} {MONTHS[day.month - 1][:3]} {hours}"


def shown_day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def days_in_one_month(first_offset: int, count: int) -> list[date]:
    """``count`` days in a row from ``first_offset`` days ahead, all in one month."""
    first = today() + timedelta(days=first_offset)
    if (first + timedelta(days=count - 1)).month != first.month:
        first = (first + timedelta(days=count - 1)).replace(day=1)
    return [first + timedelta(days=n) for n in range(count)]


async def stored(db: SessionFactory) -> list[Event]:
    async with db() as session:
        return list(await session.scalars(select(Event).order_by(Event.id)))


async def audit(db: SessionFactory) -> list[tuple[int | None, str, str, str]]:
    async with db() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("event-%")).order_by(AuditEntry.id)
        )
        return [(r.actor_id, r.action, r.subject, r.detail) for r in rows]


async def reminders(db: SessionFactory, event_id: int) -> list[tuple[int, Any]]:
    """(chat, due) of the event's pending reminders."""
    async with db() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.event_id == event_id, Delivery.kind == REMINDER, Delivery.status == PENDING)
        )
        return sorted((row.chat_id, row.due_at) for row in rows)


async def coordinator_overview(api: FakeBotAPI, bot: BotRunner) -> str:
    """Alice's /agenda in chat: her own agenda, then the partnership's events to manage."""
    mine = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "/agenda")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= mine + 2)
    await bot.wait_idle()
    overview = api.sent_to(ALICE["id"])[mine + 1]["text"]
    assert "Beheer: agenda van" in overview
    return str(overview)


async def fill_form(
    page: Any, category: str, title: str, when: str, place: str, audience: str, roles: tuple[str, ...] = ()
) -> None:
    await page.select_option("#categorie", category)
    await page.fill("#titel", title)
    await page.fill("#wanneer", when)
    await page.fill("#plaats", place)
    await page.check(f"input[name=doelgroep][value={audience}]")
    for box in await page.locator("input[name=rol]").all():
        if await box.get_attribute("value") in roles:
            await box.check()
        else:
            await box.uncheck()


async def test_a_coordinator_adds_changes_and_cancels_an_event_and_the_chat_agrees(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    address = web_address(bot)
    day, second, third = days_in_one_month(10, 3)

    # A new mentor training through the form: the category's default audience (mentors, schoolopleiders).
    await page.goto(address + "agenda")
    await page.get_by_role("link", name="Nieuwe bijeenkomst").click()
    await fill_form(
        page, "mentortraining", "Fictieve mentortraining", typed(day, "15:00-16:30"), "KC Fictief", "standaard"
    )
    await page.get_by_role("button", name="Opslaan").click()
    await page.wait_for_url(re.compile(rf"/agenda\?maand={month_key(day)}&klaar=nieuw$"))
    month = await page.inner_text("main")
    assert "De bijeenkomst staat in de agenda" in month
    assert f"{MONTHS[day.month - 1]} {day.year}" in month.lower()
    cell = page.locator("table.month td", has=page.locator(".event")).first
    assert await cell.locator(".day").inner_text() == str(day.day)
    entry = await cell.inner_text()
    for text in ("15:00–16:30", "Fictieve mentortraining", "mentortraining", "KC Fictief"):
        assert text in entry
    assert "Voor: mentor, schoolopleider" in entry
    assert "Ik kom: 0 · Ik kan niet: 0" in entry

    [event] = await stored(db)
    assert (event.partnership, event.category, event.audience) == (
        "poo-marnix",
        "mentortraining",
        "mentor,schoolopleider",
    )
    assert event.starts_at == local((day - today()).days, 15)
    assert await audit(db) == [(ALICE["id"], "event-new", f"event:{event.id}", "mentortraining")]
    planned = await reminders(db, event.id)
    assert {chat for chat, _ in planned} == {BOB["id"]}  # the mentor subscribed; Alice is no mentor
    assert all(due < event.starts_at for _, due in planned)

    # The chat shows it: Bob's agenda, and Alice's overview with the counts once Bob says he comes.
    bobs = await api.ask(BOB, "/agenda")
    assert "Fictieve mentortraining" in bobs["text"]
    api.press(BOB, bobs, f"rsvp:{event.id}:ja", forged=True)
    await bot.wait_idle()
    overview = await coordinator_overview(api, bot)
    assert "Fictieve mentortraining" in overview
    assert "Ik kom: 1 · Ik kan niet: 0" in overview

    await page.get_by_role("link", name="Lijst").click()
    row = await page.locator("tr.event").first.inner_text()
    assert f"{shown_day(day)}, 15:00–16:30" in row
    assert "Ik kom: 1 · Ik kan niet: 0" in row

    # A change through the same form, filled in: another day and time, for the whole partnership.
    await page.get_by_role("link", name="Wijzigen").click()
    assert await page.input_value("#titel") == "Fictieve mentortraining"
    assert "15:00-16:30" in await page.input_value("#wanneer")
    assert await page.input_value("#plaats") == "KC Fictief"
    assert await page.is_checked("input[name=rol][value=mentor]")
    await screenshot(page, "agenda-wijzigen")
    await page.fill("#titel", "Fictieve mentortraining (verzet)")
    await page.fill("#wanneer", typed(second, "10:00"))
    await page.check("input[name=doelgroep][value=iedereen]")
    await page.get_by_role("button", name="Wijziging opslaan").click()
    await page.wait_for_url(re.compile(r"klaar=gewijzigd$"))
    entry = await page.locator("table.month .event").first.inner_text()
    assert "Fictieve mentortraining (verzet)" in entry
    assert "10:00–11:30" in entry  # not typed: the event keeps its length
    assert "Voor: het hele partnerschap" in entry
    assert await audit(db) == [
        (ALICE["id"], "event-new", f"event:{event.id}", "mentortraining"),
        (ALICE["id"], "event-edit", f"event:{event.id}", "title,time,audience"),
    ]
    replanned = await reminders(db, event.id)
    assert {chat for chat, _ in replanned} == {ALICE["id"], BOB["id"]}  # now the whole partnership
    assert replanned != planned
    assert "Fictieve mentortraining (verzet)" in await coordinator_overview(api, bot)

    # Two more events for the picture of the month.
    for when, category, title in ((third, "intervisie", "Fictieve intervisie"), (second, "overig", "Fictieve borrel")):
        await page.goto(address + "agenda/nieuw")
        await fill_form(
            page, category, title, typed(when, "16:00-17:00"), "Fictiefstad", "rollen", ("student", "mentor")
        )
        await page.get_by_role("button", name="Opslaan").click()
        await page.wait_for_url(re.compile(r"klaar=nieuw$"))
    assert await page.locator("table.month .event").count() == 3
    await screenshot(page, "agenda")

    # Cancel it, after the confirmation step: gone from the month, the list and the chat; no reminders.
    await page.goto(address + "agenda/lijst")
    await screenshot(page, "agenda-lijst")
    await page.locator("tr.event", has_text="(verzet)").get_by_role("link", name="Afgelasten").click()
    assert "Wil je Fictieve mentortraining (verzet)" in await page.inner_text("main")
    assert not (await stored(db))[0].cancelled  # only asked
    await page.get_by_role("button", name="Ja, afgelasten").click()
    await page.wait_for_url(re.compile(r"/agenda/lijst\?klaar=afgelast$"))
    listed = await page.inner_text("main")
    assert "De bijeenkomst is afgelast" in listed
    assert "(verzet)" not in listed
    assert "Fictieve borrel" in listed
    await page.goto(f"{address}agenda?maand={month_key(second)}")
    assert "(verzet)" not in await page.inner_text("main")
    assert (await stored(db))[0].cancelled
    assert await reminders(db, event.id) == []
    assert (await audit(db))[-1] == (ALICE["id"], "event-cancel", f"event:{event.id}", "")
    assert "(verzet)" not in await coordinator_overview(api, bot)
    # A cancelled event cannot be changed or cancelled again.
    await page.goto(f"{address}agenda/{event.id}/wijzigen")
    assert GONE in await page.inner_text("main")


async def test_a_wrong_form_says_what_is_wrong_in_dutch_and_keeps_what_was_typed(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await page.goto(web_address(bot) + "agenda/nieuw")
    day = today() + timedelta(days=10)
    wrong_weekday = f"{WEEKDAYS[(day.weekday() + 1) % 7][:2]} {day.day} {MONTHS[day.month - 1][:3]} 15:00"
    await fill_form(page, "intervisie", "   ", wrong_weekday, "x" * 201, "rollen")
    await page.get_by_role("button", name="Opslaan").click()
    main = await page.inner_text("main")
    assert "Niet opgeslagen" in main
    assert "Typ een titel." in main
    assert "Klopt de datum?" in main
    assert "Dat is te lang voor een plaats" in main
    assert "Kies minstens één rol" in main
    assert await page.input_value("#wanneer") == wrong_weekday
    assert await page.input_value("#plaats") == "x" * 201
    assert await page.is_checked("input[name=doelgroep][value=rollen]")

    await page.fill("#titel", "Fictieve intervisie")
    await page.fill("#wanneer", "1-1-2020 15:00")
    await page.fill("#plaats", "")
    await page.check("input[name=rol][value=student]")
    await page.get_by_role("button", name="Opslaan").click()
    main = await page.inner_text("main")
    assert "is al voorbij" in main
    assert "Typ een titel." not in main
    assert await page.input_value("#titel") == "Fictieve intervisie"
    assert await page.is_checked("input[name=rol][value=student]")
    assert await stored(db) == []
    assert await audit(db) == []


async def test_another_partnerships_coordinator_gets_403_and_changes_nothing(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory, matcher: Matcher
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    start = local(9, 15)
    await services_for(db, matcher).agenda.add(
        NewEvent("poo-marnix", "Fictieve intervisie van Marnix", start, start + timedelta(hours=2)), NOW
    )
    [event] = await stored(db)
    await log_in(api, page, CAROL)
    address = web_address(bot)

    await page.goto(f"{address}agenda?maand={month_key(start.astimezone(AMSTERDAM).date())}")
    assert "Fictieve intervisie van Marnix" not in await page.inner_text("main")
    await page.goto(f"{address}agenda/lijst")
    assert "Fictieve intervisie van Marnix" not in await page.inner_text("main")
    for path in (f"agenda/{event.id}/wijzigen", f"agenda/{event.id}/afgelasten"):
        refused = await page.goto(address + path)
        assert refused.status == 403, path
        assert GONE in await page.inner_text("main")

    # Forms posted with Carla's own valid CSRF token, for Alice's event.
    await page.goto(address + "agenda/nieuw")
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    form = {
        "csrf": csrf,
        "categorie": "overig",
        "titel": "Overgenomen",
        "wanneer": typed(today() + timedelta(days=20), "10:00"),
        "plaats": "",
        "doelgroep": "iedereen",
    }
    changed = await page.request.post(f"{address}agenda/{event.id}/wijzigen", form=form, max_redirects=0)
    assert changed.status == 403
    cancelled = await page.request.post(f"{address}agenda/{event.id}/afgelasten", form={"csrf": csrf}, max_redirects=0)
    assert cancelled.status == 403
    assert GONE in await cancelled.text()

    [unchanged] = await stored(db)
    assert (unchanged.title, unchanged.cancelled, unchanged.starts_at) == (event.title, False, event.starts_at)
    assert await audit(db) == []


async def test_a_typed_title_and_place_are_shown_as_text(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(web_address(bot) + "agenda/nieuw")
    title = "<script>alert('titel')</script> & <b>co</b>"
    day = today() + timedelta(days=5)
    await fill_form(page, "overig", title, typed(day, "15:00"), "<img src=x onerror=alert('plaats')>", "iedereen")
    await page.get_by_role("button", name="Opslaan").click()
    await page.wait_for_url(re.compile(r"klaar=nieuw$"))
    assert title in await page.inner_text("table.month")
    assert "<img src=x onerror=alert('plaats')>" in await page.inner_text("table.month")
    await page.get_by_role("link", name="Lijst").click()
    assert title in await page.inner_text("main")
    await page.get_by_role("link", name="Wijzigen").click()
    assert await page.input_value("#titel") == title
    assert await page.locator("main script, main img, main b").count() == 0
    assert dialogs == []


async def test_the_month_shows_past_events_of_the_month_without_changing_them(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory, matcher: Matcher
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    start = local(-1, 15)
    await services_for(db, matcher).agenda.add(
        NewEvent("poo-marnix", "Fictieve intervisie van gisteren", start, start + timedelta(hours=2)),
        start - timedelta(days=1),
    )
    [event] = await stored(db)
    await log_in(api, page)
    address = web_address(bot)
    await page.goto(f"{address}agenda?maand={month_key(start.astimezone(AMSTERDAM).date())}")
    entry = page.locator("table.month .event")
    assert "Fictieve intervisie van gisteren" in await entry.inner_text()
    assert await entry.get_by_role("link").count() == 0  # it has begun: nothing to change or cancel
    await page.goto(address + "agenda/lijst")
    assert "Fictieve intervisie van gisteren" not in await page.inner_text("main")  # the list is what comes
    refused = await page.goto(f"{address}agenda/{event.id}/afgelasten")
    assert refused.status == 403
    assert not (await stored(db))[0].cancelled


async def test_a_new_event_form_sent_twice_adds_the_event_once(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    """A double click or a reload of "Opslaan" must not give everyone every reminder twice."""
    await log_in(api, page)
    await page.goto(web_address(bot) + "agenda/nieuw")
    await fill_form(
        page, "intervisie", "Fictieve dubbele intervisie", typed(today() + timedelta(days=9), "15:00"), "", "standaard"
    )
    sent = await page.evaluate("Object.fromEntries(new FormData(document.querySelector('main form')))")
    first = await page.request.post(web_address(bot) + "agenda/nieuw", form=sent)
    second = await page.request.post(web_address(bot) + "agenda/nieuw", form=sent)
    assert first.ok
    assert second.ok
    assert [event.title for event in await stored(db)] == ["Fictieve dubbele intervisie"]


async def test_a_long_agenda_list_comes_in_pages(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory, matcher: Matcher
) -> None:
    from bot.web.agenda import PER_PAGE

    agenda = services_for(db, matcher).agenda
    for day in range(1, PER_PAGE + 3):
        start = local(day, 15)
        await agenda.add(
            NewEvent("poo-marnix", f"Fictieve bijeenkomst nr. {day}", start, start + timedelta(hours=1)), NOW
        )
    await log_in(api, page)
    address = web_address(bot)

    await page.goto(address + "agenda/lijst")
    first = await page.inner_text("main")
    assert f"Hier 1–{PER_PAGE} van {PER_PAGE + 2}." in first
    assert await page.locator("tr.event").count() == PER_PAGE
    assert "Fictieve bijeenkomst nr. 1\n" in first
    assert f"nr. {PER_PAGE + 1}" not in first
    await page.get_by_role("link", name="Latere bijeenkomsten").click()
    second = await page.inner_text("main")
    assert f"Hier {PER_PAGE + 1}–{PER_PAGE + 2} van {PER_PAGE + 2}." in second
    assert await page.locator("tr.event").count() == 2
    assert await page.get_by_role("link", name="Latere bijeenkomsten").count() == 0
    await page.get_by_role("link", name="Eerdere bijeenkomsten").click()
    assert await page.locator("tr.event").count() == PER_PAGE

    # A page past the end (an old link) shows the last one; anything else the first.
    await page.goto(address + "agenda/lijst?pagina=9")
    assert page.url.endswith("pagina=2")
    await page.goto(address + "agenda/lijst?pagina=-1")
    assert f"Hier 1–{PER_PAGE} van" in await page.inner_text("main")
