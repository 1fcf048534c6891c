"""What the bot does, independent of Telegram: handlers parse updates and call these services.

Each service owns its transactions (one per call) and returns plain data; user-facing text is built
by the handlers. Nothing here imports telegram. The profile cache and the write-behind buffer are
shared by all services of one process (see bot/services/writes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.agenda import AgendaService, EventView, ImportResult, NewEvent
from bot.services.broadcasts import Audience, BroadcastService, BroadcastView
from bot.services.coordinators import Authority, CoordinatorService
from bot.services.deliveries import DeliveryService, Outcome, Outgoing, Result
from bot.services.onboarding import OnboardingService, OnboardingStep, Option, Step
from bot.services.planning import Planner
from bot.services.profiles import ProfileService, ProfileView
from bot.services.questions import Asked, QuestionService
from bot.services.roles import ROLES
from bot.services.schedule import parse_quiet_hours
from bot.services.senders import Sender
from bot.services.writes import ProfileCache, WriteBehind
from bot.settings import Settings
from db.engine import SessionFactory
from knowledge import Matcher


@dataclass(frozen=True)
class Services:
    settings: Settings
    matcher: Matcher
    sessions: SessionFactory
    cache: ProfileCache = field(default_factory=ProfileCache)
    writes: WriteBehind = field(init=False)
    planner: Planner = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "writes", WriteBehind(self.sessions))
        object.__setattr__(self, "planner", Planner(parse_quiet_hours(self.settings.quiet_hours)))

    @property
    def onboarding(self) -> OnboardingService:
        return OnboardingService(self.matcher, self.writes, self.cache, self.planner)

    @property
    def agenda(self) -> AgendaService:
        return AgendaService(self.sessions, self.writes, self.planner, self.settings.agenda_horizon_days)

    @property
    def deliveries(self) -> DeliveryService:
        view = self.agenda.view
        return DeliveryService(self.writes, self.cache, view, self.settings.delivery_claim_timeout_seconds)

    @property
    def questions(self) -> QuestionService:
        return QuestionService(self.matcher, self.sessions, self.writes, self.cache, self.onboarding, self.agenda)

    @property
    def broadcasts(self) -> BroadcastService:
        return BroadcastService(self.sessions, self.writes, self.matcher)

    @property
    def coordinators(self) -> CoordinatorService:
        return CoordinatorService(self.sessions, self.writes)

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(self.matcher, self.sessions, self.writes, self.cache)


__all__ = [
    "ROLES",
    "AgendaService",
    "Asked",
    "Audience",
    "Authority",
    "BroadcastService",
    "BroadcastView",
    "CoordinatorService",
    "DeliveryService",
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
    "Step",
]
