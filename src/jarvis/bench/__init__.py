"""Benchmarks behind `jarvis bench`: JSON results, medians over several runs, baselines measured in the same run."""
