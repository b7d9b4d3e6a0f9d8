"""Map a function over a stream of trajectories in worker processes, in order, memory bounded.

Verification with replay, rule grading and Monte-Carlo process labels are CPU-bound and every
trajectory is independent, so they scale with cores. Trajectories travel to the workers as JSON
bytes in chunks and come back in input order; at most ``2 * workers`` chunks are in flight, so
the stream is read lazily and memory stays flat however long it is.

Workers leave signals to the process that owns the pool: they ignore Ctrl-C (a terminal sends it
to the whole process group), so that the owner alone decides and shuts the pool down; SIGTERM
ends a worker at once (what the pool sends a worker it gives up on), whatever handler the owner
had when it forked; and a worker whose owner died without shutting the pool down (SIGKILL) ends
within a second instead of waiting for work forever.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from trajforge.errors import ConfigError
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

if TYPE_CHECKING:
    from trajforge.engine import Engine

#: Trajectories per task sent to a worker.
CHUNK = 16

TrajectoryFn = Callable[[Trajectory], Trajectory]
A = TypeVar("A")
B = TypeVar("B")


def map_chunks(
    fn: Callable[[list[A]], B],
    items: Iterable[A],
    *,
    workers: int,
    chunk: int = CHUNK,
    spawn: bool = False,
) -> Iterator[B]:
    """``fn`` over chunks of ``items`` in ``workers`` processes, its results in input order.

    At most ``2 * workers`` chunks are in flight, so ``items`` is read lazily. ``fn`` must pickle
    (a module-level function, a ``functools.partial`` of one, or an object with ``__call__``);
    it is sent with every chunk, so it should be small and build anything heavy lazily in the
    worker. ``spawn`` starts fresh interpreters instead of forking (for callers whose process
    holds threads or event loops).
    """
    try:
        pickle.dumps(fn)
    except Exception as exc:  # a lambda or a closure, say
        raise ConfigError(
            f"the work cannot be sent to worker processes: {exc}",
            hint="use a module-level function or callable object (or one worker)",
        ) from None
    source = iter(items)
    pending: deque[Future[B]] = deque()
    context = multiprocessing.get_context("spawn") if spawn else None
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        while True:
            while len(pending) < 2 * workers:
                batch = list(islice(source, chunk))
                if not batch:
                    break
                pending.append(pool.submit(fn, batch))
            if not pending:
                return
            yield pending.popleft().result()
    finally:
        # stopped early (Ctrl-C, an error, the stream closed): what has not started is dropped;
        # a KeyboardInterrupt inside ``submit`` can leave a chunk pending that no worker will
        # ever be given, and waiting for it would hang
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(owner: int) -> None:
    """In a new worker: signals as the module says, and an end when ``owner`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_end_with, args=(owner,), daemon=True).start()


def _end_with(owner: int) -> None:
    while os.getppid() == owner:
        time.sleep(1.0)
    os._exit(1)


def _apply(fn: TrajectoryFn, lines: list[bytes]) -> list[bytes]:
    """In a worker: decode, apply and encode a chunk."""
    decoder = TrajectoryDecoder()
    return [encode(fn(decoder.decode(line))) for line in lines]


def map_ordered(
    fn: TrajectoryFn,
    trajectories: Iterable[Trajectory],
    *,
    workers: int,
    chunk: int = CHUNK,
    spawn: bool = False,
    engine: Engine | None = None,
) -> Iterator[Trajectory]:
    """``fn`` over ``trajectories`` in ``workers`` processes, yielded in input order
    (as :func:`map_chunks`; trajectories travel as JSON bytes). ``workers <= 1`` maps in this
    process, unless ``engine`` is distributed (a Ray cluster): then it runs there."""
    distributed = engine is not None and engine.distributed
    if workers <= 1 and not distributed:
        yield from map(fn, trajectories)
        return
    decoder = TrajectoryDecoder()
    encoded = (encode(t) for t in trajectories)
    work = partial(_apply, fn)
    if engine is not None and distributed:
        chunks = engine.map_chunks(work, encoded, workers=workers, chunk=chunk)
    else:
        chunks = map_chunks(work, encoded, workers=workers, chunk=chunk, spawn=spawn)
    for lines in chunks:
        for line in lines:
            yield decoder.decode(line)
