"""The production application in its own process for the benchmarks; prints peak memory and CPU on exit.

``--no-rate-limiter`` exists only to measure processing capacity; the bot itself always runs with it.
Settings come from the environment as for ``python -m bot run``.
"""

from __future__ import annotations

import resource
import sys

from benchmarks.memory import print_peak_rss
from bot.app import build_application, serve
from bot.settings import Settings
from knowledge import Matcher, load_knowledge_base


def main() -> None:
    settings = Settings()
    matcher = Matcher(load_knowledge_base(settings.knowledge_dir), threshold=settings.match_threshold)
    application = build_application(settings, matcher, rate_limiter="--no-rate-limiter" not in sys.argv)
    serve(application, settings)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print_peak_rss(cpu_seconds=usage.ru_utime + usage.ru_stime)


if __name__ == "__main__":
    main()
