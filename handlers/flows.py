"""One coordinator flow at a time per chat: text typed goes to the flow the coordinator entered last.

The coordinator flows (/nieuw and event changes, answering from /vragen, /bericht) are separate
ConversationHandlers in one handler group, and PTB gives an update to the first one that wants it.
Without an arbiter, a coordinator who starts /vragen while /nieuw waits for a title would see the
answer become the event's title, and /annuleer end the wrong flow. So each flow is a
``CoordinatorFlow``: entering it (its entry points: a command or one of its own buttons) makes it the
chat's flow, and a flow that is not the chat's flow takes nothing but its entry points. A flow left
behind keeps its draft in the database and says nothing when its time runs out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, ConversationHandler, TypeHandler

from bot.services import Authority, Services
from handlers.common import Context, services
from handlers.coordinators import require_coordinator

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]

ARBITER_KEY = "coordinator-flows"


class FlowArbiter:
    """The flow each chat entered last."""

    def __init__(self) -> None:
        self._entered: dict[int, str] = {}

    def enter(self, chat_id: int, flow: str) -> None:
        self._entered[chat_id] = flow

    def is_current(self, chat_id: int, flow: str) -> bool:
        return self._entered.get(chat_id) == flow


def arbiter_of(application: Application[Any, Any, Any, Any, Any, Any]) -> FlowArbiter:
    found = application.bot_data.setdefault(ARBITER_KEY, FlowArbiter())
    assert isinstance(found, FlowArbiter)
    return found


class CoordinatorFlow(ConversationHandler[Context]):
    """A ConversationHandler that yields to the flow its chat entered after it (see the module)."""

    def __init__(self, arbiter: FlowArbiter, name: str, **options: Any) -> None:
        states = dict(options.pop("states"))
        states[ConversationHandler.TIMEOUT] = [self._quiet_elsewhere(h) for h in states.get(self.TIMEOUT, [])]
        super().__init__(name=name, states=states, **options)
        self.arbiter = arbiter

    def _is_entry(self, update: Update) -> bool:
        return any(handler.check_update(update) not in (None, False) for handler in self.entry_points)

    def check_update(self, update: object) -> Any:
        if isinstance(update, Update) and update.effective_chat is not None:
            elsewhere = not self.arbiter.is_current(update.effective_chat.id, self.name or "")
            if elsewhere and not self._is_entry(update):
                return None
        return super().check_update(update)

    async def handle_update(self, update: Update, application: Any, check_result: Any, context: Context) -> Any:
        chat = update.effective_chat
        if chat is not None and self._is_entry(update):
            self.arbiter.enter(chat.id, self.name or "")
        return await super().handle_update(update, application, check_result, context)

    def _quiet_elsewhere(self, handler: BaseHandler[Update, Context, Any]) -> BaseHandler[Update, Context, Any]:
        """A time-out of a flow the coordinator already left says nothing (it would only confuse)."""
        if not isinstance(handler, TypeHandler):
            return handler
        timed_out = handler.callback

        async def unless_left(update: Update, context: Context) -> Any:
            chat = update.effective_chat if isinstance(update, Update) else None
            if chat is not None and not self.arbiter.is_current(chat.id, self.name or ""):
                return None
            return await timed_out(update, context)

        return TypeHandler(Update, unless_left)


def replying(text: str) -> Callback:
    """A flow's catch-all: anything else while a step waits gets ``text`` (never read as a question)."""

    async def reply(update: Update, context: Context) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(text)

    return reply


def telling_chat(text: str) -> Callback:
    """A flow's time-out: ``text`` to the chat (the draft is kept, so it says how to go on)."""

    async def tell(update: Update, context: Context) -> None:
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)

    return tell


def cancelling(
    discard: Callable[[Services, Authority], Awaitable[object]], text: str
) -> Callable[[Update, Context], Coroutine[Any, Any, int]]:
    """A flow's /annuleer: the coordinator's draft goes (``discard``), ``text`` says so, the flow ends."""

    async def cancel(update: Update, context: Context) -> int:
        authority = await require_coordinator(update, context)
        if authority is not None:
            await discard(services(context), authority)
            if update.effective_message is not None:
                await update.effective_message.reply_text(text)
        return ConversationHandler.END

    return cancel
