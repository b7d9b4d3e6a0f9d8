"""What keeps the workspace safe: the secret key, argon2 passwords, CSRF tokens and the login
rate limit."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from trajforge.errors import ConfigError

SECRET_ENV: Final = "TRAJFORGE_SECRET_KEY"
#: The shortest secret key accepted (characters).
MIN_SECRET: Final = 32
#: Keys from examples and tutorials: a server started with one is not secret at all.
DEFAULT_SECRETS: Final = frozenset(
    {"changeme", "change-me", "secret", "secret-key", "dev", "development", "default", "test"}
)

_hasher = PasswordHasher()


def load_secret(key_file: Path | None = None) -> str:
    """The session-signing key: the content of ``key_file``, else ``TRAJFORGE_SECRET_KEY``. A
    ConfigError when there is none, or it is short or a well-known default."""
    where = str(key_file) if key_file is not None else SECRET_ENV
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the secret key file: {exc.strerror}", file=where
            ) from None
    else:
        key = os.environ.get(SECRET_ENV, "").strip()
    hint = (
        f"set {SECRET_ENV} (or --secret-key-file) to a random value of {MIN_SECRET}+ characters, "
        'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
    )
    if not key:
        raise ConfigError(f"no secret key: {where} is not set", hint=hint)
    if key.lower() in DEFAULT_SECRETS or len(set(key)) < 8:
        raise ConfigError(f"the secret key in {where} is a default value", hint=hint)
    if len(key) < MIN_SECRET:
        raise ConfigError(f"the secret key in {where} is shorter than {MIN_SECRET}", hint=hint)
    return key


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_csrf_token() -> str:
    """A fresh CSRF token for a session."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Whether a submitted CSRF token is the session's (compared in constant time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class RateLimiter:
    """At most ``limit`` failed attempts per key in ``window`` seconds (in this process)."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, at: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and at - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        """Whether ``key`` used up its attempts."""
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def fail(self, key: str) -> None:
        """Count a failed attempt of ``key``."""
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        """Forget ``key``'s failures (after a successful login)."""
        with self._lock:
            self._failures.pop(key, None)


class LoginLimits:
    """Failed logins allowed in a minute: per username (guessing one password), and per client
    address (trying many usernames)."""

    def __init__(self) -> None:
        self.per_user = RateLimiter(limit=5, window=60.0)
        self.per_client = RateLimiter(limit=50, window=60.0)
