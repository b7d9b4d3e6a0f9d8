"""A scripted OpenAI-compatible chat endpoint on loopback, for tests and benchmarks.

``FakeEndpoint`` is a small HTTP/1.1 server (asyncio, keep-alive, no dependencies) that runs in a
background thread on ``127.0.0.1`` and a free port. ``POST /v1/chat/completions`` answers with
the next scripted ``FakeResponse`` (``script``), else what ``handler(request)`` returns, else a
plain text answer; every response waits ``latency_s`` first (or its own ``delay_s``).
``GET /v1/models`` answers too, for readiness checks; with ``api_key`` set, a request without
that key gets a 401. Builders cover the behaviours a client must
survive: ``tool_calls`` (native calls, optionally with broken argument JSON), ``text`` (Hermes
tool calls in text, ``finish_reason="length"``...), ``message`` (any message shape),
``error`` (429 with ``Retry-After``, 500s), ``hang`` (longer than the client's timeout),
``drop`` (connection closed without an answer), ``truncated`` (a 200 cut off mid-body),
``raw`` (a 200 that is not a chat completion: HTML, invalid JSON), ``empty_choices``;
``down_for`` wraps a handler in an outage (503s and dropped connections for a while).

    with FakeEndpoint(script=[error(429, retry_after=0.1), text("hi")]) as fake:
        client = ChatClient(fake.base_url, "fake")

``python -m trajforge.testing.fake_endpoint --latency-ms 50`` runs one in the foreground (it
prints its base URL), for benchmarks that want the server in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

MODEL = "fake-model"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class FakeResponse:
    """What the endpoint does for one request.

    ``body`` is sent as JSON (a chat completion is built around ``message`` when ``body`` is
    None), ``raw`` as it is, with ``content_type``; ``delay_s`` replaces the endpoint's latency;
    ``drop`` closes the connection unanswered; ``cut_after`` sends only that many bytes of the
    body (its ``content-length`` says all of them), then closes the connection.
    """

    status: int = 200
    message: dict[str, Any] | None = None
    finish_reason: str | None = "stop"
    usage: tuple[int, int] | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float | None = None
    drop: bool = False
    raw: bytes | None = None
    content_type: str = "application/json"
    cut_after: int | None = None


Handler = Callable[[dict[str, Any]], FakeResponse]


def text(content: str, *, finish_reason: str = "stop", **kwargs: Any) -> FakeResponse:
    """An assistant message with text content (Hermes tool calls in text included)."""
    message = {"role": "assistant", "content": content}
    return FakeResponse(message=message, finish_reason=finish_reason, **kwargs)


def tool_calls(
    *calls: tuple[str, dict[str, Any] | str],
    content: str | None = None,
    finish_reason: str = "tool_calls",
    **kwargs: Any,
) -> FakeResponse:
    """Native ``tool_calls``: ``(name, arguments)``, arguments as a dict or as raw JSON text."""
    wire = []
    for index, (name, arguments) in enumerate(calls):
        raw = arguments if isinstance(arguments, str) else msgspec.json.encode(arguments).decode()
        wire.append(
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": raw},
            }
        )
    message = {"role": "assistant", "content": content, "tool_calls": wire}
    return FakeResponse(message=message, finish_reason=finish_reason, **kwargs)


def error(
    status: int, message: str = "scripted error", *, retry_after: float | None = None
) -> FakeResponse:
    """An error status with an OpenAI-style error body and optional ``Retry-After``."""
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    body = {"error": {"message": message, "type": "fake_error", "code": status}}
    return FakeResponse(status=status, body=body, headers=headers)


def message(**fields: Any) -> FakeResponse:
    """An assistant message of any shape (``tool_calls=["x"]``, ``content=None``...)."""
    finish_reason = fields.pop("finish_reason", "stop")
    return FakeResponse(message={"role": "assistant", **fields}, finish_reason=finish_reason)


def truncated(content: str = "cut off", *, keep: int = 40) -> FakeResponse:
    """A 200 chat completion whose body stops after ``keep`` bytes (the connection closes)."""
    return text(content, cut_after=keep)


def raw(body: bytes, content_type: str = "application/json", status: int = 200) -> FakeResponse:
    """A body sent as it is: ``raw(b"<html>...", "text/html")``, invalid JSON..."""
    return FakeResponse(status=status, raw=body, content_type=content_type)


def empty_choices() -> FakeResponse:
    """A 200 chat completion with no choices."""
    return FakeResponse(body={"id": "chatcmpl-empty", "object": "chat.completion", "choices": []})


def hang(seconds: float) -> FakeResponse:
    """A text answer that comes only after ``seconds`` (past the client's timeout, usually)."""
    return text("too late", delay_s=seconds)


def drop() -> FakeResponse:
    """Close the connection without answering."""
    return FakeResponse(drop=True)


def down_for(
    seconds: float,
    then: Handler,
    *,
    down: Sequence[FakeResponse] = (error(503, "the service is down"), drop()),
    clock: Callable[[], float] = time.monotonic,
) -> Handler:
    """A handler that is down for ``seconds`` after its first request (it answers the ``down``
    responses in turn), then answers as ``then`` does. ``clock`` tells the time."""
    answers = itertools.cycle(down)
    started: list[float] = []

    def handle(request: dict[str, Any]) -> FakeResponse:
        now = clock()
        started[:] = started or [now]
        return next(answers) if now - started[0] < seconds else then(request)

    return handle


def last_user_text(request: dict[str, Any]) -> str:
    """The content of the last user (or tool) message of a request, for routing handlers."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") in ("user", "tool") and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


class FakeEndpoint:
    """The scripted endpoint; ``start()``/``stop()`` or use it as a context manager."""

    def __init__(
        self,
        script: Iterable[FakeResponse] = (),
        *,
        handler: Handler | None = None,
        latency_s: float = 0.0,
        model: str = MODEL,
        record: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        self.script: collections.deque[FakeResponse] = collections.deque(script)
        self.handler = handler
        self.latency_s = latency_s
        self.model = model
        self.record = record
        self.requests: list[dict[str, Any]] = []
        #: The ``Authorization`` header of each recorded request ("" when none was sent).
        self.authorizations: list[str] = []
        self.host = host
        self.port = port
        #: When set, every request without ``Authorization: Bearer <api_key>`` gets a 401.
        self.api_key = api_key
        self._count = 0
        self._waiting = 0
        #: The most requests the endpoint was answering at the same time.
        self.peak_concurrency = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def served(self) -> int:
        """How many chat requests have been received."""
        return self._count

    def push(self, *responses: FakeResponse) -> None:
        """Append responses to the script."""
        self.script.extend(responses)

    # ------------------------------------------------------------ life cycle

    def start(self) -> FakeEndpoint:
        """Start serving in a background thread; returns once the port is bound."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-endpoint", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> FakeEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def serve_forever(self) -> None:
        """Serve in the current event loop until cancelled (the ``__main__`` entry point)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        async with self._server:
            await self._server.serve_forever()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)

    # ------------------------------------------------------------ HTTP

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection should close."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        keep_alive = headers.get("connection", "").lower() != "close"
        path = target.split("?", 1)[0]
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            refused = {"error": {"message": "Incorrect API key", "code": "invalid_api_key"}}
            await self._send(writer, 401, refused, {}, keep_alive)
            return keep_alive
        if method == "GET" and path.rstrip("/").endswith("/models"):
            models = {"object": "list", "data": [{"id": self.model, "object": "model"}]}
            await self._send(writer, 200, models, {}, keep_alive)
            return keep_alive
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            await self._send(writer, 404, {"error": {"message": f"no route {path}"}}, {}, False)
            return False
        try:
            request = msgspec.json.decode(body)
        except msgspec.DecodeError:
            await self._send(writer, 400, {"error": {"message": "bad JSON"}}, {}, keep_alive)
            return keep_alive
        self._count += 1
        if self.record:
            self.requests.append(request)
            self.authorizations.append(headers.get("authorization", ""))
        response = self._respond(request)
        delay = self.latency_s if response.delay_s is None else response.delay_s
        self._waiting += 1
        self.peak_concurrency = max(self.peak_concurrency, self._waiting)
        try:
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            self._waiting -= 1
        if response.drop:
            return False
        data = response.raw if response.raw is not None else self._body(response, request, body)
        headers = {"content-type": response.content_type, **response.headers}
        keep_alive = keep_alive and response.cut_after is None
        await self._send(writer, response.status, data, headers, keep_alive, response.cut_after)
        return keep_alive

    def _respond(self, request: dict[str, Any]) -> FakeResponse:
        if self.script:
            return self.script.popleft()
        if self.handler is not None:
            return self.handler(request)
        return text("OK")

    def _body(self, response: FakeResponse, request: dict[str, Any], raw: bytes) -> Any:
        if response.body is not None:
            return response.body
        message = response.message or {"role": "assistant", "content": ""}
        if response.usage is not None:
            prompt, completion = response.usage
        else:
            prompt = max(1, len(raw) // 4)
            completion = max(1, len(msgspec.json.encode(message)) // 4)
        return {
            "id": f"chatcmpl-{self._count}",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": response.finish_reason}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        status: int,
        body: Any,
        headers: dict[str, str],
        keep_alive: bool,
        cut_after: int | None = None,
    ) -> None:
        """Answer ``body`` (bytes as they are, anything else as JSON)."""
        data = body if isinstance(body, bytes) else msgspec.json.encode(body)
        fields = {"content-type": "application/json", **headers}
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"content-length: {len(data)}",
            f"connection: {'keep-alive' if keep_alive else 'close'}",
            *(f"{name}: {value}" for name, value in fields.items()),
        ]
        sent = data if cut_after is None else data[:cut_after]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + sent)
        await writer.drain()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake endpoint that answers ``OK`` after ``--latency-ms`` until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    endpoint = FakeEndpoint(latency_s=args.latency_ms / 1000.0, port=args.port, record=False)

    async def serve() -> None:
        server = asyncio.create_task(endpoint.serve_forever())
        while endpoint._server is None:
            await asyncio.sleep(0.01)
        print(endpoint.base_url, flush=True)  # the one line a parent process reads
        await server

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
