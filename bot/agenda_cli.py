"""``python -m bot events ...`` and the agenda's answers in ``python -m bot ask``: the database is
opened (and migrated) only here, so the other commands stay light."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.services import EventView, NewEvent, Services
from bot.services.agenda_answers import next_event_answer
from bot.services.coordinators import command_line
from bot.services.file_imports import school_check
from bot.services.ics import CONTROL, MAX_UID, IcsError, plain
from bot.services.roles import ROLES
from bot.services.schedule import AMSTERDAM, dutch_when, iso_local
from bot.settings import Settings
from db.engine import create_engine, session_factory
from db.migrate import upgrade
from db.models import utcnow
from knowledge import Answer, Matcher

EXIT_INVALID = 2
T = TypeVar("T")


def run_events(settings: Settings, matcher: Matcher, args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Services, argparse.Namespace], Awaitable[int]]] = {
        "import": _import,
        "list": _list,
        "add": _add,
        "cancel": _cancel,
        "export": _export,
    }
    return asyncio.run(with_services(settings, matcher, lambda services: commands[args.events_command](services, args)))


def agenda_answer(settings: Settings, matcher: Matcher, partnership: str, category: str) -> Answer:
    """``ask`` has no profile: the next event of the category in the whole partnership."""

    async def answer(services: Services) -> Answer:
        event = await services.agenda.next_of(partnership, category, utcnow())
        return next_event_answer(category, event, matcher.kb.partnerships[partnership])

    return asyncio.run(with_services(settings, matcher, answer))


async def with_services(settings: Settings, matcher: Matcher, work: Callable[[Services], Awaitable[T]]) -> T:
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        services = Services(settings, matcher, session_factory(engine), clock=utcnow)
        await services.overlay.reload()  # schools imported into the overlay count too
        return await work(services)
    finally:
        await engine.dispose()


class UnknownSchool(ValueError):
    """Bad input on the command line (a school, a role, a too long UID); the message is Dutch."""


def _roles(text: str | None) -> tuple[str, ...] | None:
    """``--audience``: known roles only (an unknown one would reach nobody)."""
    if not text:
        return None
    roles = tuple(r.strip().lower() for r in text.split(",") if r.strip())
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        shown = ", ".join(f"‘{plain(role)[:40]}’" for role in unknown)
        raise UnknownSchool(f"--audience: onbekende rol {shown}; kies uit {', '.join(ROLES)}.")
    return roles


def _known_school(services: Services, partnership: str, school_id: str) -> bool:
    return school_check(services.matcher, partnership)(school_id)


def _schools(services: Services, args: argparse.Namespace) -> tuple[str, ...]:
    """School ids (e.g. school:kc-de-wegwijzer) of the partnership; an unknown one is refused."""
    wanted = tuple(s.strip() for s in (args.schools or "").split(",") if s.strip())
    for school_id in wanted:
        if not _known_school(services, args.partnership, school_id):
            raise UnknownSchool(f"Onbekende school ‘{school_id}’ in dit partnerschap (gebruik bijv. school:kc-...).")
    return wanted


async def _import(services: Services, args: argparse.Namespace) -> int:
    try:
        content = await asyncio.to_thread(Path(args.file).read_bytes)
        roles = _roles(args.audience)
        result = await services.agenda.import_calendar(
            content,
            args.partnership,
            utcnow(),
            args.category,
            roles,
            _schools(services, args),
            school_check(services.matcher, args.partnership),
            command_line(args.partnership),
        )
    except OSError as exc:
        print(f"Kan {args.file} niet lezen: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_INVALID
    except IcsError as exc:
        print(f"{plain(args.file)}: {exc} Er is niets geïmporteerd.", file=sys.stderr)
        return EXIT_INVALID
    except UnknownSchool as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    print(f"Geïmporteerd: {result.added} nieuw, {result.updated} bijgewerkt, {result.cancelled} vervallen.")
    return 0


def event_json(view: EventView, now: datetime) -> dict[str, Any]:
    """One occurrence in ``events list --json`` (times in Europe/Amsterdam with their offset).

    ``reminders`` are the moments still to come, which will be sent; ``reminders_past`` the moments
    already past: sent then, or skipped because they had passed when the event was planned (a
    reminder is never sent late after an import). A cancelled event sends none.
    """
    upcoming = [m for m in view.reminders if m > now and not view.cancelled]
    return {
        "uid": plain(view.uid),
        "category": view.category,
        "title": plain(view.title),
        "start": iso_local(view.start),
        "end": iso_local(view.end),
        "location": plain(view.location),
        "audience": list(view.audience),
        "cancelled": view.cancelled,
        "reminders": [iso_local(moment) for moment in upcoming],
        "reminders_past": [iso_local(moment) for moment in view.reminders if moment <= now],
        "rsvp": {"yes": view.rsvp_yes, "no": view.rsvp_no},
    }


async def _list(services: Services, args: argparse.Namespace) -> int:
    now = utcnow()
    views = await services.agenda.listing(args.partnership, now, everything=args.all)
    if args.json:
        print(json.dumps([event_json(v, now) for v in views], ensure_ascii=False))
        return 0
    if not views:
        print("Er staan geen bijeenkomsten in de agenda.")
    for view in views:
        state = " (gaat niet door)" if view.cancelled else ""
        when = dutch_when(view.start, view.end, plain(view.location))
        waiting = sum(1 for m in view.reminders if m > now) if not view.cancelled else 0
        reminders = f"; herinneringen nog te versturen: {waiting}" if waiting else ""
        print(
            f"{when} — {plain(view.title)} [{view.category}]{state}; komt: {view.rsvp_yes}, "
            f"kan niet: {view.rsvp_no}{reminders}"
        )
    return 0


def _check_text(args: argparse.Namespace) -> None:
    """What ``events add`` stores in a column of 255 characters, without control characters."""
    for option, value in (("--title", args.title), ("--location", args.location), ("--uid", args.uid)):
        if value is not None and (len(value) > MAX_UID or CONTROL.search(value)):
            raise UnknownSchool(f"{option} is te lang (hooguit {MAX_UID} tekens) of bevat stuurtekens.")


def _local_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


async def _add(services: Services, args: argparse.Namespace) -> int:
    try:
        start = _local_time(args.start)
        end = _local_time(args.end) if args.end else start + timedelta(minutes=args.duration)
    except ValueError:
        print("Gebruik voor --start en --end de vorm 2026-12-01T15:00 (tijd in Nederland).", file=sys.stderr)
        return EXIT_INVALID
    if end < start:
        print("Het einde ligt vóór het begin.", file=sys.stderr)
        return EXIT_INVALID
    try:
        schools = _schools(services, args)
        roles = _roles(args.audience)
        _check_text(args)
    except UnknownSchool as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    new = NewEvent(
        partnership=args.partnership,
        title=args.title,
        start=start,
        end=end,
        category=args.category or "overig",
        location=args.location or "",
        description=args.description or "",
        audience=roles,
        schools=schools,
        uid=args.uid,
    )
    print(await services.agenda.add(new, utcnow(), command_line(args.partnership)))
    return 0


async def _cancel(services: Services, args: argparse.Namespace) -> int:
    cancelled = await services.agenda.cancel(args.partnership, args.uid, utcnow(), command_line(args.partnership))
    if not cancelled:
        print(f"Geen komende bijeenkomst met UID {args.uid} gevonden.", file=sys.stderr)
        return 1
    print(f"Afgelast: {cancelled} bijeenkomst(en); wie al een herinnering had, krijgt bericht.")
    return 0


async def _export(services: Services, args: argparse.Namespace) -> int:
    name = services.matcher.kb.partnerships[args.partnership].name
    sys.stdout.buffer.write(await services.agenda.export(args.partnership, utcnow(), name))
    sys.stdout.flush()
    return 0
