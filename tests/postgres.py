"""A throwaway PostgreSQL server for the database tests.

Uses TEST_DATABASE_URL when set (an existing server where we may create databases); otherwise starts
a private cluster with Debian's binaries in a temporary folder. With REQUIRE_POSTGRES=1 (CI) a missing
server is an error, not a skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0", "false")


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield an admin URL (database 'postgres'), or None when PostgreSQL is not available here."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    binaries = _binaries()
    if binaries is None:
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets = workdir / "data", workdir / "sock"
    sockets.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        account = pwd.getpwnam("postgres")
        for path in (workdir, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    log = workdir / "server.log"
    subprocess.run(
        [*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)


def skip_or_fail(reason: str) -> None:
    if postgres_required():
        pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(reason)
