"""Scripted experts, one per built-in environment, on a shared engine."""
