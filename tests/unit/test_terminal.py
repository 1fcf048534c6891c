from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.terminal import PROMPT, run_chat
from knowledge import Matcher


def scripted(lines: list[str]) -> tuple[Iterator[str], list[str]]:
    return iter(lines), []


def chat(matcher: Matcher, lines: list[str], partnership: str | None = None) -> str:
    feed = iter(lines)
    out: list[str] = []

    def read(prompt: str) -> str:
        assert prompt == PROMPT
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run_chat(matcher, partnership, matcher.match, read=read, write=out.append)
    return "\n".join(out)


def test_chat_answers_questions_until_stop(matcher: Matcher) -> None:
    output = chat(matcher, ["wat doet een SOL", "/stop", "wat is intervisie"])
    assert "schoolopleider (SOL) is een leerkracht" in output
    assert "Intervisie is" not in output
    assert output.endswith("Tot ziens!")


def test_chat_switches_partnership(matcher: Matcher) -> None:
    output = chat(matcher, ["/partnerschap groningen-kop-van-drenthe", "hoeveel studenten"])
    assert "180 studenten" in output


def test_chat_rejects_unknown_partnership_and_ends_on_eof(matcher: Matcher) -> None:
    output = chat(matcher, ["/partnerschap nergens"])
    assert "Onbekend partnerschap ‘nergens’" in output
    assert output.endswith("Tot ziens!")


def test_make_run_without_a_token_is_a_terminal_chat_on_the_embedded_database(tmp_path: Path) -> None:
    """What a newcomer gets from `make run` on a fresh clone: no token, no database server."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    environment["DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,  # no .env of a developer's
        env=environment,
        input="wat doet een SOL\n/stop\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Welkom bij de Samen Opleiden-assistent" in result.stdout
    assert "schoolopleider (SOL) is een leerkracht" in result.stdout
    assert result.stdout.rstrip().endswith("Tot ziens!")
    assert result.stderr == ""  # no log lines or warnings in the user's chat window
    assert (tmp_path / "data" / "samen-opleiden.sqlite3").exists()


def test_the_terminal_chat_answers_as_telegram_and_ask_do(tmp_path: Path) -> None:
    """Follow-ups, small talk, help and the agenda: the terminal takes the path Telegram takes, and an
    agenda question gets the same answer as from ``ask``."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    environment |= {"DATA_DIR": str(tmp_path / "data"), "DEFAULT_PARTNERSHIP": "poo-marnix"}
    agenda_question = "wanneer is de volgende intervisie?"
    lines = ["hoi", "wat doet een schoolopleider?", "en in Groningen?", agenda_question, "help", "/stop"]
    chat = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=environment,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    asked = subprocess.run(
        [sys.executable, "-m", "bot", "ask", agenda_question, "--partnership", "poo-marnix"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    output = chat.stdout
    assert "Hallo!" in output
    assert "Zie ook: Instituutsopleider (IO)" in output
    assert "In Groningen – kop van Drenthe: Per opleidingscluster" in output
    assert asked.stdout.strip().startswith("Er staat nog geen intervisie gepland in de agenda")
    assert asked.stdout.strip() in output
    assert output.count("Welkom bij de Samen Opleiden-assistent") == 2  # at the start, and for "help"
