"""Tests for trajforge.io."""
