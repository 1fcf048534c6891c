"""Timing, tables, JSON results, the question set and a synthetic knowledge base of any size."""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge import KnowledgeBase, load_knowledge_base
from knowledge.models import Entry, School

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
EVAL_DIR = PROJECT_DIR.parent / "shared" / "eval"
DEV_SET = EVAL_DIR / "dev.yaml"
SHARED_SETS = (("dev", DEV_SET), ("dev-2", EVAL_DIR / "dev-2.yaml"), ("dev-3", EVAL_DIR / "dev-3.yaml"))
PHRASINGS_SET = PROJECT_DIR / "tests" / "data" / "phrasings.yaml"
LONG_MESSAGE_WORDS = 60
# Made-up situations, as people write them before their question in a chat (issue 18).
SITUATIONS = (
    "hoi ik ben sinds september leerkracht in groep 6 op een kleine school en dit jaar krijg ik voor het "
    "eerst een student van de pabo in mijn klas, mijn directeur zegt dat ik het goed moet regelen",
    "goedemiddag, wij zijn een basisschool met een peutergroep en we hebben al een paar jaar stagiairs "
    "van verschillende opleidingen, nu willen we meer samenwerken met de pabo en de andere scholen",
    "ik ben tweedejaars student en loop stage op een school in een dorp, mijn mentor is heel aardig maar "
    "ze heeft het vaak over dingen die ik niet ken en ik durf het niet steeds te vragen 😅",
)


def flags(*known: str) -> set[str]:
    """The command line's flags; an unknown one (``--help`` too) ends the run before any work starts."""
    given = set(sys.argv[1:])
    unknown = given - set(known)
    if unknown:
        sys.exit(f"onbekende optie {', '.join(sorted(unknown))}; wel mogelijk: {', '.join(known) or 'geen'}")
    return given


def long_messages(asked: Sequence[str]) -> list[str]:
    """Each question after a made-up situation, cut to ``LONG_MESSAGE_WORDS`` words in all."""
    found = []
    for index, question in enumerate(asked):
        context = SITUATIONS[index % len(SITUATIONS)].split()
        wanted = max(LONG_MESSAGE_WORDS - len(question.split()), 0)
        while len(context) < wanted:
            context = context + SITUATIONS[(index + 1) % len(SITUATIONS)].split()
        found.append(" ".join([*context[:wanted], "..", question]))
    return found


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def questions() -> list[str]:
    """Questions as users type them: the shared dev sets and our own phrasings."""
    found: list[str] = []
    for path in (*(path for _, path in SHARED_SETS), PHRASINGS_SET):
        if path.exists():
            found.extend(str(case["q"]) for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])
    return found


def latencies(function: Callable[[str], Any], inputs: Sequence[str], rounds: int) -> list[float]:
    for text in inputs:  # warm-up
        function(text)
    measured = []
    for _ in range(rounds):
        for text in inputs:
            start = time.perf_counter()
            function(text)
            measured.append(time.perf_counter() - start)
    return measured


def summary(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "per_second": len(ordered) / sum(ordered) if sum(ordered) else float("inf"),
    }


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
        return str(value)

    text_rows = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in text_rows)
    return "\n".join(lines)


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "at": datetime.now(UTC).isoformat(), "machine": machine(), **results}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


SYLLABLES = "ka lo mi ne ru sa te vo bi da fe go hu ji ko la me no pa re si to vu wa ze".split()
FIELD_WORDS = (
    "opleiding school student mentor training overleg begeleiding kwaliteit onderzoek leerteam stage "
    "bijeenkomst werkplek beoordeling gesprek portfolio lesbezoek planning rooster cluster bestuur"
).split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def synthetic_kb(size: int, seed: int = 7) -> KnowledgeBase:
    """The real knowledge base plus generated entries up to ``size``, shaped like the real ones."""
    rng = random.Random(seed)
    real = load_knowledge_base()
    entries: list[Entry] = list(real.entries)
    kinds = ["begrip", "faq", "school", "contact", "partnerschap"]
    partnerships = dict(real.partnerships)
    slugs = [*partnerships, None]
    while len(entries) < size:
        number = len(entries)
        kind = rng.choice(kinds)
        words = [_word(rng) for _ in range(rng.randint(1, 3))]
        title = " ".join([*words, rng.choice(FIELD_WORDS)]).capitalize()
        keywords = tuple(
            " ".join(rng.sample([*words, *rng.sample(FIELD_WORDS, 3), _word(rng)], rng.randint(1, 4)))
            for _ in range(rng.randint(2, 5))
        )
        school = None
        if kind == "school":
            school = School(
                name=" ".join(words).title(), type="KC", place=_word(rng).title(), concept=None, bestuur=None
            )
        entries.append(
            Entry(
                id=f"{kind}:synthetisch-{number}",
                title=title,
                keywords=keywords,
                answer=f"Gegenereerd antwoord {number} over {title}.",
                sources=("synthetisch",),
                partnership=rng.choice(slugs),
                school=school,
            )
        )
    return KnowledgeBase(partnerships=partnerships, entries=tuple(entries[:size]), where_to_ask=real.where_to_ask)
