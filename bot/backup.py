"""``python -m bot backup FILE``: a consistent copy of the embedded SQLite database, also while the bot runs.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the database page by page and
starts again when another connection writes in between, so the copy is always one committed state;
WAL mode (which the bot uses) lets the bot go on writing meanwhile. The copy is written next to FILE
and renamed at the end, so FILE is never half a database. PostgreSQL has its own tool, pg_dump.
Imports neither Telegram nor SQLAlchemy's async engine.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings

EXIT_INVALID = 2
PAGES_PER_STEP = 1024  # the bot may write between steps: a step holds the read lock only briefly


def backup(settings: Settings, target: Path) -> int:
    url = make_url(settings.effective_database_url)
    if not url.drivername.startswith("sqlite"):
        print(
            "De bot gebruikt PostgreSQL (DATABASE_URL): maak een back-up met pg_dump, bijvoorbeeld "
            '`pg_dump --format=custom --file=samen-opleiden.dump "$DATABASE_URL"` (zonder ‘+asyncpg’ in de '
            "URL), en zet hem terug met pg_restore. Zie de README.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    source = Path(url.database or "")
    if not url.database or not source.is_file():
        print(f"Er is nog geen database om te bewaren ({source}).", file=sys.stderr)
        return EXIT_INVALID
    if target.exists():
        print(f"{target} bestaat al: kies een nieuwe bestandsnaam.", file=sys.stderr)
        return EXIT_INVALID
    if target.resolve() == source.resolve():
        print("Kies een ander bestand dan de database zelf.", file=sys.stderr)
        return EXIT_INVALID
    partial = target.with_name(f".{target.name}.deel")
    try:
        with sqlite3.connect(source, timeout=30) as original:
            copy = sqlite3.connect(partial)
            try:
                original.backup(copy, pages=PAGES_PER_STEP)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        print(f"De back-up is niet gelukt: {exc}. Probeer het opnieuw.", file=sys.stderr)
        return EXIT_INVALID
    size = target.stat().st_size / 1_000_000
    print(f"Back-up gemaakt: {target} ({size:.1f} MB). Zet hem terug door de bot te stoppen en het bestand")
    print(f"op de plaats van {source} te zetten.")
    return 0
