"""Matching speed: ``match()`` against a difflib scan and a naive rapidfuzz scan, measured in one run.

Run: ``python -m benchmarks.matching``. Targets: p99 <= 1 ms on the real knowledge base, <= 5 ms at
10 000 entries, and at least 10x faster than the difflib scan; for 60-word messages (a made-up
situation before each question, ``common.long_messages``) p99 <= 3 ms on the real knowledge base.
"""

from __future__ import annotations

from typing import Any

from benchmarks.baselines import DifflibScan, NaiveRapidfuzz
from benchmarks.common import flags, latencies, long_messages, questions, summary, synthetic_kb, table, write_results
from knowledge import KnowledgeBase, Matcher, load_knowledge_base

SIZES = (("echt", 0), ("1 000", 1000), ("10 000", 10_000))


def run(quick: bool = False) -> dict[str, Any]:
    asked = questions()
    long = long_messages(asked)
    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    for label, size in SIZES:
        kb: KnowledgeBase = load_knowledge_base() if size == 0 else synthetic_kb(size)
        methods = {
            "match()": Matcher(kb).match,
            "rapidfuzz-scan": NaiveRapidfuzz(kb).match,
            "difflib-scan": DifflibScan(kb).match,
        }
        measured: dict[str, dict[str, float]] = {}
        for name, function in methods.items():
            # The difflib scan is slow on big bases: fewer questions, same questions for every method size.
            sample = asked if name != "difflib-scan" or size <= 1000 else asked[:: 4 if not quick else 8]
            rounds = 1 if name == "difflib-scan" or quick else 5
            measured[name] = summary(latencies(function, sample, rounds))
        long_sample = long if size <= 1000 else long[:: 4 if not quick else 8]
        measured_long = {
            "match()": summary(latencies(methods["match()"], long_sample, 1 if quick else 3)),
            "rapidfuzz-scan": summary(latencies(methods["rapidfuzz-scan"], long_sample, 1)),
        }
        baseline = measured["difflib-scan"]["median_ms"]
        for name, stats in measured.items():
            stats["speedup_vs_difflib"] = baseline / stats["median_ms"]
            in_long = measured_long.get(name)
            if in_long is not None:
                stats["long_median_ms"], stats["long_p99_ms"] = in_long["median_ms"], in_long["p99_ms"]
            rows.append(
                [
                    label,
                    len(kb.entries),
                    name,
                    stats["median_ms"],
                    stats["p99_ms"],
                    stats["per_second"],
                    stats["speedup_vs_difflib"],
                    in_long["median_ms"] if in_long else "",
                    in_long["p99_ms"] if in_long else "",
                ]
            )
        results[label] = measured
    headers = ["kennisbank", "items", "methode", "mediaan ms", "p99 ms", "vragen/s", "x difflib"]
    print(table([*headers, "60 woorden: mediaan ms", "60 woorden: p99 ms"], rows))
    targets = {
        "p99 echte kennisbank <= 1 ms": results["echt"]["match()"]["p99_ms"] <= 1.0,
        "p99 bij 10 000 items <= 5 ms": results["10 000"]["match()"]["p99_ms"] <= 5.0,
        "p99 berichten van 60 woorden, echte kennisbank <= 3 ms": results["echt"]["match()"]["long_p99_ms"] <= 3.0,
        ">= 10x sneller dan difflib (elke grootte)": all(
            r["match()"]["speedup_vs_difflib"] >= 10 for r in results.values()
        ),
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    print(f"resultaten: {write_results('matching', {'results': results, 'targets': targets})}")
    return results


if __name__ == "__main__":
    run(quick="--quick" in flags("--quick"))
