"""What the bot does, independent of Telegram: handlers parse updates and call these services.

Each service takes the session factory, owns its transactions (one per call) and returns plain data;
user-facing text is built by the handlers. Nothing here imports telegram.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.onboarding import OnboardingService, OnboardingStep, Option, Step
from bot.services.profiles import ProfileService, ProfileView
from bot.services.questions import Asked, QuestionService
from bot.services.roles import ROLES
from bot.services.senders import Sender
from bot.settings import Settings
from db.engine import SessionFactory
from knowledge import Matcher


@dataclass(frozen=True)
class Services:
    settings: Settings
    matcher: Matcher
    sessions: SessionFactory

    @property
    def onboarding(self) -> OnboardingService:
        return OnboardingService(self.matcher, self.sessions)

    @property
    def questions(self) -> QuestionService:
        return QuestionService(self.matcher, self.sessions, self.onboarding)

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(self.matcher, self.sessions)


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
