"""Baseline for memory: a Python process that does nothing."""

import json
import resource

print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
