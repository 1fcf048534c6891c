"""The bot's aiohttp connection to the Bot API: what goes over the wire and how failures surface."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from io import BytesIO
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest
from tests.fake_bot_api import BOT, TOKEN, FakeBotAPI


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(4)) as bot:
        yield bot


async def test_messages_go_out_as_telegram_expects_and_come_back_as_objects(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_message(4242, "Wat is <b>intervisie</b>?", parse_mode="HTML")
    assert sent.chat.id == 4242
    assert sent.text == "Wat is intervisie?"
    assert api.sent_to(4242)[0]["text"] == "Wat is intervisie?"


async def test_telegram_errors_keep_their_meaning(bot: Bot, api: FakeBotAPI) -> None:
    api.block(FakeBotAPI.user(4343))
    with pytest.raises(Forbidden):
        await bot.send_message(4343, "hallo")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(4242, "x" * 5000)


async def _serve(handler: Any) -> tuple[web.AppRunner, str]:
    """A server that knows getMe (for Bot.initialize) and hands every other method to ``handler``."""

    async def route(request: web.Request) -> web.StreamResponse:
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        return await handler(request)  # type: ignore[no-any-return]

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/bot"


async def test_a_slow_server_is_a_timeout_not_a_hang() -> None:
    released = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await released.wait()
        return web.json_response({"ok": True, "result": True})

    runner, base = await _serve(slow)
    try:
        async with Bot(TOKEN, base_url=base, request=AiohttpRequest(read_timeout=0.2)) as bot:
            with pytest.raises(TimedOut):
                await asyncio.wait_for(bot.send_message(1, "hallo"), timeout=5)
    finally:
        released.set()
        await runner.cleanup()


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_files_are_uploaded_as_multipart_with_name_and_type() -> None:
    received: dict[str, Any] = {}

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        document = form["document"]
        assert isinstance(document, web.FileField)
        received.update(
            chat_id=form["chat_id"],
            filename=document.filename,
            content_type=document.content_type,
            content=document.file.read(),
        )
        message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}
        return web.json_response({"ok": True, "result": message})

    runner, base = await _serve(upload)
    try:
        async with Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
            await bot.send_document(7, InputFile(BytesIO(b"agenda"), filename="agenda.txt"))
    finally:
        await runner.cleanup()
    assert received == {"chat_id": "7", "filename": "agenda.txt", "content_type": "text/plain", "content": b"agenda"}


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:9/bot/getMe", "POST")
