"""Ranking continuations: outcome, then score, then step labels, with a margin."""

from __future__ import annotations

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.ranking import Quality, prefer, quality

from .trajectories import call, rule, trajectory


def test_the_first_known_difference_decides_if_it_reaches_the_margin() -> None:
    assert prefer(Quality(1.0, 0.2, 0.0), Quality(0.0, 0.9, 1.0), 0.1) == 1
    assert prefer(Quality(0.5, 0.6, None), Quality(0.5, 0.9, 1.0), 0.1) == -1
    assert prefer(Quality(None, None, 1.0), Quality(0.0, None, 0.5), 0.1) == 1
    assert prefer(Quality(0.5, 0.64, 1.0), Quality(0.5, 0.6, 0.0), 0.1) == 0
    assert prefer(Quality(0.5, 0.64, 1.0), Quality(0.5, 0.6, 0.0), 0.0) == 1
    assert prefer(Quality(0.9, None, None), Quality(1.0, None, None), 0.1) == -1
    assert prefer(Quality(None, None, None), Quality(1.0, 1.0, 1.0), 0.0) == 0


def test_a_continuations_steps_are_judged_from_its_start() -> None:
    mistaken = call("lookup", "x", rule("redundant_call", "redundant", 0.0), q="a")
    run = trajectory("t", mistaken, call("lookup", q="b"), status="partial")
    assert quality(run, ExportOptions()) == Quality(0.5, None, 0.5)
    assert quality(run, ExportOptions(), start=1) == Quality(0.5, None, 1.0)
