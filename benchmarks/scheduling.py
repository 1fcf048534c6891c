"""Scheduling at scale: one dispatcher claim with 100 000 pending rows, importing 1 000 events, and
importing a class calendar of 10 000 occurrences (200 weekly series of 50) with 50 subscribers.

Run: ``python -m benchmarks.scheduling``. The outbox holds 100 000 pending rows of which 1 000 are due
(the rest lie in the coming weeks); each claim takes a batch of 5 and marks it sent, as the
dispatcher does. Measured on the embedded SQLite and, where Debian's PostgreSQL is installed, on
PostgreSQL. Target: p99 of one claim <= 20 ms. Then the import of an ICS file with 1 000 events (one
transaction), without subscribers (parsing and writing) and with 50 (planning two reminders each).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import flags, summary, table, write_results
from bot.services import Outcome, Result, Services
from bot.services.ics import parse_calendar
from bot.settings import Settings
from db.agenda_repositories import MESSAGE, PENDING, DeliveryRepository
from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from db.models import User, utcnow
from db.repositories import ChatRepository
from knowledge import Matcher, load_knowledge_base
from tests.postgres import postgres_server

CHATS = 1000
FIRST_CHAT = 800_000


async def claims(database_url: str, pending: int, due: int, samples: int) -> dict[str, float]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        now = utcnow()
        async with sessions.begin() as session:
            rows = [{"id": FIRST_CHAT + n, "type": "private", "title": None, "now": now} for n in range(CHATS)]
            await ChatRepository(session).upsert_many(rows)
            await DeliveryRepository(session).add(
                [
                    {
                        "key": f"bench:{n // CHATS}",
                        "kind": MESSAGE,
                        "chat_id": FIRST_CHAT + n % CHATS,
                        "text": "Fictief",
                        "due_at": now - timedelta(seconds=1) if n < due else now + timedelta(minutes=1 + n % 40_000),
                        "status": PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in range(pending)
                ]
            )
        services = Services(Settings(), Matcher(load_knowledge_base()), sessions, clock=utcnow)
        measured = []
        for _ in range(samples):
            start = time.perf_counter()
            batch = await services.deliveries.claim(now, 5)
            measured.append(time.perf_counter() - start)
            await services.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in batch], now)
        return summary(measured)
    finally:
        await engine.dispose()


def calendar(events: int) -> bytes:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n"]
    start = utcnow().replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=2)
    for n in range(events):
        moment = start + timedelta(hours=n * 7)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        end = (moment + timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
        parts.append(
            f"BEGIN:VEVENT\r\nUID:bench-{n}@fictief\r\nSUMMARY:Fictieve intervisie {n}\r\n"
            f"DTSTART:{stamp}\r\nDTEND:{end}\r\nLOCATION:KC Fictief\r\nEND:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


async def with_subscribers(sessions: SessionFactory, subscribers: int) -> Services:
    """Fictional people of poo-marnix with a private chat each, and the services on that database."""
    now = utcnow()
    async with sessions.begin() as session:
        rows = [{"id": FIRST_CHAT + n, "type": "private", "title": None, "now": now} for n in range(subscribers)]
        await ChatRepository(session).upsert_many(rows)
        session.add_all(
            User(id=FIRST_CHAT + n, chat_id=FIRST_CHAT + n, display_name="Fictief", partnership="poo-marnix")
            for n in range(subscribers)
        )
    return Services(Settings(), Matcher(load_knowledge_base()), sessions, clock=utcnow)


async def import_time(database_url: str, events: int, subscribers: int) -> dict[str, float]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        services = await with_subscribers(sessions, subscribers)
        content = calendar(events)
        start = time.perf_counter()
        await services.agenda.import_calendar(content, "poo-marnix", services.clock())
        seconds = time.perf_counter() - start
        async with sessions() as session:
            planned = sum((await DeliveryRepository(session).counts()).values())
        return {"seconds": seconds, "events": events, "subscribers": subscribers, "reminders_planned": planned}
    finally:
        await engine.dispose()


def class_calendar(series: int, per_series: int) -> bytes:
    """A class calendar as schools export it: ``series`` weekly series of ``per_series`` lessons each,
    with a VALARM on every other series and an EXDATE on every third."""
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n"]
    first = utcnow().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for n in range(series):
        moment = first + timedelta(hours=n % 9, days=n // 9)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        end = (moment + timedelta(minutes=50)).strftime("%Y%m%dT%H%M%SZ")
        alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n"
        skipped = (moment + timedelta(weeks=2)).strftime("%Y%m%dT%H%M%SZ")
        parts.append(
            f"BEGIN:VEVENT\r\nUID:les-{n}@fictief\r\nSUMMARY:Fictieve les {n}\r\nLOCATION:Lokaal {n % 30}\r\n"
            f"DTSTART:{stamp}\r\nDTEND:{end}\r\nRRULE:FREQ=DAILY;INTERVAL=7;COUNT={per_series}\r\n"
            + (f"EXDATE:{skipped}\r\n" if n % 3 == 0 else "")
            + (alarm if n % 2 else "")
            + "END:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


async def bulk_import(database_url: str, series: int, per_series: int, subscribers: int) -> dict[str, Any]:
    """Seconds per occurrence of importing a class calendar (first time and again), against a same-run
    baseline: parsing and expanding the file alone (the libraries' share, which no insert can beat)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        services = await with_subscribers(sessions, subscribers)
        now = services.clock()
        content = class_calendar(series, per_series)
        horizon = timedelta(days=services.settings.agenda_horizon_days)
        start = time.perf_counter()
        occurrences = len(await asyncio.to_thread(parse_calendar, content, now - horizon, now + horizon))
        baseline = time.perf_counter() - start
        figures: dict[str, Any] = {"occurrences": occurrences, "subscribers": subscribers, "parse_s": baseline}
        for label in ("first", "again"):
            start = time.perf_counter()
            await services.agenda.import_calendar(content, "poo-marnix", now)
            seconds = time.perf_counter() - start
            figures[f"{label}_s"] = seconds
            figures[f"{label}_ms_per_occurrence"] = 1000 * seconds / occurrences
            figures[f"{label}_x_parse"] = seconds / baseline
        async with sessions() as session:
            figures["reminders_planned"] = sum((await DeliveryRepository(session).counts()).values())
        return figures
    finally:
        await engine.dispose()


async def run(quick: bool = False, imports_only: bool = False) -> dict[str, Any]:
    """``imports_only`` (``--imports``): only the class-calendar import, without the claims."""
    pending = 10_000 if quick else 100_000
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        if not imports_only:
            results["claim_sqlite"] = await claims(
                f"sqlite+aiosqlite:///{Path(folder) / 'claim.sqlite3'}", pending, 1000, 200
            )
            with postgres_server() as admin_url:
                if admin_url is not None:
                    results["claim_postgresql"] = await claims(admin_url, pending, 1000, 200)
            for subscribers in (0, 50):
                results[f"import_sqlite_{subscribers}"] = await import_time(
                    f"sqlite+aiosqlite:///{Path(folder) / f'import{subscribers}.sqlite3'}", 1000, subscribers
                )
        per_series = 10 if quick else 50
        for subscribers in (0, 50):
            results[f"bulk_sqlite_{subscribers}"] = await bulk_import(
                f"sqlite+aiosqlite:///{Path(folder) / f'bulk{subscribers}.sqlite3'}", 200, per_series, subscribers
            )
            with postgres_server() as admin_url:
                if admin_url is not None:
                    results[f"bulk_postgresql_{subscribers}"] = await bulk_import(
                        admin_url, 200, per_series, subscribers
                    )
    rows = [[key, pending, r["median_ms"], r["p99_ms"]] for key, r in results.items() if key.startswith("claim")]
    print(table(["claim (batch van 5)", "wachtend", "mediaan ms", "p99 ms"], rows))
    for imported in (results[key] for key in ("import_sqlite_0", "import_sqlite_50") if key in results):
        print(
            f"import van {imported['events']} afspraken, {imported['subscribers']} abonnees "
            f"({imported['reminders_planned']} herinneringen gepland), SQLite: {imported['seconds']:.2f} s"
        )
    bulk = [
        [
            f"{key.removeprefix('bulk_')} {label}",
            r["occurrences"],
            r["reminders_planned"],
            f"{r['parse_s']:.2f}",
            f"{r[f'{label}_s']:.2f}",
            f"{r[f'{label}_ms_per_occurrence']:.3f}",
            f"{r[f'{label}_x_parse']:.2f}",
        ]
        for key, r in results.items()
        if key.startswith("bulk_")
        for label in ("first", "again")
    ]
    headers = ["klasagenda, abonnees", "keren", "herinneringen", "alleen lezen s", "import s", "ms per keer", "x lezen"]
    print(table(headers, bulk))
    targets = {
        f"p99 claim <= 20 ms ({key})": r["p99_ms"] <= 20 for key, r in results.items() if key.startswith("claim")
    }
    targets.update(
        {
            f"import <= 0.2 ms per keer ({key}, {label})": r[f"{label}_ms_per_occurrence"] <= 0.2
            for key, r in results.items()
            if key.startswith("bulk_")
            for label in ("first", "again")
        }
    )
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results["targets"] = targets
    print(f"resultaten: {write_results('scheduling', results)}")
    return results


if __name__ == "__main__":
    given = flags("--quick", "--imports")
    asyncio.run(run(quick="--quick" in given, imports_only="--imports" in given))
