"""Reading TOML configuration files (run configs, score weights) with located errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from trajforge.errors import ConfigError


def read_toml(path: str | Path, *, what: str = "the config") -> dict[str, Any]:
    """The tables of the TOML file at ``path``; a ConfigError names the file (``what`` says
    which file it is, as in "cannot read the run config")."""
    file = str(path)
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", file=file) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=file) from None
