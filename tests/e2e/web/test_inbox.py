"""/vragen in the browser: the coordinator answers a group of questions the bot could not answer;
the askers get the answer in Telegram and the bot answers with it from then on. The chat's draft and
the web's are one; another partnership's coordinator is refused and nothing changes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.services.question_inbox import InboxPage
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.web.conftest import ALICE, BOB, CAROL, WEB_SETTINGS, log_in, on_bot, screenshot, services_of, web_address
from tests.fake_bot_api import FakeBotAPI, buttons

DAAN = FakeBotAPI.user(7004, "Fictieve Daan")
PARKING = "Waar kan ik parkeren bij de fictieve pabo?"
ANSWER = "Fictief antwoord: parkeren kan op het <script>alert('x')</script> terrein achter de pabo."
NOT_KNOWN = "Parkeermogelijkheden staan niet in mijn kennisbank"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix, Carla groningen-kop-van-drenthe; a short outbox poll."""
    return {
        **WEB_SETTINGS,
        "delivery_poll_seconds": 0.2,
        "knowledge_reload_seconds": 0.5,
    }


async def inbox_of_alice(bot: BotRunner) -> InboxPage:
    found = services_of(bot)

    async def run() -> InboxPage:
        alice = await found.coordinators.authority(ALICE["id"])
        assert alice is not None
        return await found.question_inbox.page(alice)

    return await on_bot(bot, run())


async def csrf_of(page: Any) -> str:
    """The CSRF token of the page's forms (the log-out form is on every page)."""
    token = await page.locator("input[name=csrf]").first.get_attribute("value")
    assert token
    return str(token)


async def test_a_coordinator_answers_a_group_and_the_askers_get_it(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, DAAN, "poo-marnix", "mentor", "een fictieve school")
    for user, text in ((BOB, PARKING), (DAAN, "waar kan ik parkeren bij de fictieve pabo")):
        assert NOT_KNOWN in (await api.ask(user, text))["text"]
    await bot.wait_idle()
    address = web_address(bot)

    await page.goto(address + "vragen")
    main = await page.inner_text("main")
    assert "2 vragen zonder goed antwoord, in 1 groep;" in main
    row = page.locator("table.inbox tbody tr")
    assert await row.count() == 1
    assert "parkeren bij de fictieve pabo" in await row.inner_text()
    assert "2×" in await row.locator("td.count").inner_text()
    assert "Fictieve Bram" not in main  # never who asked
    assert "Fictieve Daan" not in main
    await screenshot(page, "vragen")

    # A draft typed in the chat is the draft on the web: one per coordinator.
    inbox = await api.ask(ALICE, "/vragen")
    [answer_button] = [b for b in buttons(inbox) if b.startswith("ib:")]
    api.press(ALICE, inbox, answer_button)
    prompt = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
    assert prompt["text"].startswith("Typ je antwoord op")
    chat_preview = await api.ask(ALICE, "Fictief concept uit de chat.")
    assert "Voorbeeld" in chat_preview["text"]
    await row.get_by_role("link", name="Beantwoorden").click()
    await page.wait_for_url(re.compile(r"/vragen/\d+$"))
    group_path = page.url.removeprefix(address.rstrip("/"))
    assert await page.locator("textarea[name=antwoord]").input_value() == "Fictief concept uit de chat."
    assert "2 personen" in await page.inner_text("main")

    # Too short: refused with the chat's rule, nothing else happens.
    await page.locator("textarea[name=antwoord]").fill("x")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    assert "minstens een paar woorden" in await page.inner_text("main")

    # The answer, with a preview of exactly what the askers get (typed text shown as typed).
    await page.locator("textarea[name=antwoord]").fill(ANSWER)
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    await page.wait_for_url(re.compile(r"/voorbeeld$"))
    message = await page.inner_text("blockquote.message")
    assert "Je vroeg eerder:" in message
    assert ANSWER in message
    assert await page.locator("main script").count() == 0
    await screenshot(page, "vragen-voorbeeld")

    # The chat's older preview can no longer send its text: the web took the draft over.
    [chat_send] = [b for b in buttons(chat_preview) if b.endswith(":ja")]
    api.press(ALICE, chat_preview, chat_send)
    key = (ALICE["id"], chat_preview["message_id"])
    await api.wait_until(lambda: "kan niet meer worden verstuurd" in api.messages[key]["text"])
    await bot.wait_idle()
    assert not any("Fictief concept uit de chat" in m["text"] for m in api.sent_to(BOB["id"]))

    seen_by = {user["id"]: len(api.sent_to(user["id"])) for user in (BOB, DAAN)}
    await page.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(re.compile(r"/vragen\?klaar=verstuurd"))
    assert "Verstuurd: je antwoord staat in de kennisbank" in await page.inner_text("main")
    assert "2 personen" in await page.inner_text("main")
    assert "De vragenbus is leeg" in await page.inner_text("main")

    for user in (BOB, DAAN):
        delivered = await api.reply(user["id"], seen_by[user["id"]])
        assert delivered["text"].startswith("💬 Je vroeg eerder:")
        assert ANSWER in delivered["text"]  # the fake API parsed the HTML: the tag is text
    again = await api.ask(BOB, "waar kan ik parkeren bij de pabo?")
    assert ANSWER in again["text"]

    # The group left the inbox: its page says so; sending twice sends nothing twice.
    await page.goto(address + group_path.lstrip("/"))
    assert "staat niet meer in de vragenbus" in await page.inner_text("main")
    await bot.wait_idle()
    assert len(api.sent_to(BOB["id"])) == seen_by[BOB["id"]] + 2


async def test_another_partnerships_coordinator_gets_403_and_nothing_changes(
    api: FakeBotAPI, bot: BotRunner, page: Any
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    assert NOT_KNOWN in (await api.ask(BOB, PARKING))["text"]
    await bot.wait_idle()
    address = web_address(bot)
    await page.goto(address + "vragen")
    await page.get_by_role("link", name="Beantwoorden").click()
    await page.wait_for_url(re.compile(r"/vragen/\d+$"))
    group = page.url.removeprefix(address)
    await page.locator("textarea[name=antwoord]").fill("Fictief concept van Anna.")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    await page.wait_for_url(re.compile(r"/voorbeeld$"))

    other = await page.context.browser.new_context(locale="nl-NL")
    carla = await other.new_page()
    await log_in(api, carla, CAROL)
    csrf = await csrf_of(carla)
    shown = await carla.goto(address + group)
    assert shown is not None
    assert shown.status == 403
    assert "hoort niet bij jouw partnerschap" in await carla.inner_text("main")
    assert "parkeren" not in await carla.inner_text("main")
    for path, form in (
        (group, {"csrf": csrf, "antwoord": "Fictief vals antwoord."}),
        (group + "/voorbeeld", None),
        (group + "/versturen", {"csrf": csrf, "antwoord": "Fictief concept van Anna."}),
    ):
        if form is None:
            refused = await carla.request.get(address + path)
        else:
            refused = await carla.request.post(address + path, form=form)
        assert refused.status == 403, path
        assert "hoort niet bij jouw partnerschap" in await refused.text()
    # Carla's own inbox is empty: Anna's questions are not hers.
    await carla.goto(address + "vragen")
    assert "De vragenbus is leeg" in await carla.inner_text("main")
    await other.close()

    # Nothing changed: Anna's draft and the group are as they were; Bob got nothing.
    await page.goto(address + group)
    assert await page.locator("textarea[name=antwoord]").input_value() == "Fictief concept van Anna."
    await page.goto(address + "vragen")
    assert "1×" in await page.inner_text("table.inbox")
    await bot.wait_idle()
    assert not any("Je vroeg eerder" in m["text"] for m in api.sent_to(BOB["id"]))

    # Anna cancels from the preview: nothing is sent, the draft is gone, the question stays.
    await page.goto(address + group + "/voorbeeld")
    await page.get_by_role("button", name="Annuleren").click()
    await page.wait_for_url(re.compile(r"klaar=geannuleerd"))
    assert "er is niets verstuurd" in await page.inner_text("main")
    assert "1×" in await page.inner_text("table.inbox")
    await page.goto(address + group)
    assert await page.locator("textarea[name=antwoord]").input_value() == ""


ODD_QUESTIONS = (
    "Welke kleur heeft de fictieve voordeur?",
    "Hoeveel kost koffie in de fictieve aula?",
    "Wie maakt de fictieve ramen schoon?",
    "Waar hang ik mijn fictieve jas op?",
    "Is het fictieve zwembad vandaag open?",
    "Hoe heet de fictieve kat van de conciërge?",
    "Kan ik een fictieve fiets lenen?",
    "Waar is het fictieve gevonden voorwerpenbakje?",
    "Mag mijn fictieve <script>hond</script> mee naar de les?",  # asked last: the newest, first
)


async def test_many_groups_are_paged(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    for text in ODD_QUESTIONS:
        await api.ask(BOB, text)
    await bot.wait_idle()
    inbox = await inbox_of_alice(bot)
    assert inbox.total > 8, "the set-up needs more than one page of groups"
    await page.goto(web_address(bot) + "vragen")
    assert await page.locator("table.inbox tbody tr").count() == 8
    first = page.locator("table.inbox tbody tr").first
    assert "<script>hond</script>" in await first.inner_text()  # shown as typed, never run
    assert await page.locator("main script").count() == 0
    assert f"Pagina 1 van {inbox.pages}" in await page.inner_text("main")
    await page.get_by_role("link", name="Volgende ▶").click()
    await page.wait_for_url(re.compile(r"pagina=2"))
    assert f"Pagina 2 van {inbox.pages}" in await page.inner_text("main")
    assert await page.locator("table.inbox tbody tr").count() == min(inbox.total - 8, 8)
    assert await page.locator("table.inbox tbody tr td").first.inner_text() == "9"
    await page.get_by_role("link", name="◀ Vorige").click()
    assert f"Pagina 1 van {inbox.pages}" in await page.inner_text("main")
