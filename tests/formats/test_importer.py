"""Importers built from a record converter: stamping, setting bad records aside, detection, and
``trajforge import`` with its report and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trajforge.errors import ConfigError, ConversionError
from trajforge.formats.detect import detect_format
from trajforge.formats.importer import import_format
from trajforge.formats.registry import FORMATS
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord
from trajforge.schema import Provenance, Trajectory

CHAT = {
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
}


def _convert(record: SourceRecord) -> Iterator[Trajectory]:
    data = record.data
    if data.get("kind") == "bad":
        raise ConversionError("not wanted here", path="kind")
    for n in range(data["n"]):  # a KeyError for records without n
        yield Trajectory(id=f"{data['id']}-{n}")


def test_records_are_converted_stamped_and_bad_ones_set_aside(tmp_path: Path) -> None:
    fmt = import_format("toy", "toy records", _convert)
    assert fmt.read is not None
    source = tmp_path / "toy.json"
    source.write_text(json.dumps([{"id": "a", "n": 2}, {"kind": "bad"}, {"id": "b"}]))
    bad: list[BadRecord] = []
    got = list(fmt.read(str(source), bad.append))
    assert [t.id for t in got] == ["a-0", "a-1"]
    assert got[0].provenance == Provenance(
        source="imported", original_format="toy", record_location=f"{source}[0]"
    )
    assert [b.error for b in bad] == [
        "[1].kind: not wanted here",
        "[2]: the record does not have the expected shape (KeyError: 'n')",
    ]
    assert [json.loads(b.raw) for b in bad] == [{"kind": "bad"}, {"id": "b"}]


def test_detection_picks_the_format_that_recognises_the_records(tmp_path: Path) -> None:
    source = tmp_path / "chats.jsonl"
    source.write_text(json.dumps(CHAT) + "\n")
    assert detect_format(str(source)).format.name == "openai"
    source.write_text(json.dumps({"x": 1}) + "\n")
    with pytest.raises(ConfigError, match="no importer recognises"):
        detect_format(str(source))


def test_two_formats_that_both_claim_the_records_are_named(tmp_path: Path) -> None:
    twin = import_format("openai-twin", "the same", _convert, detect=lambda d: "messages" in d)
    FORMATS.add("openai-twin", twin)
    try:
        source = tmp_path / "chats.jsonl"
        source.write_text(json.dumps(CHAT) + "\n")
        with pytest.raises(ConfigError, match="fit several formats: openai, openai-twin"):
            detect_format(str(source))
    finally:
        FORMATS.remove("openai-twin")


def _trajforge(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajforge", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_reports_and_fails_past_max_bad(tmp_path: Path) -> None:
    (tmp_path / "chats.json").write_text(json.dumps([CHAT, CHAT, {"messages": "no"}], indent=2))
    done = _trajforge("import", "auto", "chats.json", "out.jsonl", "--report", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "recognised openai records (2 of the first 3)" in done.stdout
    assert "imported 2 trajectories from 2 of 3 openai records" in done.stdout
    assert "set aside: [*].messages: expected array, got string" in done.stdout
    assert "33.3% of the records were set aside (more than --max-bad 0)" in done.stderr
    assert "Traceback" not in done.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    quarantined = json.loads((tmp_path / "out.jsonl.quarantine.jsonl").read_text())
    assert json.loads(quarantined["raw"]) == {"messages": "no"}
    lenient = _trajforge(
        "import", "openai", "chats.json", "o.jsonl", "--max-bad", "0.5", cwd=tmp_path
    )
    assert lenient.returncode == 0, lenient.stderr


def test_import_of_nothing_usable_fails(tmp_path: Path) -> None:
    (tmp_path / "chats.json").write_text(json.dumps([{"messages": "no"}]))
    done = _trajforge("import", "openai", "chats.json", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 1
    assert "nothing imported: none of the 1 records could be read as openai" in done.stderr
