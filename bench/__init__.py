"""Benchmarks: quality and speed tables (not run by the test command)."""
