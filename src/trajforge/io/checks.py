"""What readers check beyond each record's shape, chosen for a block of work.

Commands choose with options (``--no-verify-hashes``, ``convert --strict``) that reach the
readers through :func:`checking`, so that a format's reader keeps its two arguments (source and
``on_error``). trajforge's readers take the checks in force when they are called;
:func:`with_checks` keeps them in force while what a reader returns is iterated too, for readers
that look later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar, cast

if TYPE_CHECKING:
    from trajforge.io.quarantine import OnError

#: What a reader yields: trajectories, or raw lines.
Item = TypeVar("Item")
_END: Final = object()


@dataclass(frozen=True, slots=True)
class ReadChecks:
    """The optional checks of reading.

    ``shard_hashes``: each shard of a dataset directory is checked against the sha256 in its
    manifest, as it is read (on by default; off saves the hashing). ``unique_keys``: a JSON
    record that repeats a key in an object is refused; otherwise the last one wins, as in JSON
    parsers generally (off by default: it decodes every record a second time).
    """

    shard_hashes: bool = True
    unique_keys: bool = False


#: The checks when no block chose any.
DEFAULT_CHECKS: Final = ReadChecks()
_CHECKS: ContextVar[ReadChecks] = ContextVar("trajforge_read_checks", default=DEFAULT_CHECKS)


def read_checks() -> ReadChecks:
    """The checks in force."""
    return _CHECKS.get()


@contextmanager
def checking(checks: ReadChecks) -> Iterator[None]:
    """Put ``checks`` in force for the readers called inside the block."""
    token = _CHECKS.set(checks)
    try:
        yield
    finally:
        _CHECKS.reset(token)


def with_checks(
    read: Callable[[str, OnError | None], Iterator[Item]], checks: ReadChecks
) -> Callable[[str, OnError | None], Iterator[Item]]:
    """``read`` with ``checks`` in force while it is called and while what it returns is
    iterated (a reader may consult them at either time)."""

    def checked(source: str, on_error: OnError | None, /) -> Iterator[Item]:
        with checking(checks):
            items = iter(read(source, on_error))
        return _iterated_with(checks, items)

    return checked


def _iterated_with(checks: ReadChecks, items: Iterator[Item]) -> Iterator[Item]:
    while True:
        with checking(checks):
            item = next(items, _END)
        if item is _END:
            return
        yield cast(Item, item)
