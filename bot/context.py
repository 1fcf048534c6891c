"""The one place handlers and jobs find the services: ``services(context)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram.ext import CallbackContext

from bot.services import Services

SERVICES_KEY = "services"
FORGETTERS_KEY = "forget-user"  # callables(user_id) that drop a user's in-memory state (/vergeetmij)
WEB_ADDRESS_KEY = "web-address"  # where coordinators reach the web view (WEB_PUBLIC_URL or the local one)
INBOX_KEY = "inbox"  # the update inbox (bot/inbox.py), for the inbox-leases job and the 409 hand-over


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("services are set up in post_init")
    return found


def current_time(context: CallbackContext[Any, Any, Any, Any]) -> datetime:
    """The moment from the services' injected clock (handlers and jobs never read the wall clock)."""
    return services(context).clock()


def forget_in_memory(context: CallbackContext[Any, Any, Any, Any], user_id: int) -> None:
    """/vergeetmij: the per-user state kept in memory outside the services (the flood guard's)."""
    for forget in context.application.bot_data.get(FORGETTERS_KEY, ()):
        forget(user_id)
