"""The virtual file system is a sandbox: no path reaches or reveals the host's file system."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import pytest

import trajforge.envs.itops as itops_package
from tests.envs.itops.helpers import fresh
from trajforge.envs.itops import vfs
from trajforge.envs.tools import ToolError
from trajforge.schema import ToolCall, ToolResult

HOSTILE = [
    "../../etc/passwd",
    "/etc/../../../etc/shadow",
    "/etc/passwd",
    "/etc/shadow",
    "etc/passwd",
    "/root/.ssh/id_rsa",
    "/proc/self/environ",
    "/proc/self/root/etc/passwd",
    "/proc/1/cwd/etc/passwd",
    "/dev/fd/0",
    "/dev/stdin",
    "file:///etc/passwd",
    "~/.ssh/id_rsa",
    "~root/.bashrc",
    "$HOME/.bashrc",
    "%2e%2e/%2e%2e/etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/var/log/../../etc/passwd",
    "/var/log/../../../../../../../../etc/passwd",
    "//etc//passwd",
    "///etc/passwd",
    "/./etc/./passwd",
    "/etc/hosts/../../../../../etc/passwd",
    "/etc/hosts/",
    "/etc/" + "../" * 400 + "etc/passwd",
    "a" * 5000,
    "/" + "x" * 300,
    "/etc/passwd\x00.yaml",
    "/etc\x00/passwd",
    "\x00",
    "",
    "\n/etc/passwd",
    "/etc/passwd\r",
    "/tmp",
    "/",
    ".",
    "..",
]


def _host_paths() -> list[str]:
    here = pathlib.Path(__file__).resolve()
    return [
        str(here),
        str(here.parent),
        os.getcwd(),
        os.path.join(os.getcwd(), "pyproject.toml"),
        sys.executable,
        os.path.expanduser("~"),
        "/work/main/pyproject.toml",
    ]


def _host_secrets() -> list[str]:
    lines: list[str] = []
    for path in ("/etc/passwd", "/etc/hostname", "/etc/os-release"):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines += [ln.strip() for ln in handle if len(ln.strip()) > 12]
        except OSError:
            continue
    return lines


class HostTouchedError(AssertionError):
    """Raised by the patched OS functions."""


@contextmanager
def no_host_fs() -> Iterator[list[str]]:
    """Make every way to reach the host's files fail (and record attempts) inside the block."""
    attempts: list[str] = []

    def trap(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args!r}")
            raise HostTouchedError(f"{name} called during tool execution: {args!r}")

        return fail

    targets: list[tuple[Any, str]] = [
        (builtins, "open"),
        (io, "open"),
        (io, "open_code"),
        (os, "open"),
        (os, "stat"),
        (os, "lstat"),
        (os, "listdir"),
        (os, "scandir"),
        (os, "readlink"),
        (os, "remove"),
        (os, "unlink"),
        (os, "rename"),
        (os, "replace"),
        (os, "mkdir"),
        (os, "makedirs"),
        (os, "rmdir"),
        (os, "truncate"),
        (os, "access"),
        (os, "chmod"),
        (os, "symlink"),
        (os, "link"),
        (os, "walk"),
        (os, "system"),
        (os.path, "exists"),
        (os.path, "isfile"),
        (os.path, "isdir"),
        (os.path, "realpath"),
        (pathlib.Path, "open"),
        (pathlib.Path, "read_text"),
        (pathlib.Path, "read_bytes"),
        (pathlib.Path, "write_text"),
        (pathlib.Path, "exists"),
        (pathlib.Path, "resolve"),
    ]
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr in targets if hasattr(obj, attr)]
    for obj, attr, _ in saved:
        setattr(obj, attr, trap(f"{getattr(obj, '__name__', obj)}.{attr}"))
    try:
        yield attempts
    finally:
        for obj, attr, original in saved:
            setattr(obj, attr, original)


def _calls(path: str) -> list[ToolCall]:
    return [
        ToolCall(id="1", name="read_file", arguments={"path": path}),
        ToolCall(id="2", name="read_file", arguments={"path": path, "tail": 3}),
        ToolCall(id="3", name="list_dir", arguments={"path": path}),
        ToolCall(id="4", name="edit_file", arguments={"path": path, "old": "root", "new": "toor"}),
        ToolCall(
            id="5",
            name="append_to_file",
            arguments={"path": path, "text": "pwned:x:0:0::/:/bin/sh"},
        ),
        ToolCall(id="6", name="clear_file", arguments={"path": path}),
        ToolCall(id="7", name="search_logs", arguments={"service": path, "pattern": "root"}),
        ToolCall(id="8", name="service_status", arguments={"name": path}),
        ToolCall(id="9", name="rollback", arguments={"service": path, "version": path or "x"}),
    ]


def test_normalize_confines_paths_to_the_virtual_root() -> None:
    assert vfs.normalize("../../etc/passwd") == "/etc/passwd"
    assert vfs.normalize("/etc/../../../etc/shadow") == "/etc/shadow"
    assert vfs.normalize("//etc//passwd") == "/etc/passwd"
    assert vfs.normalize("/./etc/./hosts/") == "/etc/hosts"
    assert vfs.normalize("/var/log/" + "../" * 50 + "root") == "/root"
    assert vfs.normalize(".") == "/"
    assert vfs.normalize("..") == "/"
    assert vfs.normalize("srv/app/.env") == "/srv/app/.env"
    for bad in ("", "\x00", "/etc\x00/passwd", "a" * 1025, "/" + "x" * 256, "/etc/\n", "/etc\x7f"):
        with pytest.raises(ToolError) as info:
            vfs.normalize(bad)
        assert info.value.kind == "invalid_path"
    for path in HOSTILE:
        try:
            clean = vfs.normalize(path)
        except ToolError:
            continue
        assert clean.startswith("/")
        assert ".." not in clean.split("/")
        assert "//" not in clean


@pytest.mark.parametrize("difficulty", [1, 3])
def test_hostile_paths_never_touch_or_reveal_the_host(difficulty: int) -> None:
    env, _ = fresh(17, difficulty)
    secrets = _host_secrets()
    before = set(env.state()["files"])
    results: list[tuple[str, ToolResult]] = []
    paths = HOSTILE + _host_paths()
    with no_host_fs() as attempts:
        for path in paths:
            for tool_call in _calls(path):
                results.append((path, env.execute(tool_call)))
    assert attempts == []
    files = env.state()["files"]
    assert set(files) <= before, "a tool created a file"
    assert all(p == vfs.normalize(p) for p in files)
    for path, result in results:
        assert "root:x:0:0" not in result.content
        assert "pwned" not in result.content
        for secret in secrets:
            assert secret not in result.content, (path, result.name)
        if result.status == "ok" and result.name in ("read_file", "list_dir"):
            clean = vfs.normalize(path)
            assert clean in before or any(p.startswith(clean.rstrip("/") + "/") for p in before)
    host = [p for p in _host_paths() if os.path.exists(p)]
    assert host, "the test needs at least one real host path"


def test_host_paths_resolve_inside_the_virtual_tree_only() -> None:
    env, _ = fresh(3, 1)
    with no_host_fs() as attempts:
        cwd = env.execute(
            ToolCall(id="1", name="read_file", arguments={"path": os.getcwd() + "/pyproject.toml"})
        )
        virtual_hosts = env.execute(
            ToolCall(id="2", name="read_file", arguments={"path": "../../../etc/hosts"})
        )
        listing = env.execute(ToolCall(id="3", name="list_dir", arguments={"path": "/../../.."}))
    assert attempts == []
    assert cwd.status == "error"
    assert cwd.error_kind == "not_found"
    assert virtual_hosts.content == env.state()["files"]["/etc/hosts"]
    names = {e["name"] for e in msgspec.json.decode(listing.content)["entries"]}
    assert names == {"etc/", "home/", "srv/", "usr/", "var/"}


def test_writes_through_dotdot_stay_in_the_virtual_tree() -> None:
    env, _ = fresh(4, 1)
    with no_host_fs() as attempts:
        result = env.execute(
            ToolCall(
                id="1",
                name="append_to_file",
                arguments={
                    "path": "/var/log/../../etc/../etc/hosts",
                    "text": "10.0.0.99 extra.internal",
                },
            )
        )
        created = env.execute(
            ToolCall(
                id="2",
                name="append_to_file",
                arguments={"path": "../../../../tmp/evil.sh", "text": "echo pwned"},
            )
        )
    assert attempts == []
    assert result.status == "ok"
    assert msgspec.json.decode(result.content)["path"] == "/etc/hosts"
    assert env.state()["files"]["/etc/hosts"].endswith("10.0.0.99 extra.internal\n")
    assert created.status == "error"
    assert created.error_kind == "not_found"
    assert "/tmp/evil.sh" not in env.state()["files"]


def test_errors_name_the_problem() -> None:
    env, _ = fresh(5, 1)
    cases = {
        "/etc\x00/passwd": "NUL",
        "a" * 2000: "too long",
        "/" + "y" * 300: "longer than 255",
        "": "empty",
        "/etc/\x1b[31m": "control character",
    }
    for path, words in cases.items():
        result = env.execute(ToolCall(id="1", name="read_file", arguments={"path": path}))
        assert result.status == "error"
        assert result.error_kind == "invalid_path"
        assert words in msgspec.json.decode(result.content)["error"]
    too_long = env.execute(ToolCall(id="2", name="read_file", arguments={"path": "p" * 5000}))
    assert too_long.status == "error"
    assert "path" in msgspec.json.decode(too_long.content)["error"]


def test_expert_runs_never_touch_the_host() -> None:
    for difficulty in (1, 2, 3):
        env, task = fresh(23, difficulty)
        with no_host_fs() as attempts:
            for i, a in enumerate(task.expected_actions):
                env.execute(ToolCall(id=str(i), name=a.name, arguments=a.arguments))
            outcome = env.check(task)
        assert attempts == []
        assert outcome.status == "success"


def test_env_module_has_no_file_system_imports() -> None:
    root = pathlib.Path(itops_package.__file__).parent
    for module in root.glob("*.py"):
        text = module.read_text()
        for forbidden in ("import os", "import shutil", "import pathlib", "open(", "subprocess"):
            assert forbidden not in text, (module.name, forbidden)


def test_no_file_creation_or_deletion_via_tools() -> None:
    env, _ = fresh(8, 2)
    before = set(env.state()["files"])
    for path in ("/etc/new.conf", "/srv/x/.env", "/var/log/new.log"):
        for name, args in (
            ("append_to_file", {"path": path, "text": "x"}),
            ("edit_file", {"path": path, "old": "a", "new": "b"}),
            ("clear_file", {"path": path}),
        ):
            assert (
                env.execute(ToolCall(id="1", name=name, arguments=args)).error_kind == "not_found"
            )
    assert set(env.state()["files"]) == before
