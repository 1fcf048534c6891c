"""``python -m benchmarks`` (or ``make bench``): every benchmark, one after the other."""

import asyncio

from benchmarks import capacity, matching, quality, startup

matching.run()
print()
quality.run()
print()
startup.run()
print()
asyncio.run(capacity.run())
