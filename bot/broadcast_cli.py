"""``python -m bot broadcast``: the same broadcast as /bericht, from the command line.

It writes the outbox rows (with an audit row for the command line) and the running bot delivers
them; then it waits until every row is final and prints the same report as the coordinator gets in
Telegram. ``--no-wait`` returns at once. When nothing moves for ``--timeout`` (or
``BROADCAST_WAIT_SECONDS``) seconds, it says that the bot does not seem to run; the rows stay queued.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import sys
import time
from collections.abc import Awaitable, Callable

from bot.agenda_cli import with_services
from bot.services import Audience, BroadcastView, Services
from bot.services.broadcasts import NothingToSend, max_body_length, report_lines, roles_in
from bot.services.coordinators import command_line
from bot.settings import Settings
from db.models import utcnow
from knowledge import Matcher

EXIT_INVALID = 2
EXIT_NOT_CONFIRMED = 1
EXIT_NO_BOT = 3
POLL_SECONDS = 1.0


def run_broadcast(
    settings: Settings, matcher: Matcher, args: argparse.Namespace, ask: Callable[[str], str] = input
) -> int:
    return asyncio.run(with_services(settings, matcher, lambda services: _run(services, args, ask)))


async def _run(services: Services, args: argparse.Namespace, ask: Callable[[str], str]) -> int:
    broadcasts = services.broadcasts
    actor = command_line(args.partnership)
    try:
        text = (await asyncio.to_thread(args.text_file.read_text, encoding="utf-8")).strip()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Kan {args.text_file} niet lezen: {getattr(exc, 'strerror', None) or exc}.", file=sys.stderr)
        return EXIT_INVALID
    limit = max_body_length(broadcasts.partnership_name(args.partnership))
    if not text or len(text) > limit:
        print(f"Het bericht moet 1 tot {limit} tekens hebben (nu {len(text)}).", file=sys.stderr)
        return EXIT_INVALID
    try:
        audience = Audience(roles_in(args.role), args.school, args.category)
        # Plain text from the file: escaped, so that it reaches Telegram exactly as written.
        draft = await broadcasts.create(
            command_line(args.partnership), html.escape(text, quote=False), audience, utcnow()
        )
    except NothingToSend as problem:
        print(f"Kan niet versturen: {problem}.", file=sys.stderr)
        return EXIT_INVALID
    print(f"Partnerschap: {broadcasts.partnership_name(args.partnership)}")
    print(f"Aan: {draft.audience_text}")
    print(f"Ontvangers: {draft.recipients} (actieve chats in dit publiek)")
    if not args.yes and ask("Versturen? [j/N] ").strip().lower() not in ("j", "ja", "y", "yes"):
        await broadcasts.discard(actor, draft.id)
        print("Niets verstuurd.")
        return EXIT_NOT_CONFIRMED
    try:
        sent = await broadcasts.confirm(actor, draft.id, utcnow())
    except NothingToSend as problem:
        await broadcasts.discard(actor, draft.id)
        print(f"Niets verstuurd: {problem}.", file=sys.stderr)
        return EXIT_INVALID
    print(f"In de wachtrij: {sent.recipients} berichten (broadcast:{sent.id}); de draaiende bot verstuurt ze.")
    if args.no_wait:
        return 0
    timeout = args.timeout if args.timeout is not None else services.settings.broadcast_wait_seconds
    done = await wait_for_report(lambda: broadcasts.progress(sent.id), timeout)
    if done is None:
        print(
            f"De bot lijkt niet te draaien: in {timeout:g} seconden is er niets verstuurd. De berichten blijven "
            "in de wachtrij en gaan weg zodra de bot draait.",
            file=sys.stderr,
        )
        return EXIT_NO_BOT
    print("\n".join(report_lines(done)))
    return 0


async def wait_for_report(
    progress: Callable[[], Awaitable[BroadcastView | None]],
    patience: float,
    poll_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> BroadcastView | None:
    """The broadcast once every row is final; None when nothing moved for ``patience`` seconds."""
    last_change, seen = clock(), -1
    while True:
        view = await progress()
        if view is None:
            return None
        if view.report.waiting == 0:
            return view
        handled = view.report.sent + view.report.blocked + view.report.failed
        if handled != seen:
            last_change, seen = clock(), handled
        elif clock() - last_change >= patience:
            return None
        await sleep(POLL_SECONDS if poll_seconds is None else poll_seconds)
