"""The one exception family of trajforge: every error carries where it happened and a hint."""

from __future__ import annotations


class TrajforgeError(Exception):
    """Base error: a message plus optional location (file, line, field path) and a hint."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.path = path
        self.hint = hint

    @property
    def location(self) -> str:
        """Human-readable location such as ``line 12 of runs/a.jsonl``."""
        if self.file and self.line is not None:
            return f"line {self.line} of {self.file}"
        if self.file:
            return self.file
        if self.line is not None:
            return f"line {self.line}"
        return ""

    def __str__(self) -> str:
        parts = [p for p in (self.location, self.path) if p]
        return ": ".join([*parts, self.message])

    def located(self, *, file: str | None = None, line: int | None = None) -> TrajforgeError:
        """Return the same error with file/line filled in where they were unknown."""
        self.file = self.file or file
        self.line = self.line if self.line is not None else line
        return self


class InputError(TrajforgeError):
    """Input data is malformed: bad JSON, bad UTF-8, a corrupt or truncated file."""


class SchemaError(InputError):
    """A record is well-formed JSON but does not match the trajectory schema."""


class ConversionError(InputError):
    """A record cannot be converted between trajforge and an external format."""


class IntegrityError(InputError):
    """A file failed an integrity check: a compressed stream's checksum, or a shard's sha256 in
    its manifest. What was read from it may be altered, so it is not a bad record to set aside:
    readers raise it even when given ``on_error``."""


class ConfigError(TrajforgeError):
    """A command-line option or run configuration is invalid."""


class EndpointError(TrajforgeError):
    """An OpenAI-compatible model endpoint refused a request, or kept failing past the retries.

    ``status`` is the last HTTP status (``None`` for timeouts and connection errors) and
    ``attempts`` how many requests were made.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, path=path, hint=hint)
        self.status = status
        self.attempts = attempts


class EndpointDownError(EndpointError):
    """An endpoint's circuit breaker is open: enough requests in a row failed that the endpoint is
    taken for down, and its clients send nothing more (see ``agents.breaker``)."""


class ToolCallParseError(TrajforgeError):
    """Model output that looks like a tool call but cannot be read as one (``path``: which call)."""
