"""``python -m bot coordinators add|list|remove``: the only way, besides another coordinator and
``COORDINATOR_IDS``, to give someone coordinator rights."""

from __future__ import annotations

import argparse
import asyncio

from bot.agenda_cli import with_services
from bot.services import Services
from bot.services.coordinators import command_line
from bot.settings import Settings
from db.models import utcnow
from knowledge import Matcher


def run_coordinators(settings: Settings, matcher: Matcher, args: argparse.Namespace) -> int:
    return asyncio.run(with_services(settings, matcher, lambda services: _run(services, args)))


async def _run(services: Services, args: argparse.Namespace) -> int:
    coordinators = services.coordinators
    if args.coordinators_command == "list":
        listed = await coordinators.listing(args.partnership)
        for c in listed:
            name = c.name if c.name is not None else "(heeft de bot nog niet gesproken)"
            print(f"{c.partnership}\t{c.user_id}\t{name}\tsinds {c.granted_at:%Y-%m-%d}")
        if not listed:
            print("Er zijn nog geen coördinatoren.")
        return 0
    actor = command_line(args.partnership)
    if args.coordinators_command == "add":
        new = await coordinators.grant(actor, args.user_id, utcnow())
        state = "is nu" if new else "was al"
        print(f"Gebruiker {args.user_id} {state} coördinator van {args.partnership}.")
        return 0
    removed = await coordinators.revoke(actor, args.user_id, utcnow())
    print(
        f"Gebruiker {args.user_id} is geen coördinator meer van {args.partnership}."
        if removed
        else f"Gebruiker {args.user_id} was geen coördinator van {args.partnership}."
    )
    return 0
