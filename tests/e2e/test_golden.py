"""The fixed generate + verify + grade run of ``golden/`` gives the records recorded before the
stage/plugin restructuring: same seeds, same trajectories.

Two fields are left out of the comparison: ``system_prompt`` (every agent now carries its
environment's policy document, which the recording predates) and ``provenance.stages`` (the list of
stages a record passed changes with the restructuring itself and is compared separately).

One record was re-recorded since, on purpose: record 8, whose expert finish a mistake replaced.
The expert used to resume its finished script and end on a bare "All done."; it now makes the
finish it meant (its real report) again, and that recovery step is not counted as optimal.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"


def trajforge(*args: str | Path, cwd: Path) -> None:
    """Run the real command line in ``cwd``; a failure shows what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "trajforge", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    command = " ".join(map(str, args))
    assert done.returncode == 0, f"trajforge {command}:\n{done.stdout}{done.stderr}"


def comparable(line: str) -> dict[str, Any]:
    """A record without the fields the comparison leaves out."""
    record: dict[str, Any] = json.loads(line)
    record.pop("system_prompt", None)
    record.get("provenance", {}).pop("stages", None)
    return record


def first_difference(want: Any, got: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, and how; None if they are equal."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(want.keys() | got.keys()):
            if key not in got or key not in want:
                return f"{path}.{key}: only in {'golden' if key in want else 'new'} record"
            found = first_difference(want[key], got[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        for index, (a, b) in enumerate(zip(want, got, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        if len(want) != len(got):
            return f"{path}: golden has {len(want)} items, new has {len(got)}"
        return None
    if want != got:
        return f"{path}:\n  golden {json.dumps(want)[:300]}\n  new    {json.dumps(got)[:300]}"
    return None


def test_golden_run_gives_the_recorded_records(tmp_path: Path) -> None:
    trajforge("generate", "--config", GOLDEN / "run.toml", "--out", "G", cwd=tmp_path)
    trajforge("verify", "G", "--out", "v.jsonl", cwd=tmp_path)
    trajforge("grade", "v.jsonl", "--out", "graded.jsonl", cwd=tmp_path)
    with gzip.open(GOLDEN / "graded.jsonl.gz", "rt", encoding="utf-8") as file:
        golden = file.read().splitlines()
    new = (tmp_path / "graded.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(new) == len(golden)
    for number, (want, got) in enumerate(zip(golden, new, strict=True), start=1):
        difference = first_difference(comparable(want), comparable(got))
        assert difference is None, f"record {number} differs at {difference}"
