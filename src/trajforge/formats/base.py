"""What a format is: a name, its file conventions, and a reader and/or a writer of trajectories.

A format of an outside package is one module defining a :class:`Format`, registered under the
entry-point group ``trajforge.formats`` (or with ``FORMATS.add`` in the caller's own code).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from trajforge.io import OnError, RawLine, WriteResult
    from trajforge.schema import Trajectory


class Reader(Protocol):
    """Streams the trajectories of a file, glob or directory.

    Errors name where they are (file, line); with ``on_error`` a record that cannot be read is
    handed to it (a ``BadRecord``) and reading goes on, without it the error is raised. A file
    failing an integrity check raises ``IntegrityError`` either way: what was read from it may
    be altered. The optional checks in force (``trajforge.io.read_checks()``) are taken when the
    reader is called.
    """

    def __call__(self, source: str, on_error: OnError | None, /) -> Iterator[Trajectory]: ...


class RawReader(Protocol):
    """Streams the raw JSON lines of trajforge records, undecoded, with their locations."""

    def __call__(self, source: str, on_error: OnError | None, /) -> Iterator[RawLine]: ...


class Writer(Protocol):
    """Writes trajectories to ``dest`` atomically and says what it wrote.

    ``options`` are the writing options commands pass to every writer (``shard_size``); a
    writer uses those that apply to it.
    """

    def __call__(
        self, dest: str, trajectories: Iterable[Trajectory], /, **options: Any
    ) -> WriteResult: ...


@dataclass(frozen=True, slots=True)
class Format:
    """A record format: ``--from NAME`` needs its reader, ``--to NAME`` its writer."""

    name: str
    description: str
    suffixes: tuple[str, ...]
    read: Reader | None = None
    write: Writer | None = None
    #: For trajforge's own records: the raw JSON lines, left to the stage runner to decode
    #: (in worker processes with ``--workers``), so that this process only moves bytes.
    read_raw: RawReader | None = None
    #: Whether a decoded source record is of this format's kind, for ``--from auto``.
    detect: Callable[[Any], bool] | None = None
    #: The options its writer takes besides the common ones (``shard_size``): commands pass
    #: them from ``--writer-option KEY=VALUE``, as text the writer converts.
    writer_options: tuple[str, ...] = ()
    #: Where its writer writes one JSON object rather than rows: the key of the object's list
    #: of rows (tau2-bench's ``simulations``), which a dataset card tells the JSON loader.
    rows_field: str | None = None
