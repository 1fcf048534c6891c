"""Command line: ``python -m bot {run,ask,chat,eval,kb ...,events,coordinators,broadcast,backup}``.

Each command imports only what it needs: ``ask``, ``eval`` and ``kb validate`` load the knowledge base
and never import Telegram or the database layer, so that one question answers fast; only a question
for a date ("wanneer is de volgende intervisie?") with ``--partnership`` opens the agenda's database.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.agenda_questions import CATEGORIES, agenda_category
from bot.evaluation import EvalFileError, accuracy_by_tag, load_cases, run_case
from bot.settings import Settings
from knowledge import KnowledgeBaseError, Matcher, load_knowledge_base

EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Samen Opleiden-assistent")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="start de Telegram-bot (met TELEGRAM_BOT_TOKEN) of anders de terminalchat")

    ask = commands.add_parser("ask", help="stel één vraag")
    ask.add_argument("question", help="de vraag")
    ask.add_argument("--partnership", help="slug van het partnerschap, bijv. poo-marnix")
    ask.add_argument("--json", action="store_true", help="antwoord als één JSON-object")

    chat = commands.add_parser("chat", help="chat in de terminal")
    chat.add_argument("--partnership", help="slug van het partnerschap")

    evaluate = commands.add_parser("eval", help="evalueer een set vragen")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--min-accuracy", type=float, default=None, help="minimale nauwkeurigheid 0..1")

    kb = commands.add_parser("kb", help="kennisbank")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    validate = kb_commands.add_parser("validate", help="controleer de kennisbankbestanden")
    validate.add_argument("path", nargs="?", type=Path)
    imported = kb_commands.add_parser("import", help="importeer contactpersonen, scholen of vragen (CSV of Excel)")
    imported.add_argument("file", help="een .csv- of .xlsx-bestand; de eerste rij bevat de kolomnamen")
    imported.add_argument("--kind", required=True, choices=["contact", "school", "faq"])
    imported.add_argument("--partnership", required=True)
    exported = kb_commands.add_parser("export", help="schrijf de aanvulling van een partnerschap als YAML")
    exported.add_argument("--partnership", required=True)
    exported.add_argument("output", nargs="?", help="bestand (standaard: naar het scherm)")
    removed = kb_commands.add_parser("remove", help="haal een geïmporteerd of beantwoord item weg")
    removed.add_argument("entry_id", help="het id van het item, zoals kb export het toont (bijv. contact:...)")
    removed.add_argument("--partnership", required=True)
    saved = commands.add_parser("backup", help="kopie van de ingebouwde SQLite-database, ook terwijl de bot draait")
    saved.add_argument("file", type=Path, help="het nieuwe bestand, bijv. backup-2026-12-01.sqlite3")
    _add_events_parser(commands)
    _add_coordinators_parser(commands)
    _add_broadcast_parser(commands)
    return parser


def _add_events_parser(commands: Any) -> None:
    """``events``: run by bot/agenda_cli.py, which opens the database."""
    events = commands.add_parser("events", help="agenda van een partnerschap")
    sub = events.add_subparsers(dest="events_command", required=True)
    categories = sorted(CATEGORIES)

    imported = sub.add_parser("import", help="importeer een ICS-bestand")
    imported.add_argument("file")
    imported.add_argument("--partnership", required=True)
    imported.add_argument("--category", choices=categories, help="categorie voor alle afspraken in het bestand")
    imported.add_argument("--audience", help="rollen, bijv. mentor,schoolopleider (standaard: per categorie)")
    imported.add_argument("--schools", help="alleen deze scholen, bijv. school:kc-de-wegwijzer")

    listed = sub.add_parser("list", help="toon de agenda")
    listed.add_argument("--partnership", required=True)
    listed.add_argument("--json", action="store_true")
    listed.add_argument("--all", action="store_true", help="ook bijeenkomsten die voorbij zijn")

    added = sub.add_parser("add", help="voeg één bijeenkomst toe")
    added.add_argument("--partnership", required=True)
    added.add_argument("--title", required=True)
    added.add_argument("--start", required=True, help="bijv. 2026-12-01T15:00 (tijd in Nederland)")
    added.add_argument("--end")
    added.add_argument("--duration", type=int, default=120, help="minuten (als --end ontbreekt)")
    added.add_argument("--category", choices=categories)
    added.add_argument("--location")
    added.add_argument("--description")
    added.add_argument("--audience")
    added.add_argument("--schools")
    added.add_argument("--uid")

    cancelled = sub.add_parser("cancel", help="gelast een bijeenkomst (alle komende keren) af")
    cancelled.add_argument("uid")
    cancelled.add_argument("--partnership", required=True)

    exported = sub.add_parser("export", help="schrijf de agenda als ICS naar stdout")
    exported.add_argument("--partnership", required=True)


def _add_coordinators_parser(commands: Any) -> None:
    """``coordinators``: run by bot/coordinators_cli.py, which opens the database."""
    coordinators = commands.add_parser("coordinators", help="coördinatorrechten per partnerschap")
    sub = coordinators.add_subparsers(dest="coordinators_command", required=True)
    added = sub.add_parser("add", help="geef een Telegram-gebruiker coördinatorrechten")
    added.add_argument("user_id", type=int, help="Telegram-gebruikers-id (een getal)")
    added.add_argument("--partnership", required=True)
    listed = sub.add_parser("list", help="toon de coördinatoren")
    listed.add_argument("--partnership")
    removed = sub.add_parser("remove", help="neem coördinatorrechten af")
    removed.add_argument("user_id", type=int)
    removed.add_argument("--partnership", required=True)


def _add_broadcast_parser(commands: Any) -> None:
    """``broadcast``: run by bot/broadcast_cli.py, which opens the database."""
    broadcast = commands.add_parser("broadcast", help="stuur een bericht aan (een deel van) een partnerschap")
    broadcast.add_argument("--partnership", required=True)
    broadcast.add_argument("--role", action="append", default=[], help="alleen deze rol (mag vaker)")
    broadcast.add_argument("--school", help="alleen deze school, bijv. school:kc-de-wegwijzer")
    broadcast.add_argument("--category", choices=sorted(CATEGORIES), help="alleen wie herinneringen krijgt voor")
    broadcast.add_argument("--text-file", required=True, type=Path, help="het bericht als platte tekst (UTF-8)")
    broadcast.add_argument("--yes", action="store_true", help="niet om bevestiging vragen")
    broadcast.add_argument("--no-wait", action="store_true", help="niet wachten tot alles verstuurd is")
    broadcast.add_argument("--timeout", type=float, help="seconden zonder voortgang voordat het wachten stopt")


def _load_matcher(settings: Settings, path: Path | None = None) -> Matcher:
    return Matcher(load_knowledge_base(path or settings.knowledge_dir), threshold=settings.match_threshold)


def _check_partnership(matcher: Matcher, slug: str | None) -> None:
    if slug is not None and slug not in matcher.kb.partnerships:
        known = ", ".join(sorted(matcher.kb.partnerships))
        raise SystemExit(f"Onbekend partnerschap ‘{slug}’. Kies uit: {known}.")


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
    category = agenda_category(args.question)
    if category is not None and args.partnership is not None:
        from bot.agenda_cli import agenda_answer

        answer = agenda_answer(settings, matcher, args.partnership, category)
    else:
        answer = matcher.match(args.question, args.partnership)
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False))
    else:
        print(answer.text)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    try:
        cases = load_cases(args.file)
    except EvalFileError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    results = [run_case(matcher, case) for case in cases]
    for result in results:
        if not result.passed:
            case = result.case
            scope = f" [{case.partnership}]" if case.partnership else ""
            print(f"FOUT ({case.tag}){scope}: {case.question!r}")
            for failure in result.failures:
                print(f"    - {failure}")
            summary = result.answer.text.replace("\n", " ")
            got = result.answer
            print(f"    kreeg: matched={got.matched} confidence={got.confidence:.2f} antwoord: {summary[:160]}")
    print(f"{'tag':<16} {'goed':>5} {'totaal':>6} {'score':>7}")
    for tag, (passed, total) in accuracy_by_tag(results).items():
        print(f"{tag:<16} {passed:>5} {total:>6} {passed / total:>7.0%}")
    passed = sum(r.passed for r in results)
    accuracy = passed / len(results) if results else 0.0
    print(f"totaal: {passed}/{len(results)} goed ({accuracy:.1%})")
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        print(f"nauwkeurigheid {accuracy:.1%} is lager dan het minimum {args.min_accuracy:.1%}", file=sys.stderr)
        return 1
    return 0


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    kb = load_knowledge_base(args.path or settings.knowledge_dir)
    for warning in kb.warnings:
        print(f"waarschuwing: {warning}", file=sys.stderr)
    print(f"Kennisbank in orde: {len(kb.entries)} items, partnerschappen: {', '.join(sorted(kb.partnerships))}.")
    return 0


def cmd_kb(settings: Settings, args: argparse.Namespace) -> int:
    if args.kb_command == "validate":
        return cmd_validate(settings, args)
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
    from bot.knowledge_cli import run_knowledge

    return run_knowledge(settings, matcher, args)


def cmd_events(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
    from bot.agenda_cli import run_events

    return run_events(settings, matcher, args)


def cmd_coordinators(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
    from bot.coordinators_cli import run_coordinators

    return run_coordinators(settings, matcher, args)


def cmd_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
    from bot.broadcast_cli import run_broadcast

    return run_broadcast(settings, matcher, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        if args.command == "ask":
            return cmd_ask(settings, args)
        if args.command == "eval":
            return cmd_eval(settings, args)
        if args.command == "kb":
            return cmd_kb(settings, args)
        if args.command == "events":
            return cmd_events(settings, args)
        if args.command == "coordinators":
            return cmd_coordinators(settings, args)
        if args.command == "broadcast":
            return cmd_broadcast(settings, args)
        if args.command == "backup":
            from bot.backup import backup

            return backup(settings, args.file)
        from bot.app import run

        return run(settings, args.command, getattr(args, "partnership", None))
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"De kennisbank heeft {len(exc.problems)} fout(en).", file=sys.stderr)
        return EXIT_INVALID
