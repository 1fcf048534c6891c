"""Benchmarks: each compares against a baseline measured in the same run, so ratios hold on a noisy machine."""
