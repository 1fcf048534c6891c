"""Peak memory of this process.

Not ``resource.getrusage().ru_maxrss``: Linux keeps that across ``execve``, so a child started by a
big parent reports the parent's peak. ``VmHWM`` in /proc belongs to this process alone.
"""

from __future__ import annotations

import json
import resource
from pathlib import Path


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_peak_rss(**extra: float) -> None:
    print(json.dumps({"peak_rss_mb": peak_rss_mb(), **extra}), flush=True)
