"""The one wiring entry point: settings, knowledge base and the chosen front end."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings
from bot.terminal import run_chat
from knowledge import Matcher, load_knowledge_base


def run(settings: Settings, command: str, partnership: str | None = None) -> int:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    matcher = Matcher(load_knowledge_base(settings.knowledge_dir), threshold=settings.match_threshold)
    scope = partnership or settings.default_partnership
    if scope is not None and scope not in matcher.kb.partnerships:
        print(f"Onbekend partnerschap ‘{scope}’.", file=sys.stderr)
        return 2
    if command == "run" and settings.telegram_bot_token:
        print("De Telegram-modus is nog niet beschikbaar in deze versie.", file=sys.stderr)
        return 2
    run_chat(matcher, scope, matcher.match, history_file=settings.data_dir / "chat_history")
    return 0
