"""The format registry: built-ins, formats added by code, and the errors of --from/--to."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.io.sample_data import minimal_trajectory
from trajforge.errors import ConfigError, InputError
from trajforge.formats.base import Format
from trajforge.formats.openai_files import FORMAT as OPENAI
from trajforge.formats.registry import FORMATS, get_reader, get_writer
from trajforge.io import BadRecord, WriteResult
from trajforge.pipeline.registry import PluginError
from trajforge.schema import Trajectory


def test_the_built_in_formats() -> None:
    assert FORMATS.names()[:2] == ["trajforge", "openai"]
    for name in ("trajforge", "openai"):
        fmt = FORMATS.get(name)
        assert fmt.name == name
        assert ".jsonl" in fmt.suffixes
        assert fmt.read is not None
        assert fmt.write is not None


def test_an_unknown_format_names_the_registered_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        get_reader("csv")
    assert str(caught.value) == "--from: unknown format 'csv'"
    assert caught.value.hint == "choose one of: " + ", ".join(FORMATS.names())
    with pytest.raises(ConfigError, match="--to: unknown format 'csv'"):
        get_writer("csv")


@pytest.fixture
def sink_only() -> Iterator[list[Trajectory]]:
    """A format registered by this test that can only be written (to a list)."""
    written: list[Trajectory] = []

    def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
        written.extend(trajectories)
        return WriteResult(len(written), (Path(dest),))

    FORMATS.add("sink-only", Format("sink-only", "a list in memory", (), write=write))
    try:
        yield written
    finally:
        FORMATS.remove("sink-only")
    assert "sink-only" not in FORMATS


def test_a_format_added_by_code_is_used_and_a_missing_side_is_a_clear_error(
    sink_only: list[Trajectory],
) -> None:
    (entry,) = [e for e in FORMATS.entries() if e.name == "sink-only"]
    assert entry.origin == "registered by code"  # not by the module of the Format class
    trajectory = minimal_trajectory(0)
    result = get_writer("sink-only")("memory", [trajectory], shard_size=10)
    assert (result.count, sink_only) == (1, [trajectory])
    with pytest.raises(ConfigError) as caught:
        get_reader("sink-only")
    assert str(caught.value) == "--from: the sink-only format cannot be read (it has no reader)"
    readable = [name for name in FORMATS.names() if FORMATS.get(name).read is not None]
    assert caught.value.hint == "formats that can be read: " + ", ".join(readable)


def test_what_is_no_format_cannot_be_registered() -> None:
    with pytest.raises(PluginError, match=r"expected a trajforge\.formats\.base\.Format, got dict"):
        FORMATS.add("not-a-format", {"read": None})
    with pytest.raises(PluginError, match="needs a reader or a writer"):
        FORMATS.add("empty", Format("empty", "nothing", ()))
    assert "not-a-format" not in FORMATS
    assert "empty" not in FORMATS


def test_the_openai_reader_locates_errors_and_sets_bad_records_aside(tmp_path: Path) -> None:
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant"}]})
    source = tmp_path / "chats.jsonl"
    source.write_text("\n".join([good, '{"messages": "nope"}', good, "{"]) + "\n")
    read_openai = OPENAI.read
    assert read_openai is not None
    bad: list[BadRecord] = []
    assert len(list(read_openai(str(source), bad.append))) == 2
    assert [(b.file, b.line) for b in bad] == [(str(source), 2), (str(source), 4)]
    with pytest.raises(InputError) as caught:
        list(read_openai(str(source), None))
    assert (caught.value.file, caught.value.line) == (str(source), 2)
