"""Answer quality on the shared dev sets (dev, dev-2, dev-3) and our own phrasings, per tag: ``match()``
against the two baselines.

Run: ``python -m benchmarks.quality``. Shows what the Dutch normalisation, abbreviations, structured
school questions and the honest fallback add over plain fuzzy matching.
"""

from __future__ import annotations

from typing import Any

from benchmarks.baselines import DifflibScan, NaiveRapidfuzz
from benchmarks.common import PHRASINGS_SET, SHARED_SETS, table, write_results
from bot.evaluation import Answerer, accuracy_by_tag, load_cases, run_case
from knowledge import Matcher, load_knowledge_base


def run() -> dict[str, Any]:
    kb = load_knowledge_base()
    methods: dict[str, Answerer] = {
        "match()": Matcher(kb),
        "rapidfuzz-scan": NaiveRapidfuzz(kb),
        "difflib-scan": DifflibScan(kb),
    }
    results: dict[str, Any] = {}
    for label, path in (*SHARED_SETS, ("eigen formuleringen", PHRASINGS_SET)):
        if not path.exists():
            print(f"overgeslagen: {path} ontbreekt")
            continue
        cases = load_cases(path)
        per_method = {name: accuracy_by_tag([run_case(m, c) for c in cases]) for name, m in methods.items()}
        tags = sorted({tag for scores in per_method.values() for tag in scores})
        rows = []
        for tag in [*tags, "totaal"]:
            row: list[Any] = [tag]
            for scores in per_method.values():
                passed = sum(p for p, _ in scores.values()) if tag == "totaal" else scores[tag][0]
                total = sum(t for _, t in scores.values()) if tag == "totaal" else scores[tag][1]
                row.append(f"{passed}/{total} ({passed / total:.0%})")
            rows.append(row)
        print(f"\n{label}: {path.name}")
        print(table(["tag", *methods], rows))
        results[label] = {name: {tag: list(v) for tag, v in scores.items()} for name, scores in per_method.items()}
    print(f"resultaten: {write_results('quality', {'results': results})}")
    return results


if __name__ == "__main__":
    run()
