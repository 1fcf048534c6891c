"""What the bot writes to its log: no token, no names or message texts (see /privacy)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import configure_logging
from bot.settings import Settings
from tests.bot_runner import BotRunner
from tests.fake_bot_api import TOKEN, FakeBotAPI

ANNA = FakeBotAPI.user(7301, "Fictieve Annabel Zoekmij")
OWN_LOGGERS = ("bot", "handlers", "db", "knowledge")


@pytest.fixture
def log(settings: Settings) -> Iterator[io.StringIO]:
    """The bot's own log configuration, at DEBUG, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    level = root.level
    configure_logging(settings.model_copy(update={"log_level": "DEBUG"}), handler)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_at_debug_level_the_log_holds_no_token_name_or_message_text(
    api: FakeBotAPI, log: io.StringIO, bot: BotRunner
) -> None:
    api.send_text(ANNA, "wat is intervisie")
    await api.reply(ANNA["id"], 0)
    await bot.wait_idle()
    logging.getLogger("fictief").warning("een regel met het token %s erin", TOKEN)
    text = log.getvalue()
    assert "DEBUG" in text  # the level is on...
    assert TOKEN not in text  # ...and still no token,
    assert "[geheim]" in text
    assert "Annabel" not in text  # no name (PTB logs whole updates at DEBUG: kept at INFO)
    assert "intervisie" not in text  # and no message text


async def test_after_forgetting_the_bots_own_log_lines_hold_no_name_or_id(
    api: FakeBotAPI, bot: BotRunner, settings: Settings, error_log: Any
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(lambda record: record.name.split(".")[0] in OWN_LOGGERS)
    configure_logging(settings.model_copy(update={"log_level": "DEBUG"}), handler)
    try:
        api.send_text(ANNA, "wat is intervisie")
        await api.reply(ANNA["id"], 0)
        confirm_before = len(api.sent_to(ANNA["id"]))
        api.send_text(ANNA, "/vergeetmij")
        confirm = await api.reply(ANNA["id"], confirm_before)
        api.press(ANNA, confirm, "v:ja")
        await bot.wait_idle()
        api.blocked_chats.add(ANNA["id"])
        api.send_text(ANNA, "wat is scorion")  # the reply fails with 403: logged, without who
        await api.wait_until(lambda: any(c.status == 403 for c in api.calls_to("sendMessage")))
        await bot.wait_idle()
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "update" in text  # the bot did log, by update id and kind
    assert "Annabel" not in text
    assert str(ANNA["id"]) not in text
    assert "scorion" not in text
