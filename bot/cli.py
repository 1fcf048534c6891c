"""Command line: ``python -m bot {run,ask,chat,eval,kb validate}``.

Each command imports only what it needs: ``ask``, ``eval`` and ``kb validate`` load the knowledge base
and never import Telegram or the database layer, so that one question answers fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
    return parser


def _load_matcher(settings: Settings, path: Path | None = None) -> Matcher:
    return Matcher(load_knowledge_base(path or settings.knowledge_dir), threshold=settings.match_threshold)


def _check_partnership(matcher: Matcher, slug: str | None) -> None:
    if slug is not None and slug not in matcher.kb.partnerships:
        known = ", ".join(sorted(matcher.kb.partnerships))
        raise SystemExit(f"Onbekend partnerschap ‘{slug}’. Kies uit: {known}.")


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    matcher = _load_matcher(settings)
    _check_partnership(matcher, args.partnership)
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        if args.command == "ask":
            return cmd_ask(settings, args)
        if args.command == "eval":
            return cmd_eval(settings, args)
        if args.command == "kb":
            return cmd_validate(settings, args)
        from bot.app import run

        return run(settings, args.command, getattr(args, "partnership", None))
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"De kennisbank heeft {len(exc.problems)} fout(en).", file=sys.stderr)
        return EXIT_INVALID
