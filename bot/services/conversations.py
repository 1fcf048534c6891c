"""The previous question of each chat, so that a follow-up ("en in Groningen?") can be read against it.

Kept in memory only, per chat, for ``FOLLOW_UP_MINUTES`` (settings) after the question; a restart
forgets it, and /vergeetmij drops what the user asked. Small talk and questions the bot could not
answer leave the previous question in place. The matcher stays pure: it gets the text as an argument.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_CHATS = 10_000  # the oldest chat's context goes first beyond this many


@dataclass(frozen=True)
class _Turn:
    question: str
    user_id: int | None
    at: datetime


class Conversations:
    def __init__(self, keep: timedelta, max_chats: int = MAX_CHATS) -> None:
        self.keep = keep
        self.max_chats = max_chats
        self._turns: OrderedDict[int, _Turn] = OrderedDict()

    def previous(self, chat_id: int | None, now: datetime) -> str | None:
        """The chat's previous question, when it was asked less than ``keep`` ago."""
        turn = self._turns.get(chat_id) if chat_id is not None else None
        if turn is None:
            return None
        if now - turn.at >= self.keep:
            del self._turns[chat_id]  # type: ignore[arg-type]  # not None: found above
            return None
        return turn.question

    def remember(self, chat_id: int | None, user_id: int | None, question: str, now: datetime) -> None:
        if chat_id is None or self.keep <= timedelta(0):
            return
        self._turns[chat_id] = _Turn(question, user_id, now)
        self._turns.move_to_end(chat_id)
        while len(self._turns) > self.max_chats:
            self._turns.popitem(last=False)

    def forget_user(self, user_id: int, private_chat_id: int | None = None) -> None:
        """/vergeetmij: the user's questions as context, in any chat, and their private chat's."""
        gone = [chat for chat, turn in self._turns.items() if turn.user_id == user_id or chat == private_chat_id]
        for chat in gone:
            del self._turns[chat]
