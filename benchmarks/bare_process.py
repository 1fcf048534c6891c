"""Baseline for memory: a Python process that does nothing."""

from benchmarks.memory import print_peak_rss

print_peak_rss()
