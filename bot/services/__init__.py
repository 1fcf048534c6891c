"""What the bot does, independent of Telegram: handlers parse updates and call these services.

Each service owns its transactions (one per call) and returns plain data; user-facing text is built
by the handlers. Nothing here imports telegram. The profile cache and the write-behind buffer are
shared by all services of one process (see bot/services/writes.py).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

from bot.services.agenda import AgendaService, EventView, ImportResult, NewEvent
from bot.services.broadcasts import Audience, BroadcastService, BroadcastView
from bot.services.clock import Clock
from bot.services.conversations import Conversations
from bot.services.coordinators import Authority, CoordinatorService
from bot.services.deliveries import DeliveryService, Outcome, Outgoing, Result
from bot.services.event_drafts import EventDraftService
from bot.services.file_imports import FileImportService
from bot.services.knowledge import KnowledgeHolder, KnowledgeService
from bot.services.onboarding import OnboardingService, OnboardingStep, Option, Step
from bot.services.ops import OpsService
from bot.services.planning import Planner
from bot.services.profiles import ProfileService, ProfileView
from bot.services.question_inbox import Groupings, QuestionInboxService
from bot.services.questions import Asked, QuestionService
from bot.services.roles import ROLES
from bot.services.schedule import parse_quiet_hours
from bot.services.senders import Sender
from bot.services.stats import StatsService
from bot.services.web_access import WebAccessService, WebAccessTimes
from bot.services.writes import ProfileCache, WriteBehind
from bot.settings import Settings
from db.engine import SessionFactory
from knowledge import Matcher


def new_instance_id() -> str:
    """Who owns a lease: this host and process, plus a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, init=False)
class Services:
    settings: Settings
    sessions: SessionFactory
    knowledge: KnowledgeHolder
    cache: ProfileCache
    writes: WriteBehind
    planner: Planner
    conversations: Conversations
    groupings: Groupings
    clock: Clock
    instance: str

    def __init__(
        self,
        settings: Settings,
        matcher: Matcher,
        sessions: SessionFactory,
        *,
        clock: Clock,
        cache: ProfileCache | None = None,
        instance: str | None = None,
    ) -> None:
        planner = Planner(parse_quiet_hours(settings.quiet_hours))
        for name, value in (
            ("settings", settings),
            ("sessions", sessions),
            ("clock", clock),
            ("instance", instance or new_instance_id()),
            ("knowledge", KnowledgeHolder(matcher)),
            ("cache", cache or ProfileCache()),
            ("writes", WriteBehind(sessions, clock, planner)),
            ("planner", planner),
            ("conversations", Conversations(timedelta(minutes=settings.follow_up_minutes))),
            ("groupings", Groupings()),
        ):
            object.__setattr__(self, name, value)

    @property
    def matcher(self) -> Matcher:
        """The index in use: the YAML base plus the overlay, swapped whole when the overlay changes."""
        return self.knowledge.matcher

    @property
    def onboarding(self) -> OnboardingService:
        return OnboardingService(self.matcher, self.writes, self.cache, self.planner, self.clock)

    @property
    def agenda(self) -> AgendaService:
        return AgendaService(self.sessions, self.writes, self.planner, self.settings.agenda_horizon_days)

    @property
    def deliveries(self) -> DeliveryService:
        view = self.agenda.view
        lease = self.settings.delivery_claim_timeout_seconds
        return DeliveryService(self.writes, self.cache, view, lease, self.instance)

    @property
    def questions(self) -> QuestionService:
        return QuestionService(
            self.matcher,
            self.sessions,
            self.writes,
            self.cache,
            self.onboarding,
            self.agenda,
            self.clock,
            self.conversations,
        )

    @property
    def event_drafts(self) -> EventDraftService:
        return EventDraftService(self.writes, self.agenda)

    @property
    def stats(self) -> StatsService:
        return StatsService(self.sessions)

    @property
    def broadcasts(self) -> BroadcastService:
        return BroadcastService(self.sessions, self.writes, self.matcher)

    @property
    def coordinators(self) -> CoordinatorService:
        return CoordinatorService(self.sessions, self.writes)

    @property
    def overlay(self) -> KnowledgeService:
        return KnowledgeService(self.sessions, self.writes, self.knowledge)

    @property
    def file_imports(self) -> FileImportService:
        return FileImportService(self.sessions, self.agenda, self.overlay, lambda: self.matcher)

    @property
    def question_inbox(self) -> QuestionInboxService:
        names = {slug: p.short_name for slug, p in self.knowledge.kb.partnerships.items()}
        return QuestionInboxService(self.writes, self.overlay, self.planner, names, self.groupings)

    @property
    def ops(self) -> OpsService:
        return OpsService(self.sessions, self.settings.delivery_poll_seconds)

    @property
    def web_access(self) -> WebAccessService:
        settings = self.settings
        times = WebAccessTimes(
            link=timedelta(minutes=settings.web_link_minutes),
            session=timedelta(hours=settings.web_session_hours),
            init_data_max_age=timedelta(seconds=settings.web_init_data_max_age_seconds),
        )
        token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
        return WebAccessService(self.sessions, self.writes, self.coordinators, times, token)

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(
            self.matcher, self.sessions, self.writes, self.cache, self.planner, self.conversations, self.groupings
        )


__all__ = [
    "ROLES",
    "AgendaService",
    "Asked",
    "Audience",
    "Authority",
    "BroadcastService",
    "BroadcastView",
    "Clock",
    "Conversations",
    "CoordinatorService",
    "DeliveryService",
    "EventDraftService",
    "EventView",
    "ImportResult",
    "NewEvent",
    "OnboardingService",
    "OnboardingStep",
    "Option",
    "Outcome",
    "Outgoing",
    "Planner",
    "ProfileService",
    "ProfileView",
    "QuestionService",
    "Result",
    "Sender",
    "Services",
    "StatsService",
    "Step",
    "WebAccessService",
]
