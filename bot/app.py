"""The one wiring entry point: settings, engine, knowledge base and the Telegram application.

Nothing happens at import time. Resources (database engine, migrations, the bot's command list and
the daily clean-up job) start in ``post_init`` and stop in ``post_shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import tempfile
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from alembic.util import CommandError
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

import handlers
from bot import jobs
from bot.context import FORGETTERS_KEY, INBOX_KEY, SERVICES_KEY, WEB_ADDRESS_KEY
from bot.inbox import Inbox, InboxBot, InboxQueue
from bot.retries import RetryInChatTurn
from bot.services import Services
from bot.services.coordinators import UnknownPartnership
from bot.settings import Settings
from bot.terminal import run_chat
from bot.updates import ChatOrderedProcessor, FloodGuard
from db.engine import UnsupportedSQLite, create_engine, session_factory
from db.migrate import MigrationError, migrate
from db.models import utcnow
from handlers.coordinators import show_coordinator_commands
from knowledge import Answer, Matcher, load_knowledge_base

logger = logging.getLogger(__name__)
ENGINE_KEY = "engine"
WRITER_KEY = "write-behind"
WEB_SERVER_KEY = "web-server"
WRITER_STOP_SECONDS = 2.0
# PTB's AIORateLimiter holds back *every* request while it waits out a 429 before a retry, so a 429
# for one chat would make all chats wait (up to 4x retry_after with 3 retries). With no retries in
# the limiter, a 429 reaches the caller at once and only that chat waits: the outbox puts the row
# back until retry_after (bot/services/deliveries.py); a reply's request alone is sent again after
# the wait, in that chat's own turn (bot/retries.py).
RATE_LIMIT_RETRIES = 0
# Telegram takes about 30 messages/s, so more updates in progress or more connections would only
# wait longer; bounded, a burst of updates cannot pile up work. httpcore scans its whole pool on
# every request, so a small pool also keeps the CPU per call low (benchmarks/README.md).
CONCURRENT_UPDATES = 32
CONNECTION_POOL_SIZE = 8
# Waiting this long for a free connection means nothing was sent: PTB raises TimedOut before the
# request leaves, which is safe to retry (unlike a read time-out, where it may have arrived).
POOL_TIMEOUT_SECONDS = 5.0


# What can stop the bot from starting: a database it cannot reach or migrate, a Bot API it cannot
# reach or that refuses the token. One clear log line, no traceback, exit code 1.
STARTUP_ERRORS = (
    CommandError,
    MigrationError,
    SQLAlchemyError,
    UnsupportedSQLite,
    TelegramError,
    OSError,
    UnknownPartnership,
)


def file_url(base_url: str) -> str:
    """The file endpoint that belongs to a Bot API base URL (".../bot" -> ".../file/bot")."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("bot") else base_url


def rate_limiter_for_telegram(messages_per_second: float) -> AIORateLimiter:
    """Smooth pacing at ``MESSAGES_PER_SECOND`` (29.5 by default) with no burst allowance.

    A leaky bucket that may burst 30 and then refill at 30/s can put almost 60 messages in one
    second; Telegram's window is not documented, so we never exceed 30 in any second instead: one
    message per 33.9 ms fits 30 in a second at most, and the timer's overshoot still leaves about
    28.7 messages/s (0.96 of Telegram's 30; at 29/s it was 28.2, 0.94).
    """
    # With no retries the limiter logs every 429 it passes on with a traceback; the outbox and the
    # error handler log it once, without one.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    return AIORateLimiter(
        overall_max_rate=1, overall_time_period=1 / messages_per_second, max_retries=RATE_LIMIT_RETRIES
    )


def build_application(
    settings: Settings, matcher: Matcher, rate_limiter: bool = True
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application with its handlers. ``rate_limiter=False`` exists for capacity benchmarks only."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    inbox = Inbox()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await migrate(settings.effective_database_url)
        engine = create_engine(settings.effective_database_url)
        application.bot_data[ENGINE_KEY] = engine
        services = Services(settings, matcher, session_factory(engine), clock=utcnow)
        application.bot_data[SERVICES_KEY] = services
        application.bot_data[WRITER_KEY] = asyncio.create_task(services.writes.run(), name="write-behind")
        inbox.attach(services)
        application.bot_data[INBOX_KEY] = inbox
        if not settings.webhook_url:
            await inbox.start_polling()  # the newest poller: an older instance hands over on its next 409
        await application.bot.set_my_commands(handlers.COMMANDS)
        await services.overlay.reload()  # the overlay is in the index before the first question
        await services.coordinators.bootstrap(settings.coordinator_ids, set(matcher.kb.partnerships), utcnow())
        await coordinator_menus(application.bot, services)
        await jobs.take_over_inbox(application, inbox)  # what a crash left, before new updates
        if application.job_queue is not None:
            jobs.schedule(application.job_queue, settings)
        if settings.web_enabled:
            await start_web_view(application, services)

    flood_guard = FloodGuard(settings.flood_max_updates, settings.flood_window_seconds)
    processor = ChatOrderedProcessor(
        CONCURRENT_UPDATES,
        chat_interval=settings.chat_pacing_seconds,
        chat_burst=settings.chat_burst,
        accept=inbox.first_time,
        after=inbox.handled,
        refused=inbox.refused,
        flood_guard=flood_guard,
    )
    builder = ApplicationBuilder()
    if settings.webhook_url:  # long polling writes the inbox in InboxBot.get_updates
        builder = builder.update_queue(InboxQueue(inbox))
    application = (
        builder.bot(telegram_bot(settings, inbox, rate_limiter))
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[FORGETTERS_KEY] = [flood_guard.forget]
    # The coordinator flows mix text and buttons, so they track per chat (per_message=False) on purpose.
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    handlers.register(application)
    return application


def telegram_bot(settings: Settings, inbox: Inbox, rate_limiter: bool) -> InboxBot:
    """PTB's bot on PTB's HTTPXRequest, with the pools sized for this bot and the rate limiter."""
    assert settings.telegram_bot_token is not None
    base_url = settings.telegram_api_base_url or "https://api.telegram.org/bot"
    return InboxBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=base_url,
        base_file_url=file_url(base_url),
        request=HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE, pool_timeout=POOL_TIMEOUT_SECONDS),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=RetryInChatTurn(
            rate_limiter_for_telegram(settings.messages_per_second) if rate_limiter else None,
            settings.reply_retry_seconds,
        ),
        # A group question deleted before its answer goes out is still answered (not a 400, "Sorry").
        defaults=Defaults(allow_sending_without_reply=True),
        inbox=inbox,
    )


async def start_web_view(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """The coordinators' web view in this process and event loop (imported only when it is on)."""
    from bot.web.server import WebServer, create_app

    def last_poll_at() -> datetime | None:
        dispatcher = application.bot_data.get(jobs.DISPATCHER_KEY)
        return dispatcher.last_poll_at if dispatcher is not None else None

    settings = services.settings
    server = WebServer(create_app(services, last_poll_at), settings.web_host, settings.web_port)
    try:
        local_address = await server.start()
    except OSError as exc:  # the chat goes on without it; /web says so
        logger.error("the web view could not start on %s:%s (%s)", settings.web_host, settings.web_port, exc)
        await server.stop()
        return
    application.bot_data[WEB_SERVER_KEY] = server
    application.bot_data[WEB_ADDRESS_KEY] = settings.web_public_url or local_address


async def coordinator_menus(bot: Any, services: Services) -> None:
    """Coordinators see their commands in the menu of their private chat (rights may come from the CLI).
    A call per coordinator at start: they are few, and a failure only costs that menu."""
    for coordinator in await services.coordinators.listing():
        if coordinator.chat_id is not None:
            await show_coordinator_commands(bot, coordinator.chat_id, services.settings.web_public_url)


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After the last handler: stop the web view, write what is pending, then close the database."""
    web_server = application.bot_data.pop(WEB_SERVER_KEY, None)
    if web_server is not None:
        await web_server.stop()
    writer = application.bot_data.pop(WRITER_KEY, None)
    services = application.bot_data.get(SERVICES_KEY)
    if isinstance(services, Services):
        await services.writes.stop()
        inbox = application.bot_data.get(INBOX_KEY)
        if isinstance(inbox, Inbox):
            with contextlib.suppress(SQLAlchemyError, OSError):
                await inbox.release()  # what is left goes to the instance that replaces this one, at once
    if writer is not None:
        # It returns once woken; only a retry back-off (database unreachable) needs cutting short.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(writer), WRITER_STOP_SECONDS)
        writer.cancel()
    engine = application.bot_data.pop(ENGINE_KEY, None)
    if engine is not None:
        await engine.dispose()


def new_event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    """asyncio's own loop; uvloop only when ``USE_UVLOOP`` is set and ``.[speed]`` is installed.

    Off by default: with uvloop, PTB's signal handlers outlive the loop, so a shutdown that hangs
    no longer reacts to SIGTERM.
    """
    if settings.use_uvloop:
        try:
            import uvloop
        except ImportError:
            logger.warning("USE_UVLOOP is set but uvloop is not installed (pip install '.[speed]')")
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET_TOKEN, or a strong one made at start (``run`` makes it): a webhook never accepts
    an unsigned call.

    PTB registers it with setWebhook and answers 403 to every POST without it, so an update forged by
    anyone who finds the URL is never processed. Telegram only calls HTTPS: run a TLS-terminating
    proxy in front of the webhook port.
    """
    if settings.webhook_secret_token is not None:
        return settings.webhook_secret_token.get_secret_value()
    return secrets.token_urlsafe(32)


def serve(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    stop_signals: Sequence[int] | None = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT),
    loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Long polling, or a webhook when WEBHOOK_URL is set; blocks until stopped."""
    asyncio.set_event_loop(loop or new_event_loop(settings))
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=Update.ALL_TYPES,
            stop_signals=stop_signals,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)


TERMINAL_CONVERSATION = 0  # the terminal chat's follow-up context (no Telegram chat has id 0)


def run_terminal(settings: Settings, matcher: Matcher, partnership: str | None) -> None:
    """The terminal chat on the same database as the bot; questions are logged like in Telegram."""
    loop = asyncio.new_event_loop()
    engine = create_engine(settings.effective_database_url)
    try:
        loop.run_until_complete(migrate(settings.effective_database_url))
        services = Services(settings, matcher, session_factory(engine), clock=utcnow)
        loop.run_until_complete(services.overlay.reload())
        questions = services.questions

        def ask(text: str, scope: str | None) -> Answer:
            return loop.run_until_complete(questions.ask(None, None, text, scope, TERMINAL_CONVERSATION)).answer

        run_chat(matcher, partnership, ask, history_file=settings.data_dir / "chat_history")
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


class RedactingFormatter(logging.Formatter):
    """The bot token and the webhook secret never reach the log, whoever logs them (tracebacks too)."""

    def __init__(self, *secret_values: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secret_values = [value for value in secret_values if value]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for value in self.secret_values:
            text = text.replace(value, "[geheim]")
        return text


def configure_logging(settings: Settings, handler: logging.Handler | None = None) -> None:
    """LOG_LEVEL for our own code; httpx (request URLs, token included) and aiosqlite (statement
    parameters) only warn."""
    handler = handler or logging.StreamHandler()
    secret_values = (settings.telegram_bot_token, settings.webhook_secret_token)
    handler.setFormatter(RedactingFormatter(*(s.get_secret_value() for s in secret_values if s is not None)))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, PTB logs whole updates and every API call's parameters: names and message texts,
    # which /privacy promises stay out of the log. Its INFO and above carry none.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))


def unwritable_data_dir(settings: Settings) -> str | None:
    """The embedded database and the chat history live in DATA_DIR: refuse to start without it."""
    if settings.database_url and make_url(settings.database_url).get_backend_name() != "sqlite":
        return None
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=settings.data_dir):
            pass
    except OSError as exc:
        return f"De datamap {settings.data_dir} is niet schrijfbaar ({exc.strerror}). Kies een andere met DATA_DIR."
    return None


def run(settings: Settings, command: str, partnership: str | None = None) -> int:
    if settings.webhook_url and settings.webhook_secret_token is None:
        # Made here, once, so that the log redacts it like the token.
        settings = settings.model_copy(update={"webhook_secret_token": SecretStr(secrets.token_urlsafe(32))})
    configure_logging(settings)
    matcher = Matcher(load_knowledge_base(settings.knowledge_dir), threshold=settings.match_threshold)
    scope = partnership or settings.default_partnership
    if scope is not None and scope not in matcher.kb.partnerships:
        print(
            f"Onbekend partnerschap ‘{scope}’. Kies uit: {', '.join(sorted(matcher.kb.partnerships))}.", file=sys.stderr
        )
        return 2
    if problem := unwritable_data_dir(settings):
        print(problem, file=sys.stderr)
        return 2
    if command == "run" and settings.telegram_bot_token:
        application = build_application(settings, matcher)
        try:
            serve(application, settings)
        except STARTUP_ERRORS as exc:
            logger.error("De bot kan niet starten: %s", exc)
            return 1
        return 0  # also after handing over to a newer instance (see handlers/errors.py)
    else:
        # The terminal is the user's chat window: only problems are logged there.
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
        run_terminal(settings, matcher, scope)
    return 0
