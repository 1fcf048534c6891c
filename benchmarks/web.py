"""The web view's pages at the size of a large partnership: p50 / p95 per page against /healthz.

Run: ``python -m benchmarks.web`` (``--quick``: fewer requests). One partnership (poo-marnix) holds
10 000 fictional users (each with a private chat), 1 000 events (half past, half coming; 20 RSVPs on
each of the first 200 coming ones), 10 000 reminders in the outbox, 1 000 open inbox questions (fell
back, not answered; 300 different texts) and 2 000 answered questions spread over the last year. The
web app (``bot.web.server.create_app``, served by aiohttp on a free local port in this process) is
asked for each page in turn by aiohttp's client with a coordinator's session made by
``WebAccessService``, so every request passes the real middleware (session and coordinator lookup).

Target (issue 19): each page answers in <= 200 ms p95. The baseline is /healthz in the same run (a
database round trip through the same server and client). A page that answers 404 is not there yet
(another helper's page not merged): reported as "ontbreekt", not measured. Add pages to ``PAGES``.
Measured on the embedded SQLite and, where Debian's PostgreSQL is installed, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from benchmarks.common import flags, questions, table, write_results
from bot.services import Services
from bot.services.broadcasts import Audience
from bot.services.schedule import DEFAULT_AUDIENCE
from bot.settings import Settings
from bot.stats_chart import chart_png
from bot.web.server import WebServer, create_app
from db.agenda_repositories import PENDING, REMINDER, SENT
from db.coordinator_repositories import CoordinatorRepository
from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from db.models import Delivery, Event, Question, Rsvp, User, utcnow
from db.repositories import ChatRepository
from knowledge import Matcher, load_knowledge_base
from tests.postgres import postgres_server

PARTNERSHIP = "poo-marnix"
USERS, EVENTS, OPEN_QUESTIONS, ANSWERED_QUESTIONS, REMINDERS_PER_EVENT = 10_000, 1_000, 1_000, 2_000, 10
OPEN_TEXTS = 300
CATEGORIES = tuple(DEFAULT_AUDIENCE)
FIRST_USER = 900_000
COORDINATOR = FIRST_USER  # the first fictional user coordinates the partnership
ROLE_MIX = ("student", "student", "student", "mentor", "mentor", "schoolopleider", "directeur", None)
BASELINE = "/healthz"
CHART = "/statistieken/grafiek.png"
CONFIRM = "/berichten/{draft}/bevestigen"  # a draft to all mentors: the recipients counted on every view
# (label, path): the pages of the web view; the chart is the image /statistieken shows, measured as
# the same figures again (drawn once, then from memory) and as after a new question (drawn anew).
PAGES = (
    ("healthz (basislijn)", BASELINE),
    ("overzicht", "/"),
    ("statistieken", "/statistieken"),
    ("statistieken 365 dagen", "/statistieken?dagen=365"),
    ("grafiek, zelfde cijfers", CHART),
    ("grafiek, na een nieuwe vraag", CHART + "?nieuw"),
    ("agenda (maand)", "/agenda"),
    ("agenda (lijst)", "/agenda/lijst"),
    ("importeren", "/importeren"),
    ("berichten", "/berichten"),
    ("vragen", "/vragen"),
    ("vragen, na een nieuwe vraag", "/vragen?nieuw"),
    ("bericht bevestigen (ontvangers geteld)", CONFIRM),
    ("kennis", "/kennis"),
)
TARGET_MS = 200.0
CHUNK = 2_000  # rows per INSERT (SQLite allows 32 766 parameters per statement)


async def _insert(sessions: SessionFactory, model: Any, rows: list[dict[str, Any]]) -> None:
    async with sessions.begin() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(model), rows[start : start + CHUNK])


async def new_question(sessions: SessionFactory, now: datetime) -> None:
    """One more open question for the inbox to group. Dated before the statistics' longest period, so
    the figures and the chart (measured from memory as "zelfde cijfers") stay the same."""
    async with sessions.begin() as session:
        last = await session.scalar(select(func.max(Question.id)))  # ids were given in the bulk insert
        session.add(
            Question(
                id=(last or 0) + 1,
                user_id=FIRST_USER + 1,
                chat_id=FIRST_USER + 1,
                question="Waar vind ik het fictieve stagerooster van volgende week?",
                matched=None,
                confidence=0.2,
                fallback=True,
                partnership=PARTNERSHIP,
                created_at=now - timedelta(days=400),
            )
        )


async def fill(sessions: SessionFactory, matcher: Matcher, now: datetime) -> None:
    """The fictional partnership, in bulk through SQLAlchemy core (executemany inserts)."""
    rng = random.Random(19)
    schools = [e.id for e in matcher.kb.entries if e.school is not None and e.partnership == PARTNERSHIP]
    user_ids = [FIRST_USER + n for n in range(USERS)]
    async with sessions.begin() as session:
        chats = [{"id": i, "type": "private", "title": None, "now": now} for i in user_ids]
        for start in range(0, len(chats), CHUNK):
            await ChatRepository(session).upsert_many(chats[start : start + CHUNK])
    await _insert(
        sessions,
        User,
        [
            {
                "id": i,
                "chat_id": i,
                "display_name": f"Fictief {i}",
                "partnership": PARTNERSHIP,
                "role": "coordinator" if i == COORDINATOR else rng.choice(ROLE_MIX),
                "school_id": rng.choice(schools) if schools and n % 4 else None,
                "school_name": f"Fictieve school {n % 40}" if n % 4 == 0 and n % 3 else None,
            }
            for n, i in enumerate(user_ids)
        ],
    )
    start_day = now.replace(hour=15, minute=0, second=0, microsecond=0) - timedelta(days=EVENTS // 2)
    await _insert(
        sessions,
        Event,
        [
            {
                "id": n + 1,
                "partnership": PARTNERSHIP,
                "uid": f"bench-{n}@fictief",
                "occurrence": "",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "title": f"Fictieve intervisie {n}",
                "starts_at": start_day + timedelta(days=n),
                "ends_at": start_day + timedelta(days=n, hours=2),
                "location": "KC Fictief",
                "description": "",
                "audience": "",
                "schools": "",
                "cancelled": n % 50 == 0,
            }
            for n in range(EVENTS)
        ],
    )
    coming = range(EVENTS // 2 + 1, EVENTS // 2 + 201)
    await _insert(
        sessions,
        Rsvp,
        [
            {"event_id": event, "user_id": user, "coming": rng.random() < 0.8, "answered_at": now}
            for event in coming
            for user in rng.sample(user_ids, 20)
        ],
    )
    await _insert(
        sessions,
        Delivery,
        [
            {
                "key": f"reminder:{event}:bench",
                "kind": REMINDER,
                "chat_id": user,
                "user_id": user,
                "event_id": event,
                "due_at": start_day + timedelta(days=event - 2),
                "status": SENT if event <= EVENTS // 2 else PENDING,
                "attempts": 1 if event <= EVENTS // 2 else 0,
                "created_at": now,
            }
            for event in range(1, EVENTS + 1)
            for user in rng.sample(user_ids, REMINDERS_PER_EVENT)
        ],
    )
    texts = questions() or ["Fictieve vraag"]
    open_texts = [f"{rng.choice(texts)} (fictief {n})" for n in range(OPEN_TEXTS)]
    asked = [
        {
            "id": n + 1,
            "user_id": rng.choice(user_ids),
            "chat_id": None,
            "question": rng.choice(open_texts) if fell_back else rng.choice(texts),
            "matched": None if fell_back else "rol:mentor",
            "confidence": 0.2 if fell_back else 0.9,
            "fallback": fell_back,
            "partnership": PARTNERSHIP,
            "created_at": now - timedelta(minutes=rng.randint(1, (30 if fell_back else 365) * 24 * 60)),
        }
        for n, fell_back in enumerate([True] * OPEN_QUESTIONS + [False] * ANSWERED_QUESTIONS)
    ]
    for row in asked:
        row["chat_id"] = row["user_id"]
    await _insert(sessions, Question, asked)
    async with sessions.begin() as session:
        await CoordinatorRepository(session).grant(COORDINATOR, PARTNERSHIP, None, now)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def measure(database_url: str, rounds: int) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        matcher = Matcher(load_knowledge_base())
        now = utcnow()
        started = time.perf_counter()
        await fill(sessions, matcher, now)
        fill_seconds = time.perf_counter() - started
        services = Services(Settings(coordinator_ids=f"{COORDINATOR}:{PARTNERSHIP}"), matcher, sessions, clock=utcnow)
        link = await services.web_access.new_link(COORDINATOR, now)
        assert link is not None, "the fictional coordinator got no link"
        session_token = await services.web_access.open_link(link, now)
        assert session_token is not None
        coordinator = await services.coordinators.authority(COORDINATOR)
        assert coordinator is not None
        draft = await services.broadcasts.compose(coordinator, "Fictieve oproep", Audience(("mentor",)), None, now)
        server = WebServer(create_app(services, utcnow), "127.0.0.1", 0)
        address = (await server.start()).rstrip("/")
        timings: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        missing: list[str] = []
        try:
            async with aiohttp.ClientSession(headers={"Cookie": f"sessie={session_token}"}) as client:
                present = []
                for label, page in PAGES:  # warm-up, and which pages exist
                    path = page.format(draft=draft.id)
                    async with client.get(address + path) as response:
                        await response.read()
                        if response.status == 404:
                            missing.append(label)
                            continue
                        assert response.status == 200, f"{path}: {response.status}"
                    present.append((label, path))
                    timings[label], cpu[label] = [], []
                for _ in range(rounds):  # in turn, so a busy moment of the machine hits every page alike
                    for label, path in present:
                        if path == CHART + "?nieuw":
                            chart_png.cache_clear()  # as when a question came in since: drawn anew
                        elif path.endswith("?nieuw"):
                            await new_question(sessions, now)  # the open questions are grouped anew
                        start, start_cpu = time.perf_counter(), time.process_time()
                        async with client.get(address + path) as response:
                            await response.read()
                        timings[label].append(time.perf_counter() - start)
                        cpu[label].append(time.process_time() - start_cpu)
                        assert response.status == 200, f"{path}: {response.status}"
        finally:
            await server.stop()
        base_p50 = percentile(timings[PAGES[0][0]], 0.5)
        base_p95 = percentile(timings[PAGES[0][0]], 0.95)
        pages = {
            label: {
                "p50_ms": 1000 * percentile(samples, 0.5),
                "p95_ms": 1000 * percentile(samples, 0.95),
                "p50_x_baseline": percentile(samples, 0.5) / base_p50,
                "p95_x_baseline": percentile(samples, 0.95) / base_p95,
                "cpu_ms": 1000 * statistics.mean(cpu[label]),
                "requests": len(samples),
            }
            for label, samples in timings.items()
        }
        return {"fill_s": fill_seconds, "pages": pages, "missing": missing}
    finally:
        await engine.dispose()


async def run(quick: bool = False) -> dict[str, Any]:
    rounds = 30 if quick else 200
    results: dict[str, Any] = {
        "users": USERS,
        "events": EVENTS,
        "open_questions": OPEN_QUESTIONS,
        "rounds": rounds,
    }
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = await measure(f"sqlite+aiosqlite:///{Path(folder) / 'web.sqlite3'}", rounds)
        with postgres_server() as admin_url:
            if admin_url is not None:
                results["postgresql"] = await measure(admin_url, rounds)
    rows = []
    for database in ("sqlite", "postgresql"):
        if database not in results:
            continue
        found = results[database]
        for label, figures in found["pages"].items():
            rows.append(
                [
                    database,
                    label,
                    figures["p50_ms"],
                    figures["p95_ms"],
                    figures["p50_x_baseline"],
                    figures["p95_x_baseline"],
                    figures["cpu_ms"],
                ]
            )
        rows.extend([database, label, "ontbreekt", "", "", "", ""] for label in found["missing"])
    print(
        f"{USERS} gebruikers, {EVENTS} afspraken, {OPEN_QUESTIONS} open vragen; {rounds} keer elke pagina "
        "(ms: de cijfers van deze machine)"
    )
    headers = ["database", "pagina", "p50 ms", "p95 ms", "p50 x basislijn", "p95 x basislijn", "CPU ms"]
    print(table(headers, rows))
    print("CPU ms: gemiddelde processortijd van dit proces per verzoek (server en client; PostgreSQL niet)")
    targets = {
        f"p95 <= {TARGET_MS:.0f} ms ({database}, {label})": figures["p95_ms"] <= TARGET_MS
        for database in ("sqlite", "postgresql")
        if database in results
        for label, figures in results[database]["pages"].items()
        if label != PAGES[0][0]
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results["targets"] = targets
    print(f"resultaten: {write_results('web', results)}")
    return results


if __name__ == "__main__":
    asyncio.run(run(quick="--quick" in flags("--quick")))
