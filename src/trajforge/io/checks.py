"""What readers check beyond each record's shape, chosen for a block of work.

Commands choose with options (``--no-verify-hashes``, ``convert --strict``) that reach the
readers through :func:`checking`, so that a format's reader keeps its two arguments (source and
``on_error``). A reader takes the checks in force when it is called, not while it is iterated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final


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
