"""Browser tests of the web view: Playwright for Python driving Debian's chromium (no browser download).

Without Chromium they are skipped with a reason; with REQUIRE_BROWSER=1 (set by .ci/run) they fail.
The bot runs as in the other end-to-end tests (the real application against the fake Bot API); its
web view listens on a free port. Screenshots of each page go to docs/screenshots/ when
SCREENSHOTS=1 (the README shows them).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest

from bot.context import SERVICES_KEY, WEB_ADDRESS_KEY
from bot.services import Services
from tests.bot_runner import BotRunner
from tests.conftest import sqlite_database
from tests.e2e.test_bot import ALICE, BOB, onboard
from tests.fake_bot_api import TOKEN, FakeBotAPI

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
# Alice coordinates poo-marnix, Carla groningen-kop-van-drenthe; Bob is a mentor. A module adds to these.
WEB_SETTINGS: dict[str, Any] = {
    "coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe",
    "quiet_hours": "",
}
T = TypeVar("T")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
# The flags a root sandbox on a closed network needs (the machine notes): no sandbox, no GPU, and no
# background connections to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Telegram Web (a public site) framing the Mini App is played by a routed page, while the view
    # itself listens on 127.0.0.1: in production both are public, so the local-network check is off.
    "--disable-features=LocalNetworkAccessChecks",
]


def chromium_or_skip() -> str:
    found = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    reason = None
    if found is None:
        reason = f"Chromium ontbreekt ({CHROMIUM}): installeer Debian's pakket chromium"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            reason = "Playwright voor Python ontbreekt (pip install -e '.[dev]')"
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert found is not None
    return found


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite only: the pages call the same services, which run on both databases in tests/integration."""
    return sqlite_database(request, tmp_path / "web.sqlite3")


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return dict(WEB_SETTINGS)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One Chromium per test process (launching it costs about a second of CPU); each test gets a
    fresh context, so no cookie or storage passes from one test to the next. Playwright belongs to
    the loop it started in: the tests share one loop per process (pyproject.toml)."""
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser profile (no cookies) per test, in Dutch."""
    context = await browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 800})
    opened = await context.new_page()
    yield opened
    await context.close()


def web_address(bot: BotRunner) -> str:
    address = bot.application.bot_data.get(WEB_ADDRESS_KEY)
    assert isinstance(address, str), "the web view did not start"
    return address


async def login_link(api: FakeBotAPI, user: dict[str, Any]) -> str:
    """What the user gets after /web: the one-time link in the bot's answer."""
    answer = await api.ask(user, "/web")
    found = re.search(r"(http://\S+/login/\S+)", answer["text"])
    assert found, answer["text"]
    return found.group(1)


async def log_in(api: FakeBotAPI, page: Any, user: dict[str, Any] = ALICE) -> None:
    """Onboard the user, ask /web, open the link and press "Inloggen": the overview shows."""
    await onboard(api, user, "poo-marnix" if user is not CAROL else "groningen-kop-van-drenthe", "coordinator", None)
    await page.goto(await login_link(api, user))
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(re.compile(r"/$"))


def services_of(bot: BotRunner) -> Services:
    found = bot.application.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


async def on_bot(bot: BotRunner, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` in the bot's own event loop (its database pool belongs to that loop)."""
    assert bot.loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, bot.loop))


def signed_init_data(user: dict[str, Any], signed_at: float | None = None, token: str = TOKEN) -> str:
    """A Mini App's initData as Telegram signs it (core.telegram.org/bots/webapps)."""
    fields = {
        "auth_date": str(int(signed_at if signed_at is not None else time.time())),
        "query_id": "AAFictief",
        "user": json.dumps({"id": user["id"], "first_name": user["first_name"]}, separators=(",", ":")),
    }
    checked = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, checked.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def screenshot(page: Any, name: str) -> None:
    """The README's picture of a page, when SCREENSHOTS=1 (`make screenshots`)."""
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "log_in",
    "login_link",
    "on_bot",
    "screenshot",
    "services_of",
    "signed_init_data",
    "web_address",
]
