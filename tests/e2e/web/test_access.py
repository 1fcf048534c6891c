"""Who gets into the web view: coordinators by a one-time link or a signed Mini App initData; all
else gets a Dutch 403 and changes nothing."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.bot_runner import BotRunner
from tests.e2e.test_bot import onboard
from tests.e2e.web.conftest import (
    ALICE,
    BOB,
    WEB_SETTINGS,
    log_in,
    login_link,
    on_bot,
    screenshot,
    services_of,
    signed_init_data,
    web_address,
)
from tests.fake_bot_api import FakeBotAPI

NO_SESSION = "niet (meer) ingelogd"


async def test_a_coordinator_logs_in_once_with_the_link_from_web(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    link = await login_link(api, ALICE)
    await page.goto(link)
    await screenshot(page, "inloggen")
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(re.compile(r"/$"))
    assert "Welkom, Fictieve Anna" in await page.inner_text("main")
    assert "Marnix Academie" in await page.inner_text("header")
    await screenshot(page, "overzicht")

    # The same link a second time, in another browser: refused; the first session still works.
    other = await page.context.browser.new_context()
    second = await other.new_page()
    await second.goto(link)
    await second.get_by_role("button", name="Inloggen").click()
    assert "al gebruikt of verlopen" in await second.inner_text("main")
    await second.goto(web_address(bot) + "agenda")
    assert NO_SESSION in await second.inner_text("main")
    await other.close()
    await page.reload()
    assert "Welkom" in await page.inner_text("main")


async def test_a_link_older_than_ten_minutes_gets_403_and_no_session(
    api: FakeBotAPI, bot: BotRunner, page: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    issued = datetime.now(UTC) - timedelta(minutes=10, seconds=30)  # /web was sent a while ago
    old = await on_bot(bot, services_of(bot).web_access.new_link(ALICE["id"], issued))
    assert old is not None
    await page.goto(f"{web_address(bot)}login/{old}")
    async with page.expect_response(re.compile(r"/login/")) as pressed:
        await page.get_by_role("button", name="Inloggen").click()
    assert (await pressed.value).status == 403
    assert "al gebruikt of verlopen" in await page.inner_text("main")
    assert await session_cookies(page) == 0
    await page.goto(web_address(bot) + "agenda")
    assert NO_SESSION in await page.inner_text("main")


async def test_fetching_the_link_does_not_use_it_up(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    """A link preview or a mail scanner fetches the link: that costs nothing, the button logs in."""
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    link = await login_link(api, ALICE)
    fetched = await page.request.get(link)
    assert fetched.status == 200
    await page.goto(link)
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(re.compile(r"/$"))
    assert "Welkom" in await page.inner_text("main")


async def test_the_mini_app_logs_in_with_telegrams_signed_init_data(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone's screen, where Telegram shows it
    await page.goto(f"{web_address(bot)}app#tgWebAppData={quote(signed_init_data(ALICE))}&tgWebAppVersion=8.0")
    await page.wait_for_url(re.compile(r"/$"))
    assert "Welkom, Fictieve Anna" in await page.inner_text("main")
    await screenshot(page, "mini-app")


async def session_cookies(page: Any) -> int:
    return len([cookie for cookie in await page.context.cookies() if cookie["name"] == "sessie"])


async def test_the_mini_app_works_inside_telegram_web(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    """Telegram Web shows a Mini App in a frame of web.telegram.org: another site, so the session
    cookie must be one a browser sends there (SameSite=None, Partitioned), or every page after the
    login would ask to log in again."""
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    mini_app = f"{web_address(bot)}app#tgWebAppData={quote(signed_init_data(ALICE))}&tgWebAppVersion=8.0"
    telegram_web = f'<!doctype html><title>Telegram Web (nagebootst)</title><iframe src="{mini_app}"></iframe>'
    await page.route(
        "https://web.telegram.org/**", lambda route: route.fulfill(body=telegram_web, content_type="text/html")
    )
    await page.goto("https://web.telegram.org/k/")
    frame = page.frame_locator("iframe")
    await frame.get_by_text("Welkom, Fictieve Anna").wait_for()
    await frame.get_by_role("link", name="Agenda").first.click()
    await frame.get_by_role("heading", name="Agenda").first.wait_for()
    assert NO_SESSION not in await frame.locator("main").inner_text()
    assert await session_cookies(page) == 1
    await frame.get_by_role("button", name="Uitloggen").click()
    await frame.get_by_text("Je bent uitgelogd").wait_for()
    assert await session_cookies(page) == 0  # the partitioned cookie is gone too, not only the session


async def test_forged_expired_or_foreign_init_data_gets_403(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    address = web_address(bot)
    cases = {
        "another bot's token": signed_init_data(ALICE, token="999:ANDERE-BOT"),
        "signed two hours ago": signed_init_data(ALICE, signed_at=time.time() - 2 * 3600),
        "a changed user id": signed_init_data(ALICE).replace(str(ALICE["id"]), str(BOB["id"])),
        "a mentor, not a coordinator": signed_init_data(BOB),
    }
    for case, init_data in cases.items():
        refused = await page.request.post(f"{address}app", form={"init_data": init_data})
        assert refused.status == 403, case
        assert "Telegram kon niet bevestigen" in await refused.text(), case
    assert not await page.context.cookies(), "no session was started"
    await page.goto(f"{address}")
    assert NO_SESSION in await page.inner_text("main")


async def test_a_mentor_gets_no_link_and_no_page(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    refused = await api.ask(BOB, "/web")
    assert "alleen voor coördinatoren" in refused["text"]
    for path in ("", "agenda", "berichten", "vragen", "kennis", "statistieken"):
        response = await page.goto(web_address(bot) + path)
        assert response.status == 403, path
        assert NO_SESSION in await page.inner_text("main")


async def test_a_form_without_its_csrf_token_is_refused(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await log_in(api, page)
    forged = await page.request.post(web_address(bot) + "uitloggen", form={"csrf": "vervalst"})
    assert forged.status == 403
    assert "formulier is verlopen" in await forged.text()
    await page.reload()
    assert "Welkom" in await page.inner_text("main"), "still logged in: the forged form changed nothing"

    await page.get_by_role("button", name="Uitloggen").click()
    await page.wait_for_url(re.compile(r"/uitgelogd$"))
    await page.goto(web_address(bot))
    assert NO_SESSION in await page.inner_text("main")


async def test_what_a_coordinator_typed_is_shown_escaped(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    sneaky = FakeBotAPI.user(ALICE["id"], "<img src=x onerror=alert(1)>Anna")
    await log_in(api, page, sneaky)
    assert "Welkom, <img src=x onerror=alert(1)>Anna" in await page.inner_text("main")
    assert await page.locator("main img").count() == 0


async def test_the_session_cookie_is_http_only_and_secure(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await log_in(api, page)
    [cookie] = await page.context.cookies()
    assert cookie["httpOnly"]
    assert cookie["secure"]
    assert cookie["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie") == ""


async def test_operators_see_health_and_metrics(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await api.ask(BOB, "wat is lesson study?")
    await bot.wait_idle()  # the question log is written behind the answer
    address = web_address(bot)
    health = await page.request.get(address + "healthz")
    assert health.status == 200
    assert (await health.json())["database"] is True
    metrics = await (await page.request.get(address + "metrics")).text()
    assert re.search(r'^samen_opleiden_questions\{outcome="answered"\} 1\.0$', metrics, re.MULTILINE), metrics
    assert "samen_opleiden_outbox_oldest_pending_seconds 0.0" in metrics


@pytest.mark.parametrize("extra_settings", [{**WEB_SETTINGS, "metrics_token": "fictief-geheim"}])
async def test_with_a_metrics_token_only_a_scraper_that_sends_it_sees_the_metrics(bot: BotRunner, page: Any) -> None:
    address = web_address(bot) + "metrics"
    assert (await page.request.get(address)).status == 401
    wrong = await page.request.get(address, headers={"Authorization": "Bearer geraden"})
    assert wrong.status == 401
    right = await page.request.get(address, headers={"Authorization": "Bearer fictief-geheim"})
    assert right.status == 200
    assert "samen_opleiden_update_inbox_depth" in await right.text()
    assert (await page.request.get(web_address(bot) + "healthz")).status == 200  # a load balancer's check


async def test_a_form_from_another_site_is_refused_even_a_login(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    """Login CSRF: another site's page must not log a victim's browser into someone's session."""
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    link = await login_link(api, ALICE)
    forged = await page.request.post(link, headers={"Origin": "https://kwaad.example.org"})
    assert forged.status == 403
    assert not await page.context.cookies()
    await page.goto(link)
    await page.get_by_role("button", name="Inloggen").click()  # the real page (same origin) still works
    await page.wait_for_url(re.compile(r"/$"))
    assert "Welkom" in await page.inner_text("main")
