"""Overlapping findings: the first, then the longest, then the more specific kind wins."""

from __future__ import annotations

from trajforge.curate.finding import Finding, resolve


def test_the_longest_of_overlapping_findings_wins_and_order_is_by_position() -> None:
    card = Finding("card", 10, 29, "4111111111111111")
    phone = Finding("phone", 10, 22, "+14111111111")
    email = Finding("email", 0, 8, "a@b.io")
    assert resolve([phone, card, email]) == (email, card)


def test_a_tie_goes_to_the_more_specific_kind() -> None:
    ip = Finding("ip", 3, 16, "203.0.113.50")
    phone = Finding("phone", 3, 16, "+12030113500")
    assert resolve([phone, ip]) == (ip,)
