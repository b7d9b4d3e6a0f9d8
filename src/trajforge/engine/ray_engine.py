"""The Ray engine: chunks of work as Ray tasks on a cluster (the ``ray`` extra).

A chunk is one task; a task whose worker dies (killed, out of memory, its node lost) is run
again by Ray, up to :data:`MAX_RETRIES` times. Every chunk's work is a pure function of its
input (ids, seeds and labels derive from the data and the run's seed), so a rerun gives the
same bytes, and the caller, which alone writes (journals, atomic shards, the output), sees
each chunk's result once: a retried worker never duplicates a record.

Results come back in input order, with at most ``workers`` chunks running and
``4 * workers`` chunks between the oldest unreturned one and the newest started, so the
stream is read lazily and the driver's memory stays flat however long it is. Chunks of cheap
items grow until a task takes about :data:`TASK_SECONDS` (Ray's cost per task is a few ms of
the driver's and the scheduler's CPU), up to :data:`MAX_ITEMS`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import islice
from time import monotonic
from typing import TYPE_CHECKING, Any, TypeVar

import ray
from ray._private.services import canonicalize_bootstrap_address

from trajforge.errors import ConfigError, TrajforgeError

if TYPE_CHECKING:
    from trajforge.agents.gate import Gate
    from trajforge.curate.duplicates import DuplicateFinder, NearSettings

A = TypeVar("A")
B = TypeVar("B")

#: Times Ray runs a task again whose worker died.
MAX_RETRIES = 3
#: Chunks started ahead of the oldest one not yet returned, per worker.
AHEAD = 4
#: About how long a task should take, where the caller lets chunks grow.
TASK_SECONDS = 0.2
#: Items per task, at most, where chunks grow.
MAX_ITEMS = 128
#: Seconds to wait for a cluster's address to accept a connection.
CONNECT_TIMEOUT_S = 10.0


class RayEngine:
    """A Ray cluster: the one at ``address``, or a local one started on first use."""

    name = "ray"
    distributed = True

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    def connect(self) -> None:
        """Join the cluster (a no-op when this process already has); an address nothing answers
        at fails within :data:`CONNECT_TIMEOUT_S` (Ray itself would wait for minutes)."""
        if ray.is_initialized():
            return
        if self.address is not None:
            check_reachable(self.address)
        try:
            ray.init(
                address=self.address,
                include_dashboard=False,
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(
                f"cannot join the Ray cluster at {self.address}: {exc}",
                hint="start it with `ray start --head`, or leave the address out for a local one",
            ) from None
        quiet_ray_data()

    def default_workers(self) -> int:
        """The cluster's CPUs."""
        self.connect()
        return cluster_cpus()

    def map_chunks(
        self, fn: Callable[[list[A]], B], items: Iterable[A], *, workers: int, chunk: int
    ) -> Iterator[B]:
        """``fn`` over chunks of ``items`` as Ray tasks, results in input order (see module).

        Chunks start at ``chunk`` items and grow (or shrink back, never below ``chunk``) so that
        a task takes about :data:`TASK_SECONDS`, up to :data:`MAX_ITEMS`: callers whose items
        must stay apart send them as lists, one item each."""
        self.connect()
        workers = max(1, workers)
        task = _chunk_task()
        fn_ref = ray.put(fn)  # sent once, not with every chunk
        source = iter(items)
        sizing = _Sizing(chunk)
        running: dict[Any, tuple[int, int, float]] = {}  # ref: (chunk number, items, sent at)
        finished: dict[int, B] = {}
        started = returned = 0
        try:
            while True:
                while len(running) < workers and started - returned < AHEAD * workers:
                    batch = list(islice(source, sizing.size))
                    if not batch:
                        break
                    running[task.remote(fn_ref, batch)] = (started, len(batch), monotonic())
                    started += 1
                if returned in finished:
                    yield finished.pop(returned)
                    returned += 1
                    continue
                if not running:
                    return
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    number, count, sent = running.pop(ref)
                    finished[number] = _result(ref)
                    sizing.took(count, monotonic() - sent)
        finally:  # stopped early: what is still running is of no use
            for ref in running:
                ray.cancel(ref)

    def duplicate_finder(self, *, exact: bool, near: NearSettings | None) -> DuplicateFinder:
        """A finder that signs on the cluster and bands by a Ray Data shuffle."""
        from trajforge.engine.dedup import RayDuplicateFinder  # noqa: PLC0415

        self.connect()
        return RayDuplicateFinder(exact=exact, near=near)

    def endpoint_gates(self, endpoints: Iterable[str], limit: int) -> Callable[[str], Gate] | None:
        """One gate actor per endpoint, ``limit`` requests in flight across the cluster (alive
        while the returned object is)."""
        from trajforge.engine.limits import RayGates  # noqa: PLC0415

        self.connect()
        return RayGates.of(endpoints, limit)


def check_reachable(address: str) -> None:
    """Fail with what to do unless something accepts connections at the cluster's ``address``
    (``auto``: the cluster this machine started last, or ``RAY_ADDRESS``)."""
    target = address.removeprefix("ray://")
    if target == "auto":
        try:
            resolved = canonicalize_bootstrap_address(target)
        except ConnectionError:
            resolved = None  # none running: ray.init says so at once
        if resolved is None:
            return
        target = resolved
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(
            f"{address!r} is not a Ray cluster address",
            path="--ray-address",
            hint="give HOST:PORT (the head's GCS port, 6379 by default), ray://HOST:10001, or auto",
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ConfigError(
            f"no Ray cluster answers at {address}: {exc.strerror or exc}",
            path="--ray-address",
            hint="start it with `ray start --head`, check the address and port, "
            "or leave the address out for a local cluster",
        ) from None


class _Sizing:
    """Items per task: ``least`` at first, then what the last tasks say takes about
    :data:`TASK_SECONDS` (each task costs the driver and Ray's scheduler a few ms of CPU, so
    tasks of cheap items are made bigger; tasks of slow items, such as a model's, stay small)."""

    def __init__(self, least: int) -> None:
        self.size = self.least = least
        self._per_item: float | None = None

    def took(self, items: int, seconds: float) -> None:
        """A task of ``items`` came back after ``seconds``."""
        per_item = seconds / items
        # smoothed: one task that waited on a busy machine does not swing the size
        self._per_item = per_item if self._per_item is None else (self._per_item + per_item) / 2
        wanted = int(TASK_SECONDS / max(self._per_item, 1e-9))
        self.size = max(self.least, min(MAX_ITEMS, wanted))


def cluster_cpus() -> int:
    """The CPUs of the cluster this process has joined."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(1, int(resources.get("CPU", 1)))


def quiet_ray_data() -> None:
    """No progress bars or per-dataset log lines from Ray Data: the CLI has its own bar."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.enable_auto_log_stats = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _result(ref: Any) -> Any:
    """A finished task's result; a task Ray gave up on (its worker died every time) fails the
    run with what to do."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # the work itself raised: its own error
        raise exc.cause from None
    except ray.exceptions.RayError as exc:
        raise TrajforgeError(
            f"a Ray task failed {MAX_RETRIES + 1} times: {type(exc).__name__}: {exc}",
            hint="see the Ray logs of the cluster; rerunning the same command resumes",
        ) from None


@cache
def _chunk_task() -> Any:
    @ray.remote(max_retries=MAX_RETRIES)
    def run_chunk(fn: Callable[[list[Any]], Any], batch: list[Any]) -> Any:
        return fn(batch)

    return run_chunk
