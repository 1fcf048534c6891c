"""The terminal chat: the same answers as in Telegram, for trying the bot without a token."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from knowledge import Answer, Matcher
from knowledge.models import HELP_ENTRY

WELCOME = (
    "Welkom bij de Samen Opleiden-assistent. Stel je vraag over rollen, scholen, begrippen of het partnerschap.\n"
    "Commando's: /partnerschap <slug> kiest je partnerschap, /help voor uitleg, /stop om te stoppen."
)
PROMPT = "Jij> "


def _enable_history(history_file: Path) -> Callable[[], None]:
    """Readline history when available (not on every platform); returns the function that saves it."""
    try:
        import readline
    except ImportError:
        return lambda: None
    with contextlib.suppress(OSError):
        readline.read_history_file(history_file)

    def save() -> None:
        with contextlib.suppress(OSError):
            history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file)

    return save


def run_chat(
    matcher: Matcher,
    partnership: str | None,
    ask: Callable[[str, str | None], Answer],
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    history_file: Path | None = None,
) -> None:
    """Read questions until /stop or end of input; ``ask`` answers (and may log) each one."""
    save_history = _enable_history(history_file) if history_file else (lambda: None)
    write(WELCOME)
    if partnership:
        write(f"Partnerschap: {matcher.kb.partnerships[partnership].name}")
    try:
        while True:
            try:
                line = read(PROMPT).strip()
            except (EOFError, KeyboardInterrupt):
                write("")
                break
            if not line:
                continue
            command, _, argument = line.partition(" ")
            if command in ("/stop", "/quit", "/exit"):
                break
            if command == "/help":
                write(WELCOME)
                continue
            if command == "/partnerschap":
                partnership = _choose_partnership(matcher, argument.strip(), partnership, write)
                continue
            answer = ask(line, partnership)
            write(WELCOME if answer.matched == HELP_ENTRY else answer.text)
            if answer.see_also:
                write("Zie ook: " + ", ".join(s.title for s in answer.see_also))
    finally:
        save_history()
    write("Tot ziens!")


def _choose_partnership(matcher: Matcher, slug: str, current: str | None, write: Callable[[str], None]) -> str | None:
    options = ", ".join(sorted(matcher.kb.partnerships))
    if not slug:
        write(f"Kies een partnerschap met /partnerschap <slug>: {options} (of ‘geen’).")
        return current
    if slug == "geen":
        write("Je partnerschap is gewist; ik zoek nu in alle partnerschappen.")
        return None
    if slug not in matcher.kb.partnerships:
        write(f"Onbekend partnerschap ‘{slug}’. Kies uit: {options}.")
        return current
    write(f"Partnerschap: {matcher.kb.partnerships[slug].name}")
    return slug
