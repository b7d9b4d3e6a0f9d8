"""The generic registry: built-ins by path, decorators, entry points, short names, bad plugins."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trajforge.errors import ConfigError
from trajforge.pipeline.registry import BUILTIN, PluginError, Registry


def _number(obj: object) -> int:
    if not isinstance(obj, int):
        raise TypeError(f"expected an int, got {type(obj).__name__}")
    return obj


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[str]:
    """A distribution 'acme-plugins' on sys.path with entry points in a group of this test."""
    group = f"trajforge.test_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "acme_numbers.py").write_text("SEVEN = 7\nWORD = 'seven'\n")
    (tmp_path / "acme_broken.py").write_text("raise ImportError('no such thing here')\n")
    info = tmp_path / "acme_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{group}]\nseven = acme_numbers:SEVEN\nword = acme_numbers:WORD\nbroken = acme_broken:X\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield group
    sys.path.remove(str(tmp_path))
    for name in ("acme_numbers", "acme_broken"):
        sys.modules.pop(name, None)


def test_builtins_load_on_first_use_and_name_the_choices() -> None:
    sys.modules.pop("tests.pipeline.numbers", None)
    registry = Registry("number", "trajforge.none", {"answer": "tests.pipeline.numbers:ANSWER"})
    assert registry.names() == ["answer"]
    assert "tests.pipeline.numbers" not in sys.modules
    assert registry.get("answer") == 42
    with pytest.raises(ConfigError, match="unknown number 'other'") as info:
        registry.get("other")
    assert info.value.hint == "choose one of: answer"


def test_decorators_register_and_refuse_a_taken_name() -> None:
    registry: Registry[object] = Registry("thing", "trajforge.none")

    @registry.register()
    def double(x: int) -> int:
        return 2 * x

    assert registry.get("double") is double
    assert registry.entries()[0].origin.startswith("registered by")
    with pytest.raises(ConfigError, match="registered already"):
        registry.add("double", len)
    registry.remove("double")
    assert "double" not in registry


def test_entry_points_are_namespaced_found_by_short_name_and_checked(installed: str) -> None:
    registry = Registry("number", installed, check=_number)
    assert set(registry.names()) == {
        "acme-plugins/seven",
        "acme-plugins/word",
        "acme-plugins/broken",
    }
    assert registry.get("seven") == 7
    assert registry.get("acme-plugins/seven") == 7
    with pytest.raises(PluginError, match="'acme-plugins/word' is not usable: expected an int"):
        registry.get("word")
    loaded, errors = registry.load_all()
    assert loaded == {"acme-plugins/seven": 7}  # the others keep working
    assert sorted(str(e) for e in errors) == [
        "number 'acme-plugins/broken' failed to load: ImportError: no such thing here",
        "number 'acme-plugins/word' is not usable: expected an int, got str",
    ]
    assert errors[0].hint is not None
    assert "entry point of acme-plugins" in errors[0].hint


def test_a_short_name_shared_by_two_entries_needs_the_full_name(installed: str) -> None:
    registry = Registry("number", installed, {"seven": "tests.pipeline.numbers:ANSWER"})
    assert registry.get("seven") == 42  # the exact name wins
    assert registry.entries()[0].origin == BUILTIN
    registry.add("other/word", 3)
    with pytest.raises(ConfigError, match="unknown number 'word'"):
        registry.get("word")
