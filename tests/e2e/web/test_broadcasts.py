"""/berichten in the web view: write a broadcast to a role, see the exact count and a preview, send
it (once, also when "Versturen" arrives twice) to the fake Bot API and see its report; plan one and
cancel it; another partnership's coordinator gets a 403 and changes nothing; typed HTML is text."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import SessionFactory
from db.models import Broadcast, Delivery
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.web.conftest import ALICE, BOB, CAROL, WEB_SETTINGS, log_in, screenshot, web_address
from tests.fake_bot_api import FakeBotAPI

DAVE = FakeBotAPI.user(7004, "Fictieve Daan")
EVA = FakeBotAPI.user(7005, "Fictieve Eva")
NOT_YOURS = "niet van jouw partnerschap"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """The coordinators of tests/e2e/web/conftest.py, and a short outbox poll."""
    return {
        **WEB_SETTINGS,
        "delivery_poll_seconds": 0.2,
    }


async def compose(page: Any, bot: BotRunner, text: str, roles: tuple[str, ...] = (), when: str = "") -> None:
    """Fill in /berichten and ask for the preview."""
    await page.goto(web_address(bot) + "berichten")
    await page.fill("#tekst", text)
    if roles:
        await page.check("input[name=publiek][value=rollen]")
        for role in roles:
            await page.check(f"input[name=rol][value={role}]")
    else:
        await page.check("input[name=publiek][value=alle]")
    if when:
        await page.fill("#wanneer", when)
    await page.get_by_role("button", name="Voorbeeld bekijken").click()


async def reload_until(page: Any, selector: str, expected: str, attempts: int = 50) -> str:
    """Reload the page until ``selector`` shows ``expected`` (the dispatcher works in the background)."""
    shown = ""
    for _ in range(attempts):
        shown = await page.inner_text(selector) if await page.locator(selector).count() else ""
        if expected in shown:
            return shown
        await asyncio.sleep(0.2)
        await page.reload()
    raise AssertionError(f"{selector} never showed {expected!r}; last: {shown!r}")


def got(api: FakeBotAPI, user: dict[str, Any], word: str) -> list[dict[str, Any]]:
    return [m for m in api.sent_to(user["id"]) if word in m["text"]]


async def test_a_broadcast_to_a_role_shows_its_count_is_sent_once_and_reports(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, DAVE, "poo-marnix", "student", "een fictieve school")
    await onboard(api, EVA, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "wegwijzer")
    api.blocked_chats.add(EVA["id"])  # blocked, and Telegram's update about it lost: the send finds out
    text = "Fictieve training morgen <script>alert(1)</script> <b>vet?</b> & koffie"

    await compose(page, bot, text, roles=("mentor",))
    await page.wait_for_url(re.compile(r"/berichten/\d+/bevestigen$"))
    assert await page.inner_text("#aantal") == "2 ontvangers"  # what the chat shows: the mentors Bob and Eva
    main = await page.inner_text("main")
    assert "rollen: mentor" in main
    assert "Bericht van de coördinatoren van POO" in await page.inner_text("#voorbeeld")
    assert text in await page.inner_text("#voorbeeld")  # typed HTML is shown as text
    assert await page.locator("main script, main b").count() == 0

    # "Versturen" twice at once (a double click, a resent form): sent once.
    csrf = await page.locator("form[action$='/versturen'] input[name=csrf]").get_attribute("value")
    send = page.url.replace("/bevestigen", "/versturen")
    first, second = await asyncio.gather(
        page.request.post(send, form={"csrf": csrf}), page.request.post(send, form={"csrf": csrf})
    )
    assert (first.status, second.status) == (200, 200)
    answers = [await first.text(), await second.text()]
    assert sum("Je bericht staat klaar" in answer for answer in answers) == 1
    assert sum("niets dubbel verstuurd" in answer for answer in answers) == 1
    await page.goto(send.removesuffix("/versturen"))

    delivered = await api.wait_until(lambda: got(api, BOB, "koffie"))
    assert delivered[0]["text"].startswith("📢 Bericht van de coördinatoren van POO")
    assert delivered[0]["text"].endswith(text)  # arrives exactly as typed
    report = await reload_until(page, "#rapport", "Verzonden: 1")
    assert "Geblokkeerd: 1\nMislukt: 0" in report
    assert "heeft de bot geblokkeerd: 1" in report
    assert await page.inner_text("#verzonden") == "1"
    assert await page.inner_text("#geblokkeerd") == "1"
    assert await page.inner_text("#wachtend") == "0"
    assert "klaar" in await page.inner_text("#status")
    await screenshot(page, "bericht-rapport")
    assert len(got(api, BOB, "koffie")) == 1
    assert not got(api, DAVE, "koffie") + got(api, CAROL, "koffie")
    async with db() as session:
        assert len(list(await session.scalars(select(Delivery).where(Delivery.key.like("broadcast:%"))))) == 2

    # A forged audience is refused, and what it echoes is escaped.
    forged = await page.request.post(
        web_address(bot) + "berichten",
        form={"csrf": csrf or "", "tekst": "Fictief", "publiek": "school", "school": "<script>x</script>"},
    )
    assert forged.status == 400
    assert "onbekende school ‘&lt;script&gt;x&lt;/script&gt;’" in (await forged.text()).lower()

    await page.goto(web_address(bot) + "berichten")
    listed = await page.inner_text("main")
    assert "Fictieve training morgen <script>" in listed
    assert "Verzonden: 1; Geblokkeerd: 1" in listed
    assert await page.locator("main script").count() == 0
    await screenshot(page, "berichten")


async def test_a_planned_broadcast_waits_and_is_cancelled_after_a_confirmation(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    # "Iedereen" with a role ticked as well: which was meant? Asked, never guessed.
    await compose(page, bot, "Fictieve oproep voor later", when="1 jan 2020 10:00")
    await page.check("input[name=rol][value=mentor]")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    assert "kies één publiek" in await page.inner_text("main")
    await page.uncheck("input[name=rol][value=mentor]")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    assert "al voorbij" in await page.inner_text("main")
    assert await page.input_value("#tekst") == "Fictieve oproep voor later"  # nothing typed is lost

    await page.fill("#wanneer", "1 dec 2030 15:00")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    await page.wait_for_url(re.compile(r"/bevestigen$"))
    main = await page.inner_text("main")
    assert "gepland op zondag 1 december om 15:00" in main
    assert await page.inner_text("#aantal") == "2 ontvangers"  # everyone: Alice and Bob
    await screenshot(page, "bericht-bevestigen")
    await page.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(re.compile(r"/berichten/\d+\?klaar=gepland$"))
    assert "gepland op zondag 1 december om 15:00" in await page.inner_text("#status")

    await page.goto(web_address(bot) + "berichten")
    planned = page.locator("section", has=page.get_by_role("heading", name="Gepland"))
    assert "Fictieve oproep voor later" in await planned.inner_text()
    await planned.get_by_role("link", name="Annuleren").click()
    await page.wait_for_url(re.compile(r"/annuleren$"))
    assert "Gepland bericht annuleren?" in await page.inner_text("main")
    await page.get_by_role("button", name="Ja, annuleren").click()
    await page.wait_for_url(re.compile(r"\?klaar=geannuleerd$"))
    assert "geannuleerd" in await page.inner_text("#status")
    # Cancelling again (the page reloaded, a second tab) changes nothing and says so.
    cancel = page.url.split("?")[0] + "/annuleren"
    csrf = await page.locator("header input[name=csrf]").get_attribute("value")
    again = await page.request.post(cancel, form={"csrf": csrf})
    assert "niet (meer) gepland" in await again.text()
    async with db() as session:
        assert list(await session.scalars(select(Delivery).where(Delivery.key.like("broadcast:%")))) == []
    await bot.wait_idle()
    assert not got(api, BOB, "oproep")


async def test_another_partnerships_coordinator_gets_403_and_changes_nothing(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await compose(page, bot, "Fictief gepland bericht", when="1 dec 2030 15:00")
    await page.wait_for_url(re.compile(r"/bevestigen$"))
    await page.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(re.compile(r"\?klaar=gepland$"))
    planned = page.url.split("?")[0]
    await compose(page, bot, "Fictief concept van Anna")
    await page.wait_for_url(re.compile(r"/bevestigen$"))
    draft = page.url.removesuffix("/bevestigen")

    other = await page.context.browser.new_context(locale="nl-NL")
    carol = await other.new_page()
    await log_in(api, carol, CAROL)
    await carol.goto(web_address(bot) + "berichten")
    assert "Fictief" not in await carol.inner_text("main")  # nothing of poo-marnix listed
    csrf = await carol.locator("form.compose input[name=csrf]").get_attribute("value")
    for path in (planned, planned + "/annuleren", draft + "/bevestigen", draft):
        response = await carol.goto(path)
        assert response.status == 403, path
        assert NOT_YOURS in await carol.inner_text("main")
        assert "Fictief" not in await carol.inner_text("main")
    for path in (planned + "/annuleren", draft + "/versturen", draft + "/weggooien"):
        refused = await carol.request.post(path, form={"csrf": csrf})
        assert refused.status == 403, path
        assert NOT_YOURS in await refused.text()
    await other.close()

    async with db() as session:
        statuses = sorted((b.text, b.status) for b in await session.scalars(select(Broadcast)))
        assert statuses == [("Fictief concept van Anna", "concept"), ("Fictief gepland bericht", "scheduled")]
    await bot.wait_idle()
    assert not got(api, BOB, "Fictief")


async def test_the_page_counts_an_audience_as_the_chat_does(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    """The subscribers of mentortraining: the same number in the chat's /bericht and on the page."""
    await log_in(api, page)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, DAVE, "poo-marnix", "student", "een fictieve school")
    await onboard(api, EVA, "poo-marnix", "directeur", "een fictieve school")
    await api.ask(ALICE, "/bericht")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "Fictieve oproep voor de mentortraining")
    audience = await api.reply(ALICE["id"], before)
    draft_id = audience["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1]
    kinds = (ALICE["id"], audience["message_id"])
    api.press(ALICE, audience, f"bca:{draft_id}:soort")
    await api.wait_until(lambda: "welke soort" in api.messages[kinds]["text"])
    before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, api.messages[kinds], f"bcc:{draft_id}:mentortraining")
    when = await api.reply(ALICE["id"], before)
    in_chat = re.search(r"— nu (\d+ ontvangers?)", when["text"])
    assert in_chat, when["text"]

    await page.goto(web_address(bot) + "berichten")
    await page.fill("#tekst", "Fictieve oproep voor de mentortraining")
    await page.check("input[name=publiek][value=soort]")
    await page.select_option("select[name=soort]", "mentortraining")
    await page.get_by_role("button", name="Voorbeeld bekijken").click()
    await page.wait_for_url(re.compile(rf"/berichten/{draft_id}/bevestigen$"))  # the chat's draft, continued
    assert "wie herinneringen krijgt voor mentortraining" in await page.inner_text("main")
    assert await page.inner_text("#aantal") == in_chat.group(1)
    assert in_chat.group(1) == "1 ontvanger"  # its default audience: mentors and schoolopleiders; Bob
