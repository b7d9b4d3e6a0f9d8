"""A write that fails names its file, through every sink and the CLI.

The failures are real: a subprocess runs with a file size limit (``RLIMIT_FSIZE``, SIGXFSZ
ignored), so the kernel refuses the write that crosses it with EFBIG, as a full disk does with
ENOSPC. Bytecode writing is off there: a ``.pyc`` cut short by the limit would poison later runs.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from trajforge.demo import example_path

pytestmark = pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="POSIX only")

LIMIT = 64 * 1024
SINKS = """
import json, os, sys
from pathlib import Path
from trajforge.errors import TrajforgeError
from trajforge.io import BadRecord, Quarantine, write_trajectories
from trajforge.io.atomic import atomic_write
from trajforge.schema import Trajectory

out = Path(sys.argv[1])
records = [Trajectory(id=str(i), system_prompt=os.urandom(3000).hex()) for i in range(400)]

def quarantine(name):
    with Quarantine(out / name) as sink:
        for i in range(400):
            sink.add(BadRecord(file="x", error="bad", raw=os.urandom(3000).hex().encode()))

def atomic():
    with atomic_write(out / "blob.bin") as f:
        f.write(os.urandom(2 << 20))

cases = {
    "q.jsonl": lambda: quarantine("q.jsonl"),
    "q.jsonl.gz": lambda: quarantine("q.jsonl.gz"),
    "blob.bin": atomic,
    **{name: (lambda name=name: write_trajectories(out / name, records))
       for name in ("t.jsonl", "t.jsonl.zst", "t.parquet", "shards")},
}
results = {}
for name, write in cases.items():
    try:
        write()
        results[name] = "written"
    except TrajforgeError as exc:
        results[name] = str(exc)
    except OSError as exc:
        results[name] = f"unnamed: {exc}"
print(json.dumps(results))
"""


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        preexec_fn=_limit_file_size,
        check=False,
    )


def test_every_sink_names_the_file_it_could_not_write(tmp_path: Path) -> None:
    result = _run("-c", SINKS, str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    expected = {
        name: f"{tmp_path / name}: cannot write: File too large"
        for name in ("q.jsonl", "q.jsonl.gz", "blob.bin", "t.jsonl", "t.jsonl.zst", "t.parquet")
    }
    shard = tmp_path / "shards" / "part-00000.parquet"
    expected["shards"] = f"{shard}: cannot write: File too large"
    assert written == expected
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["shards"]  # nothing half-written, no temp files
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == ["manifest.json"]


def test_the_cli_names_the_quarantine_it_could_not_write(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    good = example_path().read_text(encoding="utf-8").splitlines()[0]
    junk = [f"not a record {i} " + "x" * 400 for i in range(400)]
    source.write_text("\n".join([good, *junk]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = _run("-m", "trajforge", "convert", str(source), str(out), "--from", "openai")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    quarantine = f"{out}.quarantine.jsonl"
    assert f"error: {quarantine}: cannot write: File too large" in result.stderr
    # the output was complete and published before the quarantine closed; no temp file is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_generate_names_the_journal_it_could_not_write(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["generate", "--tasks", "200", "--format", "jsonl", "--out", str(out)]
    result = _run("-m", "trajforge", *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    journal = out / ".journal" / "part-00000.jsonl"
    assert f"error: {journal}: cannot write: File too large" in result.stderr
