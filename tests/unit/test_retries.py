"""A 429 is waited out and the request sent again only in a chat's turn; elsewhere (the outbox, jobs)
it reaches the caller at once, and PTB's AIORateLimiter itself still retries nothing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.app import rate_limiter_for_telegram
from bot.retries import RetryInChatTurn, in_chat_turn

Callback = Callable[..., Coroutine[Any, Any, bool]]


def failing(times: int) -> tuple[Callback, list[int]]:
    """A request that gets ``times`` 429s (retry_after 0: no real wait) and then goes through."""
    calls: list[int] = []

    async def send(*args: Any, **kwargs: Any) -> bool:
        calls.append(len(calls))
        if len(calls) <= times:
            raise RetryAfter(0)
        return True

    return send, calls


async def send(limiter: RetryInChatTurn, callback: Callback) -> Any:
    return await limiter.process_request(callback, (), {}, "sendMessage", {}, None)


@pytest.mark.parametrize("paced", [True, False])
async def test_outside_a_chats_turn_a_429_reaches_the_caller_at_once(paced: bool) -> None:
    limiter = RetryInChatTurn(rate_limiter_for_telegram(29.5) if paced else None, budget_seconds=30)
    callback, calls = failing(1)
    with pytest.raises(RetryAfter):
        await send(limiter, callback)
    assert len(calls) == 1  # the outbox puts its row back until retry_after instead


@pytest.mark.parametrize("paced", [True, False])
async def test_in_a_chats_turn_only_the_request_that_got_the_429_is_sent_again(paced: bool) -> None:
    limiter = RetryInChatTurn(rate_limiter_for_telegram(29.5) if paced else None, budget_seconds=30)
    callback, calls = failing(2)
    with in_chat_turn():
        assert await send(limiter, callback) is True
    assert len(calls) == 3


async def test_once_the_budget_is_waited_the_429_reaches_the_error_handler() -> None:
    limiter = RetryInChatTurn(None, budget_seconds=0.15)  # each wait is retry_after 0 plus a 0.1 s margin
    callback, calls = failing(5)
    with in_chat_turn(), pytest.raises(RetryAfter):
        await send(limiter, callback)
    assert len(calls) == 3


async def test_one_wait_is_taken_even_when_telegram_asks_longer_than_the_budget() -> None:
    limiter = RetryInChatTurn(None, budget_seconds=0.05)
    callback, calls = failing(1)
    with in_chat_turn():
        assert await send(limiter, callback) is True
    assert len(calls) == 2


async def test_the_requests_of_one_update_share_the_budget() -> None:
    """A many-part answer cannot hold its chat (and a slot) for the budget once per part."""
    limiter = RetryInChatTurn(None, budget_seconds=0.15)
    first, first_calls = failing(2)
    second, second_calls = failing(1)
    with in_chat_turn():
        assert await send(limiter, first) is True
        with pytest.raises(RetryAfter):
            await send(limiter, second)
    assert (len(first_calls), len(second_calls)) == (3, 1)
