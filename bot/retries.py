"""A reply that meets a 429 is sent again: that request alone, after Telegram's ``retry_after``, in its
chat's own turn.

Handling the whole update again (as before) repeated what had already happened: the first parts of
a multi-part answer arrived twice and the question was logged twice. So the retry sits at the level
of the single request, as a ``BaseRateLimiter`` (PTB's public interface for what wraps every Bot API
request) around PTB's ``AIORateLimiter``, which keeps its pacing and its ``max_retries=0``: that
limiter would hold back *every* chat while it waits out one 429.

Only requests made while an update is handled in its chat's turn (``ChatOrderedProcessor``, see
``in_chat_turn``) wait and retry: the wait then holds back that chat alone, which has to wait anyway.
Everything else (the outbox, jobs) gets the 429 at once and deals with it itself (the outbox puts the
row back until ``retry_after``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

logger = logging.getLogger(__name__)
MARGIN_SECONDS = 0.1  # a little past retry_after, so the retry does not arrive just too early
JSONDict = dict[str, Any]


@dataclass
class _Turn:
    """One update's handling in its chat's turn: how long its requests have waited out 429's."""

    waited: float = 0.0


_CHAT_TURN: ContextVar[_Turn | None] = ContextVar("chat-turn", default=None)


@contextlib.contextmanager
def in_chat_turn() -> Iterator[None]:
    """Requests made inside wait out a 429 and are sent again (the update processor's chat turn)."""
    token = _CHAT_TURN.set(_Turn())
    try:
        yield
    finally:
        _CHAT_TURN.reset(token)


def seconds(retry_after: timedelta | float) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class RetryInChatTurn(BaseRateLimiter[int]):
    """``limiter`` (or no pacing at all) plus repeats of a request that got a 429, until the requests
    of one update (every part of an answer, and a "Sorry") have waited ``budget_seconds`` together.
    A budget in seconds rather than in tries: while two instances hand over, about every other
    message gets a 429 for half a minute, and a fixed number of tries then ran out for a few answers
    in a thousand. One wait is always taken, however long Telegram asks (as PTB's limiter would)."""

    def __init__(self, limiter: AIORateLimiter | None, budget_seconds: float) -> None:
        self.limiter, self.budget_seconds = limiter, budget_seconds

    async def initialize(self) -> None:
        if self.limiter is not None:
            await self.limiter.initialize()

    async def shutdown(self) -> None:
        if self.limiter is not None:
            await self.limiter.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        turn, attempt = _CHAT_TURN.get(), 0
        while True:
            try:
                if self.limiter is None:
                    return await callback(*args, **kwargs)
                return await self.limiter.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except RetryAfter as error:
                if turn is None or turn.waited >= self.budget_seconds:
                    raise
                wait = seconds(error.retry_after) + MARGIN_SECONDS
                attempt, turn.waited = attempt + 1, turn.waited + wait
                logger.info("%s: 429 from Telegram; sent again after %.1f s (attempt %d)", endpoint, wait, attempt)
                await asyncio.sleep(wait)
