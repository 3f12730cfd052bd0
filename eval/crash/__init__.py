"""Crash and robustness tools: races of writers, decompression bombs, kill -9 and concurrency (they print figures, assert nothing)."""
