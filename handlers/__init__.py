"""Thin Telegram handlers: parse the update, call a service, render the reply."""

from telegram.ext import Application

from handlers import (
    agenda,
    agenda_admin,
    broadcasts,
    coordinators,
    files,
    general,
    onboarding,
    privacy,
    question_inbox,
    questions,
    stats,
    web,
)
from handlers.errors import on_error
from handlers.general import COMMANDS


def register(application: Application) -> None:  # type: ignore[type-arg]
    general.register_first(application)
    onboarding.register(application)
    privacy.register(application)
    files.register(application)  # before the flows: a file never counts as a step's answer
    agenda_admin.register(application)
    agenda.register(application)
    coordinators.register(application)
    question_inbox.register(application)  # a conversation: before questions, so an answer is no question
    stats.register(application)
    broadcasts.register(application)
    web.register(application)
    questions.register(application)
    general.register_last(application)
    application.add_error_handler(on_error)


__all__ = ["COMMANDS", "register"]
