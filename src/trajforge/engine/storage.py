"""Whether a worker sees the driver's storage: the token a driver leaves in a directory.

Workers write files themselves (journal segments, shards, a file stage's output) only where
they see the driver's directory: the driver leaves a fresh token there, and a worker that reads
another token, or none (a node that does not mount the driver's storage), sends its results
back for the driver to write instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from trajforge.io.atomic import atomic_write

#: The token file a driver leaves in a directory its workers write to.
TOKEN_NAME = ".driver-token"


@dataclass(frozen=True)
class SharedDirectory:
    """A directory as the workers are told it, and the driver's token there."""

    directory: str
    token: str

    @classmethod
    def claim(cls, directory: Path) -> Self:
        """Leave a fresh token in ``directory`` (this driver's workers may write there now)."""
        directory.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        with atomic_write(directory / TOKEN_NAME) as f:
            f.write(token.encode())
        return cls(str(directory), token)

    def reachable(self) -> bool:
        """Whether this process sees the driver's directory (its token is there)."""
        try:
            return (Path(self.directory) / TOKEN_NAME).read_text() == self.token
        except OSError:
            return False

    def release(self) -> None:
        """Remove the token: the driver's workers are done."""
        (Path(self.directory) / TOKEN_NAME).unlink(missing_ok=True)
