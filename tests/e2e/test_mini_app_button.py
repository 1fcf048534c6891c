"""With a public https address, coordinators get the web view as a Mini App button; it goes with the right."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, onboard
from tests.fake_bot_api import FakeBotAPI

PUBLIC = "https://bot.example.org/"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"coordinator_ids": f"{ALICE['id']}:poo-marnix", "web_public_url": PUBLIC}


def _menu_buttons(api: FakeBotAPI) -> list[tuple[Any, Any]]:
    return [(int(c.params["chat_id"]), c.params.get("menu_button")) for c in api.calls_to("setChatMenuButton")]


async def test_a_coordinator_gets_the_mini_app_button_and_an_https_link(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    # The menus are set at start for coordinators the bot knows; Alice wrote only now, so /web gives both.
    answer = await api.ask(ALICE, "/web")
    assert f"{PUBLIC}login/" in answer["text"]
    [[button]] = answer["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Webomgeving", "web_app": {"url": f"{PUBLIC}app"}}

    confirm = await api.ask(ALICE, "/vergeetmij")
    api.press(ALICE, confirm, "v:ja")
    await api.wait_until(lambda: (ALICE["id"], {"type": "default"}) in _menu_buttons(api))


async def test_the_button_is_set_at_start_for_known_coordinators(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await bot.stop()
    await bot.start()
    web_app = {"type": "web_app", "text": "Webomgeving", "web_app": {"url": f"{PUBLIC}app"}}
    await api.wait_until(lambda: (ALICE["id"], web_app) in _menu_buttons(api))
