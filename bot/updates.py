"""How incoming updates are processed: in order per chat, concurrently across chats, floods paused.

PTB's ``concurrent_updates(n)`` runs any n updates at once, so two quick taps of one user can race and
one user's burst can take every slot. This processor keeps PTB's public extension point
(``BaseUpdateProcessor``) and adds three rules:

- Updates of one chat run one after the other, in order.
- A chat waits for its turn *before* it takes one of the ``slots`` shared by all chats, so a chat
  with a queue (a flood, or a reply held up by a 429) holds at most one slot.
- A private chat starts ``chat_burst`` updates at once (one by default) and then one per
  ``chat_interval`` seconds, counted from the moment the previous update of that chat was *done*
  (its replies sent). Telegram allows about one message per second per chat; counted from the start
  instead, a slow reply followed by a fast one went out less than a second apart. Every such 429
  matters: AIORateLimiter answers a 429 by pausing *every* request, everyone's replies included,
  and a flood of one user then kept other users waiting for a minute and more.

Updates that no chat can be found for run without the ordering. ``accept`` may refuse an update
(one already handled in this run); ``after`` is called with every accepted update once its handlers
are done, whatever they did (the inbox marks it handled).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.retries import in_chat_turn

logger = logging.getLogger(__name__)
# Waiting updates are cheap tasks; PTB's own bound only has to be high enough never to matter.
WAITING_UPDATES = 100_000
REMEMBERED_USERS = 10_000  # the flood guard forgets users quiet for a window beyond this many
FLOOD_NOTICE = (
    "Je stuurt me erg veel berichten achter elkaar. Ik sla de komende berichten even over; "
    "probeer het over een halve minuut opnieuw."
)


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    tokens: float = 0.0  # a token bucket: updates that may start now without pacing
    last_done: float = float("-inf")  # when the chat's previous update was done (its replies out)


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        slots: int,
        chat_interval: float = 1.0,
        chat_burst: int = 1,
        accept: Callable[[object], bool] | None = None,
        after: Callable[[Update], Awaitable[None]] | None = None,
        refused: Callable[[object], Awaitable[None]] | None = None,
        flood_guard: FloodGuard | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(WAITING_UPDATES)
        self.slots, self.chat_interval, self.chat_burst, self.clock = slots, chat_interval, chat_burst, clock
        self.accept, self.after, self.refused, self.flood_guard = accept, after, refused, flood_guard
        self._slots: asyncio.Semaphore | None = None
        self._chats: dict[int, _Chat] = {}

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.slots)

    async def shutdown(self) -> None:
        """Nothing to release: the chat locks and the slots are in memory."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.accept is not None and not self.accept(update):
            _discard(coroutine)
            if self.refused is not None:
                await self.refused(update)
            return
        try:
            chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
            if isinstance(update, Update) and self._flooding(update):
                _discard(coroutine)
                if chat_id is not None and self._first_refusal(update):
                    await self._run_in_turn(chat_id, _tell_flooding(update))
            elif chat_id is None:
                await self._run(coroutine)
            else:
                await self._run_in_turn(chat_id, coroutine)
        finally:
            if self.after is not None and isinstance(update, Update):
                await self.after(update)

    def _flooding(self, update: Update) -> bool:
        """Checked before the update waits for its chat's turn: an ignored update costs nothing.

        Only messages count: a button press is answered (no endless spinner) and a block is recorded.
        """
        user = update.effective_user
        is_message = update.message is not None or update.edited_message is not None
        return is_message and self.flood_guard is not None and user is not None and not self.flood_guard.allows(user.id)

    def _first_refusal(self, update: Update) -> bool:
        user = update.effective_user
        if self.flood_guard is None or user is None or not self.flood_guard.first_refusal(user.id):
            return False
        window = self.flood_guard.window
        logger.info("update %s: a user is flooding; ignoring them for %.0f s", update.update_id, window)
        return True

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.slots)
        async with self._slots:
            await coroutine

    async def _run_in_turn(self, chat_id: int, coroutine: Awaitable[Any]) -> None:
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.waiting += 1
        try:
            async with chat.lock:
                paced = chat_id > 0 and self.chat_interval > 0  # private chats: one message per second
                if paced:
                    await self._pace(chat)
                try:
                    with in_chat_turn():  # a reply that gets a 429 waits here, holding back this chat only
                        await self._run(coroutine)
                finally:
                    if paced:
                        chat.last_done = self.clock()
        finally:
            chat.waiting -= 1
            self._forget_quiet_chats()

    async def _pace(self, chat: _Chat) -> None:
        elapsed = self.clock() - chat.last_done
        chat.tokens = min(float(self.chat_burst), chat.tokens + elapsed / self.chat_interval)
        if chat.tokens < 1:
            await asyncio.sleep((1 - chat.tokens) * self.chat_interval)
            chat.tokens = 1.0
        chat.tokens -= 1

    def _forget_quiet_chats(self) -> None:
        """Drop the state of chats with nothing waiting whose pacing no longer matters."""
        if len(self._chats) < 1000:
            return
        now = self.clock()
        for chat_id, chat in list(self._chats.items()):
            if chat.waiting == 0 and now - chat.last_done > self.chat_interval:
                del self._chats[chat_id]


async def _tell_flooding(update: Update) -> None:
    """The one notice of a flood, sent in the chat's turn like any reply (so it is paced too)."""
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        with contextlib.suppress(TelegramError):
            await update.get_bot().send_message(chat.id, FLOOD_NOTICE)


def _discard(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()


class FloodGuard:
    """At most ``limit`` updates per user per ``window`` seconds; past that one notice, then silence
    until the user has been quiet for a window."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._recent: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def allows(self, user_id: int) -> bool:
        now = self.clock()
        recent = self._recent.setdefault(user_id, deque(maxlen=self.limit + 1))
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if not recent:
            self._warned.discard(user_id)
        recent.append(now)
        if len(self._recent) > REMEMBERED_USERS:
            self._recent = {
                uid: times for uid, times in self._recent.items() if times and now - times[-1] < self.window
            }
            self._warned &= self._recent.keys()  # a warned user who went quiet starts afresh anyway
        return len(recent) <= self.limit

    def forget(self, user_id: int) -> None:
        """/vergeetmij: nothing of the user stays in memory."""
        self._recent.pop(user_id, None)
        self._warned.discard(user_id)

    def first_refusal(self, user_id: int) -> bool:
        """True once per flood: the moment to tell the user."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True
