"""The circuit breaker of a model endpoint: when it is plainly down, stop asking it.

Every request a client makes ends in one of two ways for the breaker. An answer the endpoint
meant (a completion, or a refusal of that very request such as a 400) shows that it serves, and
clears the count. A request that failed for the endpoint's own reasons after its retries and its
deadline (no connection, time-outs, 5xx, 429, answers that are not chat completions) adds one.
When ``trip_after`` requests in a row have failed, the breaker opens, for good: the request that
tripped it and every later one raise ``EndpointDownError`` at once, and requests still waiting on an
attempt or a back-off are cut short with it, so a run stops within moments instead of spending
every remaining episode's deadline on an endpoint that is gone. A later run (a new breaker) tries
again.

Counting failures in a row, not failures per second, keeps the breaker free of clocks: a failed
request has already spent its retries and deadline, so ``trip_after`` of them in a row, with no
success between, is minutes of an endpoint that does not serve.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Final

from trajforge.errors import EndpointDownError, EndpointError

DEFAULT_TRIP_AFTER: Final = 5


class CircuitBreaker:
    """Opens after ``trip_after`` failed requests in a row (see the module docstring)."""

    def __init__(self, trip_after: int = DEFAULT_TRIP_AFTER) -> None:
        if trip_after < 1:
            raise ValueError("trip_after must be >= 1")
        self.trip_after = trip_after
        #: Failed requests since the last answer.
        self.failures = 0
        #: Why the breaker opened (None while it is closed).
        self.tripped: EndpointDownError | None = None
        self._waiting: set[asyncio.Task[object]] = set()
        self._cut: set[asyncio.Task[object]] = set()

    def check(self) -> None:
        """Raise ``EndpointDownError`` if the breaker is open."""
        if self.tripped is not None:
            raise self._down(self.tripped)

    def succeeded(self) -> None:
        """The endpoint answered: the failures in a row start over."""
        self.failures = 0

    def failed(self, error: EndpointError) -> EndpointError:
        """Count a failed request; the error to raise for it (``EndpointDownError`` once open)."""
        if self.tripped is not None:
            return self._down(self.tripped)
        self.failures += 1
        if self.failures < self.trip_after:
            return error
        self.tripped = EndpointDownError(
            f"the endpoint seems down: {self.failures} requests in a row failed; "
            f"the last one: {error.message}",
            status=error.status,
            attempts=error.attempts,
            path=error.path,
            hint="nothing more is sent to it: check the server, then run the same command again",
        )
        current = _current_task()
        for task in self._waiting - {current}:
            self._cut.add(task)
            task.cancel()
        return self.tripped

    @staticmethod
    def _down(first: EndpointDownError) -> EndpointDownError:
        """A fresh copy of the error that opened the breaker (one instance raised in many
        tasks would pile up their tracebacks)."""
        return EndpointDownError(
            first.message,
            status=first.status,
            attempts=first.attempts,
            path=first.path,
            hint=first.hint,
        )

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Run the block as a request the breaker may cut short: when the breaker opens, the
        block's await is cancelled and ``EndpointDownError`` comes out of it instead."""
        self.check()
        task = _current_task()
        if task is None:  # not in a task: nothing to cut short
            yield
            return
        self._waiting.add(task)
        try:
            yield
        except asyncio.CancelledError:
            # only the breaker's own cancellation becomes EndpointDownError; any other (Ctrl-C, a
            # caller's time-out) goes on as it came
            if task in self._cut and task.uncancel() == 0 and self.tripped is not None:
                raise self._down(self.tripped) from None
            raise
        finally:
            self._waiting.discard(task)
            self._cut.discard(task)


def _current_task() -> asyncio.Task[object] | None:
    """The task running now, if any (None outside an event loop)."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
