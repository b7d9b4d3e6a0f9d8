"""What the base URL of an OpenAI-compatible endpoint must look like, checked before any work."""

from __future__ import annotations

from urllib.parse import urlsplit

from trajforge.errors import ConfigError


def check_base_url(url: str, *, path: str, file: str | None = None) -> str:
    """The URL, when it can be an endpoint's base URL (``http`` or ``https``, with a host);
    else a ConfigError located at ``path`` (the option or field that gave it)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise ConfigError(
            f"{url!r} is not a URL: {exc}", file=file, path=path, hint=_HINT
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{url!r} is not an http(s) URL with a host", file=file, path=path, hint=_HINT
        )
    return url


_HINT = "give the endpoint's base URL, such as http://127.0.0.1:8080/v1"
