"""Benchmarks: speed and memory as ratios measured in one run; not part of `make test`."""
