"""``--from auto`` for the tree, benchmark and trace formats: each recognises every record of its
own public samples and none of the other formats' samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trajforge.formats.detect import detect_format
from trajforge.formats.registry import FORMATS
from trajforge.io.documents import iter_records

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "toolbench"
#: Each format's samples (ToolBench's answer files and queries are in shared/fixtures).
OWN = {
    "adp": FIXTURES / "adp",
    "atif": FIXTURES / "atif",
    "bfcl": FIXTURES / "bfcl",
    "inspect-ai": FIXTURES / "inspect_ai",
    "otel": FIXTURES / "otel_genai",
    "toolbench": SHARED,
}
#: Records of the BFCL folder that are read through their questions, not on their own.
LOOKUP_ONLY = ("possible_answer", "multi_turn_func_doc")


def _samples() -> dict[Path, list[Any]]:
    folders = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    if SHARED.is_dir():
        folders.append(SHARED)
    return {
        folder: [
            r.data
            for r in iter_records(folder)
            if not any(part in LOOKUP_ONLY for part in Path(r.file).parts)
        ]
        for folder in folders
    }


@pytest.mark.parametrize("name", sorted(OWN))
def test_a_format_recognises_its_records_and_no_others(name: str) -> None:
    detect = FORMATS.get(name).detect
    assert detect is not None
    samples = _samples()
    if OWN[name] not in samples:
        pytest.skip(f"no samples at {OWN[name]}")
    for folder, records in samples.items():
        claimed = [detect(record) for record in records]
        assert claimed == [folder == OWN[name]] * len(records), folder.name


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (FIXTURES / "adp" / "toucan_1_5m_sample_std.json", "adp"),
        (FIXTURES / "atif" / "adp_toucan_1_5m_sample_atif.json", "atif"),
        (FIXTURES / "bfcl" / "BFCL_v4_simple_java.json", "bfcl"),
        (FIXTURES / "inspect_ai" / "2025-05-12T20-28-26-04-00_security-guide.json", "inspect-ai"),
        (FIXTURES / "otel_genai", "otel"),
    ],
)
def test_auto_picks_the_format(source: Path, name: str) -> None:
    assert detect_format(str(source)).format.name == name
