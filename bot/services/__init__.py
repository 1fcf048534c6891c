"""What the bot does, independent of Telegram: handlers parse updates and call these services.

Each service owns its transactions (one per call) and returns plain data; user-facing text is built
by the handlers. Nothing here imports telegram. The profile cache and the write-behind buffer are
shared by all services of one process (see bot/services/writes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.onboarding import OnboardingService, OnboardingStep, Option, Step
from bot.services.profiles import ProfileService, ProfileView
from bot.services.questions import Asked, QuestionService
from bot.services.roles import ROLES
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "writes", WriteBehind(self.sessions))

    @property
    def onboarding(self) -> OnboardingService:
        return OnboardingService(self.matcher, self.writes, self.cache)

    @property
    def questions(self) -> QuestionService:
        return QuestionService(self.matcher, self.sessions, self.writes, self.cache, self.onboarding)

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(self.matcher, self.sessions, self.writes, self.cache)


__all__ = [
    "ROLES",
    "Asked",
    "OnboardingService",
    "OnboardingStep",
    "Option",
    "ProfileService",
    "ProfileView",
    "QuestionService",
    "Sender",
    "Services",
    "Step",
]
