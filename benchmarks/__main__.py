"""``python -m benchmarks`` (or ``make bench``): every benchmark, each in a fresh process.

A fresh process per benchmark keeps one from skewing the next (memory, garbage collection of the
big synthetic knowledge bases, the fake server's process being busy).
"""

import subprocess
import sys

from benchmarks.common import PROJECT_DIR

BENCHMARKS = (
    "matching",
    "quality",
    "startup",
    "capacity",
    "reliability",
    "delivery",
    "broadcast",
    "rolling",
    "scheduling",
    "web",
)

failed = [
    name
    for name in BENCHMARKS
    if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=PROJECT_DIR, check=False).returncode != 0
]
if failed:
    sys.exit(f"mislukt: {', '.join(failed)}")
