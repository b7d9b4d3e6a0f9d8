"""docs/extending.md's outside package: built from the document's own code blocks, installed by
pip from a local path (no network, no build isolation), and driven through the real CLI.

The package goes into a folder of its own on PYTHONPATH (``pip install --target``), so that the
tests running beside this one in the same virtual environment never see its plugins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "extending.md"
#: A file of the package: its name in backticks and a colon, then its code block.
FILE_BLOCK = re.compile(r"^`([\w./-]+)`:\n\n```(?:toml|python)\n(.*?)^```$", re.M | re.S)
CSV = (
    "session,request,tool,arguments,result,answer\n"
    's1,Reserve Dune,find_book,"{""title"": ""Dune""}","{""book_id"": ""dune""}",'
    "DUNE IS RESERVED FOR YOU\n"
    's1,Reserve Dune,reserve,"{""book_id"": ""dune""}",reserved dune,DUNE IS RESERVED FOR YOU\n'
    "s2,Reserve Emma,find_book,{not json},?,no\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin package installed, plus a broken plugin's distribution beside it."""
    source = tmp_path_factory.mktemp("acme-trajforge")
    files = FILE_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert {name for name, _ in files} >= {"pyproject.toml", "acme_trajforge/library.py"}
    for name, text in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps"]
    installed = subprocess.run(
        [*pip, "--no-index", "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    broken = target / "acme_broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-broken\nVersion: 1.0\n")
    (broken / "entry_points.txt").write_text("[trajforge.rules]\ngone = acme_gone:RULE\n")
    return target


def cli(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "trajforge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_plugins_are_listed_with_their_origin_and_a_broken_one_is_named(
    site: Path, tmp_path: Path
) -> None:
    rows = json.loads(ok(cli(site, "plugins", "--json", cwd=tmp_path)))
    found = {(kind, p["name"]): p for kind, plugins in rows.items() for p in plugins}
    for key in (
        ("environments", "acme-trajforge/library"),
        ("rules", "acme-trajforge/shouting"),
        ("formats", "acme-trajforge/tool-log"),
    ):
        assert found[key]["status"] == "ok"
        assert "entry point of acme-trajforge" in found[key]["origin"]
    gone = found[("rules", "acme-broken/gone")]
    assert "failed to load: ModuleNotFoundError" in gone["status"]
    assert found[("rules", "redundant_call")]["status"] == "ok"  # the others keep working


def test_the_plugin_environment_generates_verifies_and_grades(site: Path, tmp_path: Path) -> None:
    listed = ok(cli(site, "envs", "list", cwd=tmp_path))
    assert "library" in listed
    shown = ok(cli(site, "envs", "show", "library", cwd=tmp_path))
    assert "look_up_first" in shown
    assert "find_book" in shown
    args = ("generate", "--env", "library", "--agent", "expert", "--tasks", "6", "--out", "gen")
    assert "6 episodes generated" in ok(cli(site, *args, cwd=tmp_path))
    ok(cli(site, "verify", "gen", "--out", "v.jsonl", cwd=tmp_path))
    rules = "shouting,invalid_call,policy_violation"
    ok(cli(site, "grade", "v.jsonl", "--rules", rules, "--out", "g.jsonl", cwd=tmp_path))
    records = [json.loads(x) for x in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert len(records) == 6
    for record in records:
        assert record["task"]["environment"] == "library"
        assert record["outcome"]["status"] == "success"
        assert record["system_prompt"].startswith("# Policy of the library environment")
        (verdict,) = [lb for lb in record["labels"] if lb["name"] == "verify"]
        assert verdict["grade"] == "pass"
        assert verdict["details"]["replayed"] is True
        stages = [s["name"] for s in record["provenance"]["stages"]]
        assert stages == ["generate", "verify", "rules", "score"]
        graded_by = record["provenance"]["stages"][2]["params"]
        assert graded_by == {"shouting": "1", "invalid_call": "1", "policy_violation": "1"}
        names = {lb["name"] for s in record["steps"] for lb in s.get("labels", [])}
        assert not names & {"shouting", "invalid_call", "policy_violation"}  # the expert is clean


def test_the_plugin_format_and_rule_through_convert_and_grade(site: Path, tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text(CSV)
    converted = cli(site, "convert", "calls.csv", "--from", "tool-log", "in.jsonl", cwd=tmp_path)
    assert "wrote 1 trajectories" in ok(converted)
    assert "1 bad records set aside" in converted.stderr
    (bad,) = (tmp_path / "in.jsonl.quarantine.jsonl").read_text().splitlines()
    assert json.loads(bad)["line"] == 4
    ok(cli(site, "grade", "in.jsonl", "--rules", "shouting", "--out", "g.jsonl", cwd=tmp_path))
    (record,) = [json.loads(x) for x in (tmp_path / "g.jsonl").read_text().splitlines()]
    shouted = [
        lb for s in record["steps"] for lb in s.get("labels", []) if lb["name"] == "shouting"
    ]
    assert [lb["target"] for lb in shouted] == ["steps[2]"]
    ok(cli(site, "convert", "g.jsonl", "--to", "tool-log", "again.csv", cwd=tmp_path))
    lines = (tmp_path / "again.csv").read_text().splitlines()
    assert lines[0] == "session,request,tool,arguments,result,answer"
    assert [line.split(",")[2] for line in lines[1:]] == ["find_book", "reserve"]
