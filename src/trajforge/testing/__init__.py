"""Helpers for tests and benchmarks of trajforge and of code built on it."""
