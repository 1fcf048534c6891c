"""Start-up time (load, validate and index the knowledge base), one ``ask`` from the command line, and
peak memory of the running bot.

Run: ``python -m benchmarks.startup``. Targets: <= 1 s, ``python -m bot ask`` < 0.3 s, <= 150 MB.
Baselines from the same run: parsing the same YAML files with PyYAML's pure-Python loader, a bare
``python -c pass``, and the peak memory of a bare Python.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import PROJECT_DIR, table, write_results
from benchmarks.load import run_load
from knowledge import DEFAULT_DATA_DIR, Matcher, load_knowledge_base

ROUNDS = 7


def _timed(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _parse_only() -> None:
    for path in sorted(DEFAULT_DATA_DIR.glob("*/*.yaml")):
        yaml.safe_load(path.read_text(encoding="utf-8"))


def _bare_python_rss_mb() -> float:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.bare_process"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["peak_rss_mb"])


def _command_seconds(*arguments: str) -> float:
    """Wall time of one command in a fresh Python, the median of ROUNDS runs."""

    def once() -> None:
        subprocess.run([sys.executable, *arguments], cwd=PROJECT_DIR, capture_output=True, check=True)

    return statistics.median(_timed(once) for _ in range(ROUNDS))


def _bot_rss_mb() -> float:
    """Peak memory of the production bot after answering a few hundred questions."""
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(run_load(Path(folder), 300, rate_limiter=False, flood_control=False))
    return float(result["bot_peak_rss_mb"])


def run() -> dict[str, Any]:
    load_index = statistics.median(_timed(lambda: Matcher(load_knowledge_base())) for _ in range(ROUNDS))
    parse = statistics.median(_timed(_parse_only) for _ in range(ROUNDS))
    ask = _command_seconds("-m", "bot", "ask", "wat is intervisie")
    bare = _command_seconds("-c", "pass")
    bot_rss = _bot_rss_mb()
    bare_rss = _bare_python_rss_mb()
    rows = [
        ["laden + valideren + indexeren", f"{load_index * 1000:.1f} ms", f"{load_index / parse:.1f}x YAML parsen"],
        ["alleen YAML parsen, pure Python (basislijn)", f"{parse * 1000:.1f} ms", "1.0x"],
        ["python -m bot ask", f"{ask * 1000:.0f} ms", f"{ask / bare:.1f}x kale Python"],
        ["python -c pass (basislijn)", f"{bare * 1000:.0f} ms", "1.0x"],
        ["piekgeheugen draaiende bot", f"{bot_rss:.0f} MB", f"{bot_rss / bare_rss:.1f}x kale Python"],
        ["piekgeheugen kale Python (basislijn)", f"{bare_rss:.0f} MB", "1.0x"],
    ]
    print(table(["meting", "waarde", "verhouding"], rows))
    targets = {
        "opstarten <= 1 s": load_index <= 1.0,
        "python -m bot ask < 0.3 s": ask < 0.3,
        "piekgeheugen <= 150 MB": bot_rss <= 150,
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results = {
        "load_index_s": load_index,
        "yaml_parse_s": parse,
        "ask_command_s": ask,
        "bare_python_s": bare,
        "bot_peak_rss_mb": bot_rss,
        "bare_python_peak_rss_mb": bare_rss,
        "targets": targets,
    }
    print(f"resultaten: {write_results('startup', results)}")
    return results


if __name__ == "__main__":
    run()
