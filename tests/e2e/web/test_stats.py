"""/statistieken in a real browser: the /stats figures of the coordinator's own partnership for the
chosen period, and the chat's chart as an image; without a session nothing is shown."""

from __future__ import annotations

from typing import Any

from db.engine import SessionFactory
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.test_stats import wait_logged
from tests.e2e.web.conftest import ALICE, BOB, CAROL, log_in, screenshot, web_address
from tests.fake_bot_api import FakeBotAPI

PNG = b"\x89PNG\r\n\x1a\n"


async def cell(page: Any, table: str, row: str) -> str:
    """The figure in the row of a table whose header (first cell) is ``row``."""
    found = page.locator(f"table#{table} tr", has=page.locator("th, td", has_text=row)).first
    return str(await found.locator("td").last.inner_text()).strip()


async def test_the_page_shows_the_chats_figures_and_chart(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, page: Any
) -> None:
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")
    await api.ask(BOB, "Wat is intervisie?")
    await api.ask(BOB, "Xqzv blorp <b>fnarg</b>?")
    await api.ask(BOB, "xqzv blorp <b>fnarg</b>? ")
    await api.ask(CAROL, "Wat is intervisie?")  # another partnership: not counted
    await wait_logged(db, 4)  # the question log is written behind the answers

    await log_in(api, page)
    await page.locator("header").get_by_role("link", name="Statistieken").click()
    main = page.locator("main")
    assert "de laatste 30 dagen" in await main.inner_text()
    assert await cell(page, "vragen", "Gesteld") == "3"
    assert await cell(page, "vragen", "Beantwoord") == "1"
    assert await cell(page, "vragen", "Zonder antwoord") == "2 (67%)"
    # The typed text is shown as text, never as markup.
    assert await cell(page, "zonder-antwoord", "Xqzv blorp") == "2"
    assert "Xqzv blorp <b>fnarg</b>?" in await page.locator("table#zonder-antwoord").inner_text()
    assert await page.locator("table#zonder-antwoord b").count() == 0
    assert await cell(page, "rollen", "mentor") == "1"
    assert await cell(page, "rollen", "coördinator") == "1"  # Alice herself; Carla is elsewhere
    assert "Fictieve Bram" not in await main.inner_text()  # no names

    chart = page.locator("main img")
    await chart.scroll_into_view_if_needed()
    await page.wait_for_function("() => document.querySelector('main img').complete")
    assert await chart.evaluate("img => img.naturalWidth") > 0
    await screenshot(page, "statistieken")

    await page.get_by_role("link", name="365 dagen").click()
    assert "het laatste jaar" in await main.inner_text()
    assert await cell(page, "vragen", "Gesteld") == "3"


async def test_carla_sees_only_her_own_partnership(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, page: Any
) -> None:
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await api.ask(BOB, "Wat is intervisie?")
    await wait_logged(db, 1)
    await log_in(api, page, CAROL)
    await page.goto(web_address(bot) + "statistieken?dagen=7")
    assert "de laatste 7 dagen" in await page.locator("main").inner_text()
    assert await cell(page, "vragen", "Gesteld") == "0"


async def test_without_a_session_neither_page_nor_chart(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    for path in ("statistieken", "statistieken/grafiek.png"):
        refused = await page.request.get(web_address(bot) + path)
        assert refused.status == 403, path
        assert not (await refused.body()).startswith(PNG)
        assert "niet (meer) ingelogd" in await refused.text()
