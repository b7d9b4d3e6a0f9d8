"""The virtual file system: path normalisation and confinement, listing, sizes, volumes.

Files live in ``state.files`` (a dict path -> text); the host's file system is never touched. Every
path an agent gives is normalised with ``posixpath.normpath`` on a rooted path, so ``..`` cannot
climb above the virtual root: ``../../etc/passwd`` becomes ``/etc/passwd`` *of the virtual tree*.
NUL bytes, control characters, over-long paths and over-long names are refused outright.
"""

from __future__ import annotations

import posixpath

from trajforge.envs.itops.state import ItOpsState
from trajforge.envs.tools import ToolError

MAX_PATH = 1024
MAX_NAME = 255
MAX_FILE = 1024 * 1024
#: Roots the policy allows the agent to modify.
WRITABLE_ROOTS = ("/etc", "/srv", "/var/log")


def normalize(path: str) -> str:
    """A clean absolute path inside the virtual tree, or a ToolError saying why not."""
    if not path:
        raise ToolError("path must not be empty", kind="invalid_path")
    if "\x00" in path:
        raise ToolError("path contains a NUL byte", kind="invalid_path")
    if len(path) > MAX_PATH:
        raise ToolError(
            f"path is too long ({len(path)} characters; at most {MAX_PATH})", kind="invalid_path"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise ToolError("path contains a control character", kind="invalid_path")
    clean = posixpath.normpath("/" + path.lstrip("/"))
    if any(len(part) > MAX_NAME for part in clean.split("/")):
        raise ToolError(f"a file name in the path is longer than {MAX_NAME}", kind="invalid_path")
    return clean


def is_writable(path: str) -> bool:
    """Whether a normalised path is under a root the policy lets the agent modify."""
    return any(path == root or path.startswith(root + "/") for root in WRITABLE_ROOTS)


def is_dir(state: ItOpsState, path: str) -> bool:
    """Whether a directory exists (directories are implied by the files below them)."""
    if path == "/":
        return True
    prefix = path + "/"
    return any(p.startswith(prefix) for p in state.files)


def size_of(state: ItOpsState, path: str) -> int:
    """The apparent size of a file in bytes (big placeholder files carry an override)."""
    override = state.sizes.get(path)
    return override if override is not None else len(state.files[path].encode())


def read(state: ItOpsState, path: str) -> str:
    """A file's text; ToolError for directories and missing paths."""
    text = state.files.get(path)
    if text is not None:
        return text
    if is_dir(state, path):
        raise ToolError(f"{path} is a directory; use list_dir", kind="is_a_directory")
    raise ToolError(f"no such file: {path}", kind="not_found")


def listing(state: ItOpsState, path: str) -> list[dict[str, object]]:
    """The entries directly inside a directory: name, type and size."""
    if path in state.files:
        raise ToolError(f"{path} is a file, not a directory; use read_file", kind="not_a_directory")
    prefix = "/" if path == "/" else path + "/"
    files: dict[str, int] = {}
    dirs: set[str] = set()
    for p in state.files:
        if not p.startswith(prefix):
            continue
        rest = p[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            dirs.add(head)
        else:
            files[head] = size_of(state, p)
    if not files and not dirs:
        raise ToolError(f"no such directory: {path}", kind="not_found")
    entries: list[dict[str, object]] = [{"name": d + "/", "type": "dir"} for d in sorted(dirs)]
    entries += [{"name": f, "type": "file", "size": s} for f, s in sorted(files.items())]
    return entries


def volume_of(path: str) -> str:
    """The volume (mount point) a log path lives on: each service has its own log volume."""
    parts = path.split("/")
    return "/".join(parts[:4]) if path.startswith("/var/log/") and len(parts) > 4 else "/var/log"


def volume_used(state: ItOpsState, volume: str) -> int:
    """Bytes used on a volume."""
    prefix = volume + "/"
    return sum(size_of(state, p) for p in state.files if p.startswith(prefix))


def human(n: int) -> str:
    """A byte count the way ``du -h`` prints it."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}GiB"
