"""The optional reading checks: chosen for a block, or bound to a reader."""

from __future__ import annotations

from collections.abc import Iterator

from trajforge.io import OnError, ReadChecks, checking, read_checks, with_checks

STRICT = ReadChecks(shard_hashes=False, unique_keys=True)


def test_checking_puts_checks_in_force_for_its_block_only() -> None:
    assert read_checks() == ReadChecks(shard_hashes=True, unique_keys=False)
    with checking(STRICT):
        assert read_checks() == STRICT
    assert read_checks() == ReadChecks()


def _lazy(source: str, on_error: OnError | None, /) -> Iterator[ReadChecks]:
    """A reader that looks at the checks only as it is iterated (a plugin's may)."""
    for _ in source:
        yield read_checks()


def test_a_reader_with_checks_has_them_while_it_is_iterated() -> None:
    read = with_checks(_lazy, STRICT)
    records = read("ab", None)
    assert read_checks() == ReadChecks()  # not in force between records
    assert list(records) == [STRICT, STRICT]
    assert list(_lazy("a", None)) == [ReadChecks()]
