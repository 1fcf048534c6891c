"""/kennis in the browser: what the partnership imported, edited and removed on the same service as
``python -m bot kb``; the running bot answers with the change at once. Another partnership's
coordinator is refused and nothing changes; imported names are shown escaped."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from bot.services.coordinators import command_line
from bot.services.knowledge import CheckedImport
from knowledge.imports import TableFile
from knowledge.overlay import OverlayItem
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.web.conftest import (
    ALICE,
    BOB,
    CAROL,
    WEB_SETTINGS,
    log_in,
    on_bot,
    screenshot,
    services_of,
    web_address,
)
from tests.fake_bot_api import FakeBotAPI

POO = "poo-marnix"
JORIEN = "Fictieve Jorien Pijlstra"
HOSTILE = "Fictieve <script>alert('x')</script> Bakker"
CONTACTS = (
    "naam;rol;school;e-mail;telefoon\n"
    f"{JORIEN};schoolopleider;;jorien@voorbeeld.invalid;06 12345678\n"
    f"{HOSTILE};mentor;;;\n"
)
WHO = "wie is Jorien Pijlstra?"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {
        **WEB_SETTINGS,
        "knowledge_reload_seconds": 0.5,
    }


async def import_contacts(bot: BotRunner) -> str:
    """The import as ``kb import`` does it (check, then import), in the running bot: Jorien's item id."""
    overlay = services_of(bot).overlay

    async def run() -> CheckedImport:
        checked = await overlay.check_import(TableFile("contacten.csv", CONTACTS.encode()), "contact", POO)
        assert not checked.problems, checked.problems
        await overlay.import_items(command_line(POO), "contact", checked.items, services_of(bot).clock())
        await overlay.reload()
        return checked

    checked = await on_bot(bot, run())
    [jorien] = [i.entry_id for i in checked.items if i.fields["naam"] == JORIEN]
    return jorien


async def items_of(bot: BotRunner, partnership: str) -> list[OverlayItem]:
    return await on_bot(bot, services_of(bot).overlay.items(partnership))


async def csrf_of(page: Any) -> str:
    token = await page.locator("input[name=csrf]").first.get_attribute("value")
    assert token
    return str(token)


async def test_a_coordinator_edits_and_removes_an_imported_contact(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await log_in(api, page)
    await onboard(api, BOB, POO, "mentor", "een fictieve school")
    jorien = await import_contacts(bot)
    assert "06 12345678" in (await api.ask(BOB, WHO))["text"]
    address = web_address(bot)

    await page.goto(address + "kennis")
    main = await page.inner_text("main")
    assert "Contactpersonen (2)" in main
    assert JORIEN in main
    assert "jorien@voorbeeld.invalid" in main
    assert "import contacten.csv" in main
    # The name with a script in it is shown as text, never run.
    assert HOSTILE in main
    assert "&lt;script&gt;" in await page.content()
    assert await page.locator("main script").count() == 0
    await screenshot(page, "kennis")

    # Edit: a wrong cell is refused with the import's words; then a good edit answers at once.
    row = page.locator("tr", has_text=JORIEN)
    await row.get_by_role("link", name="Wijzigen").click()
    await page.wait_for_url(re.compile(r"/kennis/contact"))
    assert await page.locator("input[name=naam]").input_value() == JORIEN
    await screenshot(page, "kennis-wijzigen")
    await page.locator("input[name=telefoon]").fill("geen nummer")
    await page.get_by_role("button", name="Opslaan").click()
    assert "kolom telefoon: ‘geen nummer’ is geen telefoonnummer" in await page.inner_text("main")
    await page.locator("input[name=telefoon]").fill("06 87654321")
    await page.get_by_role("button", name="Opslaan").click()
    await page.wait_for_url(re.compile(r"klaar=gewijzigd"))
    assert "Opgeslagen" in await page.inner_text("main")
    assert "06 87654321" in await page.inner_text("main")
    answer = await api.ask(BOB, WHO)
    assert "06 87654321" in answer["text"]
    assert "06 12345678" not in answer["text"]

    # Remove, after a confirmation: the chat no longer answers with her.
    row = page.locator("tr", has_text=JORIEN)
    await row.get_by_role("link", name="Verwijderen").click()
    assert "Wil je" in await page.inner_text("main")
    await page.get_by_role("button", name="Ja, verwijderen").click()
    await page.wait_for_url(re.compile(r"klaar=verwijderd"))
    assert "Verwijderd" in await page.inner_text("main")
    assert JORIEN not in await page.inner_text("table")
    assert "Contactpersonen (1)" in await page.inner_text("main")
    assert "Jorien" not in (await api.ask(BOB, WHO))["text"]
    assert jorien not in [i.entry_id for i in await items_of(bot, POO)]
    assert dialogs == []


async def test_another_partnerships_coordinator_gets_403_and_nothing_changes(
    api: FakeBotAPI, bot: BotRunner, page: Any
) -> None:
    await log_in(api, page, CAROL)
    jorien = await import_contacts(bot)
    address = web_address(bot)
    item = address + "kennis/" + quote(jorien, safe="")
    csrf = await csrf_of(page)

    await page.goto(address + "kennis")
    assert JORIEN not in await page.inner_text("main")  # only her own partnership's
    assert "Contactpersonen (0)" in await page.inner_text("main")
    shown = await page.goto(item)
    assert shown is not None
    assert shown.status == 403
    assert "hoort niet bij jouw partnerschap" in await page.inner_text("main")
    assert JORIEN not in await page.inner_text("main")
    for url, form in (
        (item + "/verwijderen", None),
        (item, {"csrf": csrf, "naam": "Fictief Vals", "rol": "mentor"}),
        (item + "/verwijderen", {"csrf": csrf, "soort": "contact"}),
    ):
        refused = await (page.request.get(url) if form is None else page.request.post(url, form=form))
        assert refused.status == 403, url
        assert "hoort niet bij jouw partnerschap" in await refused.text()

    [stored] = [i for i in await items_of(bot, POO) if i.entry_id == jorien]
    assert stored.fields["naam"] == JORIEN
    assert stored.fields["telefoon"] == "06 12345678"


PARKING = "Waar kan ik parkeren bij de fictieve pabo?"
PARKED = "Fictief antwoord: parkeren kan op het terrein achter de pabo."
NOT_KNOWN = "Parkeermogelijkheden staan niet in mijn kennisbank"


async def answer_in_the_inbox(bot: BotRunner, answer: str) -> str:
    """Alice answers the one open group as the chat and /vragen do: its entry id in the knowledge."""
    found = services_of(bot)

    async def run() -> str:
        alice = await found.coordinators.authority(ALICE["id"])
        assert alice is not None
        [group] = (await found.question_inbox.page(alice)).groups
        question_id = group.question_id
        assert await found.question_inbox.prepare(alice, question_id, answer, found.clock()) is not None
        answered = await found.question_inbox.send(alice, question_id, found.clock())
        assert answered is not None
        return answered.entry_id

    return await on_bot(bot, run())


async def test_an_answer_from_the_inbox_is_shown_edited_and_removed_here(
    api: FakeBotAPI, bot: BotRunner, page: Any
) -> None:
    await log_in(api, page)
    await onboard(api, BOB, POO, "mentor", "een fictieve school")
    assert NOT_KNOWN in (await api.ask(BOB, PARKING))["text"]
    await bot.wait_idle()  # the question reaches the inbox behind the answer
    entry = await answer_in_the_inbox(bot, PARKED)
    assert PARKED in (await api.ask(BOB, "waar parkeer ik bij de pabo?"))["text"]

    await page.goto(web_address(bot) + "kennis?soort=faq")
    row = page.locator("tr", has_text=entry)
    assert PARKING in await row.inner_text()
    assert PARKED in await row.inner_text()
    assert "vragenbus" in await row.inner_text()

    await row.get_by_role("link", name="Wijzigen").click()
    assert await page.locator("textarea[name=antwoord]").input_value() == PARKED
    await page.locator("textarea[name=antwoord]").fill("Fictief antwoord: parkeren kan alleen op de fictieve P2.")
    await page.get_by_role("button", name="Opslaan").click()
    await page.wait_for_url(re.compile(r"klaar=gewijzigd"))
    answer = (await api.ask(BOB, "waar parkeer ik bij de pabo?"))["text"]
    assert "fictieve P2" in answer
    assert PARKED not in answer

    await page.locator("tr", has_text=entry).get_by_role("link", name="Verwijderen").click()
    await page.get_by_role("button", name="Ja, verwijderen").click()
    await page.wait_for_url(re.compile(r"klaar=verwijderd"))
    assert entry not in await page.inner_text("main")
    assert NOT_KNOWN in (await api.ask(BOB, "waar parkeer ik bij de pabo?"))["text"]
    assert entry not in [i.entry_id for i in await items_of(bot, POO)]
