"""Who may use the web view: coordinators, through a one-time link (/web) or a Mini App's initData.

Both end in a session token in an HttpOnly cookie. Tokens are random; only their SHA-256 is stored.
The coordinator right is not stored in the session: every request asks ``CoordinatorService``, so a
right taken away closes the web view at once. The CSRF token of a form is derived from the session
token, so it needs no storage and is worthless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import init_data_py

from bot.services.coordinators import CoordinatorService
from bot.services.writes import WriteBehind
from db.engine import SessionFactory
from db.web_repositories import WebTokenRepository

TOKEN_BYTES = 32
CLOCK_SKEW_SECONDS = 60  # our clock and Telegram's may differ this much either way
MAX_INIT_DATA = 16_384  # characters; Telegram's initData is a few hundred (the user, a hash, a date)


@dataclass(frozen=True)
class WebAccessTimes:
    link: timedelta
    session: timedelta
    init_data_max_age: timedelta


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"csrf", hashlib.sha256).hexdigest()


def init_data_user(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> int | None:
    """The Telegram user id in a Mini App's ``initData`` when Telegram signed it for this bot, recently.

    init-data-py checks the signature as Telegram documents it (core.telegram.org/bots/webapps,
    "Validating data received via the Mini App") and the age against our clock; a date in the future
    it allows, so that bound is ours. Both allow for ``CLOCK_SKEW_SECONDS``.
    """
    if not bot_token or len(init_data) > MAX_INIT_DATA:
        return None
    skew = timedelta(seconds=CLOCK_SKEW_SECONDS)
    try:
        checked = init_data_py.validate_by_hash(init_data, bot_token, expires_in=max_age + skew, now=now)
    except (init_data_py.errors.InvalidInitDataError, RecursionError):  # its JSON is read before the hash
        return None
    if checked.user is None or checked.issued_at > now + skew:
        return None
    return checked.user.id


class WebAccessService:
    def __init__(
        self,
        sessions: SessionFactory,
        writes: WriteBehind,
        coordinators: CoordinatorService,
        times: WebAccessTimes,
        bot_token: str,
    ) -> None:
        self.sessions = sessions
        self.writes = writes
        self.coordinators = coordinators
        self.times = times
        self.bot_token = bot_token

    async def new_link(self, user_id: int, now: datetime) -> str | None:
        """A one-time link token for a coordinator (None for anyone else), valid ``times.link``."""
        if await self.coordinators.authority(user_id) is None:
            return None
        return await self._new_token("link", user_id, now, self.times.link)

    async def open_link(self, link_token: str, now: datetime) -> str | None:
        """A new session for an unused, unexpired link of a coordinator; the link is used up."""
        async with self.writes.transaction() as session:
            user_id = await WebTokenRepository(session).use_link(token_hash(link_token), now)
        return await self._session_for(user_id, now)

    async def open_mini_app(self, init_data: str, now: datetime) -> str | None:
        user_id = init_data_user(init_data, self.bot_token, now, self.times.init_data_max_age)
        return await self._session_for(user_id, now)

    async def session_user(self, session_token: str, now: datetime) -> int | None:
        async with self.sessions() as session:
            return await WebTokenRepository(session).session_user(token_hash(session_token), now)

    async def close(self, session_token: str) -> None:
        async with self.writes.transaction() as session:
            await WebTokenRepository(session).remove(token_hash(session_token))

    async def purge_expired(self, now: datetime) -> int:
        async with self.writes.transaction() as session:
            return await WebTokenRepository(session).purge_expired(now)

    async def _session_for(self, user_id: int | None, now: datetime) -> str | None:
        if user_id is None or await self.coordinators.authority(user_id) is None:
            return None
        return await self._new_token("session", user_id, now, self.times.session)

    async def _new_token(self, kind: str, user_id: int, now: datetime, valid: timedelta) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self.writes.transaction() as session:
            WebTokenRepository(session).add(token_hash(token), kind, user_id, now, now + valid)
        return token
