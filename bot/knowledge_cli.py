"""``python -m bot kb import|export|remove``: the knowledge overlay from the command line.

``import`` reads a CSV or Excel file (knowledge/imports.py), checks every cell, and stores nothing
when one is wrong (exit code 2); otherwise it stores every row in one transaction, with an audit row,
and the running bot picks the change up within ``KNOWLEDGE_RELOAD_SECONDS``. ``export`` writes a
partnership's overlay as a knowledge base file, to review it and move it into knowledge/data.
``remove`` withdraws one item (by the id ``export`` shows), audited like an import.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.agenda_cli import with_services
from bot.services import Services
from bot.services.coordinators import command_line
from bot.settings import Settings
from db.models import utcnow
from knowledge import Matcher
from knowledge.overlay import OverlayKind, build_matcher, entry_dict, scoped

EXIT_INVALID = 2


class _Dumper(yaml.SafeDumper):
    """Answers of several lines as YAML block text (``|``), as the hand-written files have them."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def run_knowledge(settings: Settings, matcher: Matcher, args: argparse.Namespace) -> int:
    work = {"import": _import, "export": _export, "remove": _remove}[args.kb_command]
    return asyncio.run(with_services(settings, matcher, lambda services: work(services, args)))


async def _import(services: Services, args: argparse.Namespace) -> int:
    partnership: str = args.partnership
    kind: OverlayKind = args.kind
    checked = await services.overlay.check_import(Path(args.file), kind, partnership)
    if checked.problems:
        for problem in checked.problems:
            print(problem, file=sys.stderr)
        print(
            f"Niets geïmporteerd: {len(checked.problems)} fout(en). Verbeter het bestand en probeer het opnieuw.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    counts = await services.overlay.import_items(command_line(partnership), kind, checked.items, utcnow())
    same = len(checked.items) - counts.new - counts.updated
    print(f"Geïmporteerd: {counts.new} nieuw, {counts.updated} bijgewerkt, {same} ongewijzigd.")
    return 0


async def _remove(services: Services, args: argparse.Namespace) -> int:
    try:
        removed = await services.overlay.remove(command_line(args.partnership), args.entry_id, utcnow(), reload=False)
    except PermissionError:  # only another partnership has that id
        removed = False
    if not removed:
        print(f"‘{args.entry_id}’ staat niet in de aanvulling van {args.partnership}. Zie kb export.", file=sys.stderr)
        return EXIT_INVALID
    print(f"Verwijderd: {args.entry_id}. De draaiende bot gebruikt het binnen enkele seconden niet meer.")
    return 0


async def _export(services: Services, args: argparse.Namespace) -> int:
    partnership: str = args.partnership
    items = await services.overlay.items(partnership)
    kb = services.knowledge.kb
    schools = [i for i in items if i.kind == "school"]
    own = scoped(build_matcher(kb, items), partnership)
    entries: list[dict[str, Any]] = [
        entry_dict(i, own.kb) for i in (*schools, *(i for i in items if i.kind != "school"))
    ]
    name = kb.partnerships[partnership].short_name
    header = (
        f"# Aanvulling op de kennisbank van {name}: geïmporteerd of beantwoord in /vragen\n"
        f"# (geëxporteerd {utcnow():%Y-%m-%d %H:%M} UTC). Controleer het en zet het in knowledge/data/{partnership}/.\n"
    )
    document = {"source": f"kennisbank-aanvulling {partnership}", "entries": entries}
    text = header + yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    if args.output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
        print(f"{len(entries)} items geschreven naar {args.output}.", file=sys.stderr)
    return 0
