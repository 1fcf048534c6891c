"""The web view's aiohttp application, served in the bot's own event loop (``WebServer``)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.services import Services
from bot.web import agenda, auth, broadcasts, home, imports, inbox, knowledge, ops, stats
from bot.web.context import HEALTH, SERVICES, TEMPLATES, LastPoll
from bot.web.render import templates

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
FORM_OVERHEAD_BYTES = 64 * 1024


def max_request_bytes(file_max_bytes: int) -> int:
    """The largest form: an imported file, once as upload and once in base64 when it is confirmed."""
    return file_max_bytes * 4 // 3 + FORM_OVERHEAD_BYTES


def create_app(services: Services, last_poll_at: LastPoll) -> web.Application:
    limit = max_request_bytes(services.settings.chat_file_max_bytes)
    app = web.Application(middlewares=[auth.authenticate], client_max_size=limit)
    app[SERVICES] = services
    app[TEMPLATES] = templates()
    app[HEALTH] = last_poll_at
    for feature in (auth, home, ops, imports, agenda, broadcasts, inbox, knowledge, stats):
        app.add_routes(feature.routes)
    app.router.add_static("/static/", STATIC)
    return app


class WebServer:
    """Started in the application's post_init, stopped in post_shutdown (bot/app.py)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None)
        self.host = host
        self.port = port

    async def start(self) -> str:
        """Listen; returns the local address (with the real port when WEB_PORT is 0)."""
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        port = self.runner.addresses[0][1]  # the real port, also when WEB_PORT is 0
        address = f"http://{self.host}:{port}/"
        logger.info("web view on %s", address)
        return address

    async def stop(self) -> None:
        await self.runner.cleanup()
