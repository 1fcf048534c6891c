"""Who may use the web view: coordinators, through a one-time link (/web) or a Mini App's initData.

Both end in a session token in an HttpOnly cookie. Tokens are random; only their SHA-256 is stored.
The coordinator right is not stored in the session: every request asks ``CoordinatorService``, so a
right taken away closes the web view at once. The CSRF token of a form is derived from the session
token, so it needs no storage and is worthless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from bot.services.coordinators import CoordinatorService
from bot.services.writes import WriteBehind
from db.engine import SessionFactory
from db.web_repositories import WebTokenRepository

TOKEN_BYTES = 32
CLOCK_SKEW_SECONDS = 60  # our clock and Telegram's may differ this much either way


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

    As Telegram documents it (core.telegram.org/bots/webapps, "Validating data received via the Mini
    App"): the fields but ``hash``, sorted and joined by newlines, signed with HMAC-SHA-256 under the
    key HMAC-SHA-256("WebAppData", bot token). ``auth_date`` bounds the age (and a date in the future).
    """
    if not bot_token:
        return None
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    received = fields.pop("hash", "")
    checked = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, checked.encode(), hashlib.sha256).hexdigest()
    if not received or not hmac.compare_digest(expected, received):
        return None
    try:
        signed_at = int(fields["auth_date"])
        user_id = json.loads(fields["user"])["id"]
    except (KeyError, ValueError, TypeError):
        return None
    age = now.timestamp() - signed_at
    if not -CLOCK_SKEW_SECONDS <= age <= max_age.total_seconds() + CLOCK_SKEW_SECONDS or not isinstance(user_id, int):
        return None
    return user_id


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
