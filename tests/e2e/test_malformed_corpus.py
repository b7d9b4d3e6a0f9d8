"""The malformed-input corpus, through every command that reads records.

Each case is a small input built here (a file, a directory of files, or a dataset with a
manifest) that holds good records beside one kind of damage. ``convert``, ``verify``, ``grade``,
``apply``, ``import``, ``stats``, ``head`` and ``convert --strict`` (``--from openai`` for chat
records) run on every case in this process, through the typer app: never a traceback, a located
message, the right exit status, and the good records kept while each bad one is set aside (or
named, by ``stats`` and ``head``) with where it is and why. A compressed stream that fails its
check, a shard that is not what its manifest says, and a manifest naming files outside its
dataset stop every command, with nothing published. A few cases run as real processes too, for
their stderr.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.io.damaged_files import (
    gzip_with_altered_data,
    parquet_with_bad_column_name,
    parquet_with_invalid_utf8,
    zstd_with_bad_checksum,
)
from typer.testing import CliRunner

from trajforge.cli import common
from trajforge.cli.app import app
from trajforge.demo import example_path
from trajforge.errors import TrajforgeError
from trajforge.formats.registry import get_reader
from trajforge.io import write_trajectories
from trajforge.schema import Trajectory, encode

GOOD = [Trajectory(id=f"good-{i}", system_prompt="be brief") for i in range(1, 4)]
G1, G2, G3 = (encode(t) for t in GOOD)
CHATS = example_path().read_bytes().splitlines()[:2]
DEEP = b"[" * 990 + b"]" * 990
#: Enough records that a compressed stream gives lines before its end shows the damage.
MANY = [
    Trajectory(id=f"many-{i:04d}", system_prompt=hashlib.sha512(b"%d" % i).hexdigest())
    for i in range(1500)
]
MANY_BYTES = b"".join(encode(t) + b"\n" for t in MANY)


@dataclass(frozen=True)
class Bad:
    """A record set aside: its file (a name in the case's directory), where in it ("line 2",
    "row 2", or "" for the whole file) and part of the reason."""

    file: str
    at: str
    reason: str


@dataclass(frozen=True)
class Case:
    """One corpus entry: its files, what is read (relative to its directory; "" for the
    directory), and what comes out: the ids kept and the records set aside, or ``fatal``, a
    pattern of the error that stops every command ({dir} stands for the case's directory)."""

    files: Callable[[Path], object]
    source: str = ""
    kept: tuple[str, ...] = ()
    bad: tuple[Bad, ...] = ()
    fatal: str | None = None
    fmt: str = "trajforge"
    kept_chats: tuple[bytes, ...] = ()  # openai: the chat records kept (their ids are derived)


def _jsonl(name: str, *lines: bytes, end: bytes = b"\n") -> Callable[[Path], object]:
    return lambda d: (d / name).write_bytes(end.join(lines) + end)


def _files(*makers: Callable[[Path], object]) -> Callable[[Path], object]:
    def make(d: Path) -> None:
        for maker in makers:
            maker(d)

    return make


def _truncated(d: Path) -> None:
    (d / "t.jsonl").write_bytes(G1 + b"\n" + G2 + b'\n{"id":"x","steps":[{"reas')


def _cut(name: str) -> Callable[[Path], object]:
    def make(d: Path) -> None:
        write_trajectories(d / name, MANY)
        (d / name).write_bytes((d / name).read_bytes()[:-100])

    return make


def _corrupt_row_group(d: Path) -> None:
    path = d / "groups.parquet"
    records = [Trajectory(id=f"g-{i}", system_prompt=f"prompt {i}" * 20) for i in range(9)]
    write_trajectories(path, records, row_group_size=3)
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset + column.total_compressed_size - 1] ^= 0xFF
    path.write_bytes(bytes(data))


def _dataset(d: Path) -> None:
    write_trajectories(d, GOOD * 2, format="jsonl", shard_size=2)


def _changed_shard(d: Path) -> None:
    _dataset(d)
    (d / "part-00001.jsonl").write_bytes(encode(Trajectory(id="edited")) + b"\n")


def _outside(d: Path) -> None:
    _dataset(d)
    (d.parent / "secret.jsonl").write_bytes(G1 + b"\n")
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["shards"][1]["file"] = "../secret.jsonl"
    (d / "manifest.json").write_text(json.dumps(manifest))


STREAM_BROKEN = r"line \d+ of {dir}/{name}: compressed stream is truncated or corrupt \({why}"

CASES: dict[str, Case] = {
    "truncated-line": Case(
        _truncated, "t.jsonl", ("good-1", "good-2"), (Bad("t.jsonl", "line 3", "truncated"),)
    ),
    "wrong-types": Case(
        _jsonl(
            "w.jsonl",
            G1,
            b'{"id":"x","steps":[{"actions":[{"kind":"tool_call","name":5}]}]}',
            b'{"id":7}',
            b'{"id":"x","outcome":{"status":"won"}}',
            G2,
        ),
        "w.jsonl",
        ("good-1", "good-2"),
        (
            Bad("w.jsonl", "line 2", "steps[0].actions[0].name: expected string, got integer"),
            Bad("w.jsonl", "line 3", "id: expected string, got integer"),
            Bad("w.jsonl", "line 4", "outcome.status: invalid enum value 'won'"),
        ),
    ),
    "invalid-utf8-and-nul": Case(
        _jsonl(
            "u.jsonl", G1, b'{"id":"caf\xe9"}', b"\xff\xfe{}", b'{"id":"a\x00b"}', b"\0" * 8, G2
        ),
        "u.jsonl",
        ("good-1", "good-2"),
        (
            Bad("u.jsonl", "line 2", "invalid UTF-8 in a string"),
            Bad("u.jsonl", "line 3", "malformed JSON"),
            Bad("u.jsonl", "line 4", "malformed JSON: invalid character (column 9)"),
            Bad("u.jsonl", "line 5", "malformed JSON: invalid character (column 1)"),
        ),
    ),
    "bom-crlf-blank-lines": Case(
        _jsonl("b.jsonl", codecs.BOM_UTF8 + G1, G2, b"", b"  ", G3, end=b"\r\n"),
        "b.jsonl",
        ("good-1", "good-2", "good-3"),
    ),
    "deep-nesting": Case(
        _jsonl("d.jsonl", G1, b'{"id":"x","metadata":{"a":' + b"[" * 100_000 + b"]}}", G2),
        "d.jsonl",
        ("good-1", "good-2"),
        (Bad("d.jsonl", "line 2", "JSON is nested too deeply"),),
    ),
    "huge-numbers": Case(
        _jsonl(
            "n.jsonl",
            G1,
            b'{"id":"x","outcome":{"score":1e400}}',
            b'{"id":"x","metadata":{"n":' + b"9" * 5000 + b"}}",
            b'{"id":"big-int","metadata":{"n":' + b"9" * 30 + b"}}",  # Python ints are exact
        ),
        "n.jsonl",
        ("good-1", "big-int"),
        (
            Bad("n.jsonl", "line 2", "outcome.score: number out of range"),
            Bad("n.jsonl", "line 3", "metadata[...]: integer value out of range"),
        ),
    ),
    "compressed-files-broken-before-a-line": Case(
        _files(
            _jsonl("good.jsonl", G1, G2),
            lambda d: (d / "empty.jsonl.zst").write_bytes(b""),
            lambda d: (d / "junk.jsonl.gz").write_bytes(b"this is not gzip\n"),
        ),
        "",
        ("good-1", "good-2"),
        (
            Bad("empty.jsonl.zst", "line 1", "compressed stream is truncated or corrupt"),
            Bad("junk.jsonl.gz", "line 1", "compressed stream is truncated or corrupt"),
        ),
    ),
    "gzip-failing-its-crc": Case(
        lambda d: gzip_with_altered_data(
            d / "damaged.jsonl.gz", MANY_BYTES, MANY_BYTES.replace(b"many-0007", b"many-XXXX")
        ),
        "damaged.jsonl.gz",
        fatal=STREAM_BROKEN.format(dir="{dir}", name="damaged.jsonl.gz", why="CRC check failed"),
    ),
    "gzip-cut-short": Case(
        _cut("cut.jsonl.gz"),
        "cut.jsonl.gz",
        fatal=STREAM_BROKEN.format(dir="{dir}", name="cut.jsonl.gz", why="Compressed file ended"),
    ),
    "zstd-failing-its-checksum": Case(
        lambda d: zstd_with_bad_checksum(d / "damaged.jsonl.zst", MANY_BYTES),
        "damaged.jsonl.zst",
        fatal=STREAM_BROKEN.format(
            dir="{dir}", name="damaged.jsonl.zst", why="zstd decompressor error: Restored data"
        ),
    ),
    "parquet-cut-short-and-bad-column-name": Case(
        _files(
            _cut("a-cut.parquet"),
            _jsonl("b-good.jsonl", G1, G2),
            lambda d: parquet_with_bad_column_name(d / "c-name.parquet", GOOD),
        ),
        "",
        ("good-1", "good-2"),
        (
            Bad("a-cut.parquet", "", "not a Parquet file, or it is truncated or corrupt"),
            Bad("c-name.parquet", "", "not a Parquet file, or it is truncated or corrupt"),
        ),
    ),
    "parquet-bad-string-and-row-group": Case(
        _files(
            lambda d: parquet_with_invalid_utf8(
                d / "a-strings.parquet", ["p-1", "p-BAD", "p-3"], "p-BAD"
            ),
            _corrupt_row_group,
        ),
        "",
        ("p-1", "p-3", "g-0", "g-1", "g-2", "g-6", "g-7", "g-8"),
        (
            Bad("a-strings.parquet", "row 2", "a string is not valid UTF-8"),
            Bad("groups.parquet", "", "row group 1 is corrupt"),
        ),
    ),
    "manifest-naming-a-file-outside": Case(
        _outside,
        fatal=r"{dir}/manifest.json: shards\[1\].file: shard '../secret.jsonl' is outside the "
        r"dataset directory",
    ),
    "shard-not-matching-its-sha256": Case(
        _changed_shard,
        fatal=r"{dir}/part-00001.jsonl: checksum mismatch: the shard has sha256 [0-9a-f]{{64}}, "
        r"its manifest says [0-9a-f]{{64}}",
    ),
    "openai-records": Case(
        _jsonl(
            "chats.jsonl",
            CHATS[0],
            b'{"messages": "nope"}',
            b'{"messages": [',
            b'{"messages":[{"role":"user","content":"hi"}],"x":' + DEEP + b"}",
            b'{"messages":[{"role":"user","content":"caf\xe9"}]}',
            b'{"messages":[{"role":"robot","content":"x"}]}',
            CHATS[1],
        ),
        "chats.jsonl",
        bad=(
            Bad("chats.jsonl", "line 2", "messages: expected array, got string"),
            Bad("chats.jsonl", "line 3", "truncated"),
            Bad("chats.jsonl", "line 4", "JSON is nested too deeply"),
            Bad("chats.jsonl", "line 5", "invalid UTF-8 in a string"),
            Bad("chats.jsonl", "line 6", "messages[0].role: invalid value 'robot'"),
        ),
        fmt="openai",
        kept_chats=tuple(CHATS),
    ),
    "openai-gzip-failing-its-crc": Case(
        lambda d: gzip_with_altered_data(
            d / "chats.jsonl.gz",
            b"\n".join(CHATS * 200) + b"\n",
            b"\n".join(CHATS * 200).replace(b"weather", b"WEATHER") + b"\n",
        ),
        "chats.jsonl.gz",
        fatal=STREAM_BROKEN.format(dir="{dir}", name="chats.jsonl.gz", why="CRC check failed"),
        fmt="openai",
    ),
}


@dataclass(frozen=True)
class Built:
    """A case made on disk."""

    case: Case
    dir: Path
    source: str
    kept: list[str]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Every case, made once."""
    root = tmp_path_factory.mktemp("corpus")
    built = {}
    for name, case in CASES.items():
        directory = root / name
        directory.mkdir()
        case.files(directory)
        kept = list(case.kept)
        if case.kept_chats:
            chats = root / f"{name}-kept.jsonl"
            chats.write_bytes(b"\n".join(case.kept_chats) + b"\n")
            kept = [t.id for t in get_reader("openai")(str(chats), None)]
        built[name] = Built(case, directory, str(directory / case.source), kept)
    return built


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages on one line each, whatever their length."""
    for console in (common.out, common.err):
        monkeypatch.setattr(console, "width", 10_000)


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit status, stdout, and stderr as ``main`` would print it."""

    code: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Ran:
    """Run ``trajforge ARGS`` in this process; anything but a trajforge error escaping the
    command (which ``main`` renders in one or two lines) would be a traceback: it fails."""
    result = CliRunner().invoke(app, list(args))
    stderr = result.stderr
    exc = result.exception
    if isinstance(exc, TrajforgeError):
        stderr += f"error: {exc}\n"
    elif exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(f"trajforge {' '.join(args)} raised {exc!r}") from exc
    assert "Traceback" not in stderr
    return Ran(result.exit_code, result.stdout, stderr)


def _where(built: Built, bad: Bad) -> str:
    """How a reader names a bad record: ``line 2 of FILE``, or the file alone."""
    file = built.dir / bad.file
    return f"{bad.at} of {file}" if bad.at else str(file)


def _ids_in(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def _at(reject: dict[str, Any]) -> str:
    """Where a quarantined record was, as :class:`Bad` says it."""
    if "row" in reject:
        return f"row {reject['row']}"
    return f"line {reject['line']}" if reject["line"] is not None else ""


def _shown(stdout: str) -> list[str]:
    """The ids of the records ``head --json`` printed, one JSON document after another."""
    ids, at, decoder = [], 0, json.JSONDecoder()
    while at < len(stdout):
        if stdout[at].isspace():
            at += 1
            continue
        record, at = decoder.raw_decode(stdout, at)
        ids.append(record["id"])
    return ids


WRITERS = ("convert", "verify", "grade", "apply", "import")
COMMANDS = (*WRITERS, "stats", "head", "strict")


def _args(command: str, built: Built, out: Path) -> list[str]:
    fmt = ["--from", built.case.fmt]
    if command in ("convert", "strict"):
        extra = ["--strict"] if command == "strict" else []
        return ["convert", built.source, str(out / "out.jsonl"), *fmt, *extra]
    if command == "import":  # --max-bad 1: setting records aside is no failure here
        return ["import", built.case.fmt, built.source, str(out / "out.jsonl"), "--max-bad", "1"]
    if command == "stats":
        return ["stats", built.source, "--json", *fmt]
    if command == "head":
        return ["head", built.source, "-n", "10000", "--json", *fmt]
    stage = ["--stage", "score"] if command == "apply" else []
    return [command, built.source, "--out", str(out / "out.jsonl"), *stage, *fmt]


def _check_kept(command: str, built: Built, ran: Ran, out: Path) -> None:
    case = built.case
    assert ran.code == 0, ran.stderr
    if command in WRITERS:
        assert _ids_in(out / "out.jsonl") == built.kept
        quarantine = out / "out.jsonl.quarantine.jsonl"
        rejects = [json.loads(x) for x in quarantine.read_text().splitlines()] if case.bad else []
        assert [(r["file"], _at(r)) for r in rejects] == [
            (str(built.dir / b.file), b.at) for b in case.bad
        ]
        for reject, bad in zip(rejects, case.bad, strict=True):
            assert bad.reason in reject["error"]
    elif command == "stats":
        counted = json.loads(ran.stdout)
        assert (counted["trajectories"], counted["bad_records"]) == (len(built.kept), len(case.bad))
        if case.bad:
            assert counted["first_bad_record"].startswith(f"{_where(built, case.bad[0])}: ")
    elif command == "head":
        assert _shown(ran.stdout) == built.kept
        for bad in case.bad:
            assert f"skipped {_where(built, bad)}: " in ran.stderr


def _check_strict(built: Built, ran: Ran) -> None:
    if not built.case.bad:
        assert ran.code == 0, ran.stderr
        return
    first = built.case.bad[0]
    assert ran.code == 1
    if first.at.startswith("line"):
        assert f"error: {_where(built, first)}: " in ran.stderr
    else:  # a Parquet row is named after the message: "(row 2, row group 0)"
        assert f"error: {built.dir / first.file}: " in ran.stderr
        assert first.at in ran.stderr
    assert first.reason in ran.stderr


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_reading_command_on_the_corpus(
    corpus: dict[str, Built], name: str, command: str, tmp_path: Path
) -> None:
    built = corpus[name]
    ran = invoke(*_args(command, built, tmp_path))
    if built.case.fatal is not None:
        assert ran.code == 1, ran.stdout
        pattern = built.case.fatal.format(dir=re.escape(str(built.dir)))
        assert re.search(f"error: {pattern}", ran.stderr), ran.stderr
        assert list(tmp_path.iterdir()) == []  # nothing published, not even the quarantine
    elif command == "strict":
        _check_strict(built, ran)
    else:
        _check_kept(command, built, ran, tmp_path)


@pytest.mark.parametrize("command", ["convert", "stats", "head", "verify", "grade", "apply"])
def test_no_verify_hashes_reads_a_changed_shard_as_it_is(
    corpus: dict[str, Built], command: str, tmp_path: Path
) -> None:
    built = corpus["shard-not-matching-its-sha256"]
    ran = invoke(*_args(command, built, tmp_path), "--no-verify-hashes")
    assert ran.code == 0, ran.stderr
    read = ["good-1", "good-2", "edited", "good-2", "good-3"]
    if command in WRITERS:
        assert _ids_in(tmp_path / "out.jsonl") == read
    elif command == "head":
        assert _shown(ran.stdout) == read
    else:
        assert json.loads(ran.stdout)["trajectories"] == len(read)


def test_export_checks_shard_hashes_unless_told_not_to(
    corpus: dict[str, Built], tmp_path: Path
) -> None:
    built = corpus["shard-not-matching-its-sha256"]
    args = ["export", "trl-sft", built.source, str(tmp_path / "sft.jsonl")]
    refused = invoke(*args)
    assert refused.code == 1
    assert "sha256" in refused.stderr
    assert not (tmp_path / "sft.jsonl").exists()
    ran = invoke(*args, "--no-verify-hashes")
    assert "sha256" not in ran.stderr
    assert "from 5 trajectories" in ran.stdout  # all read (none has steps to train on)


def test_a_repeated_key_the_last_wins_and_strict_refuses_it(tmp_path: Path) -> None:
    source = tmp_path / "dup.jsonl"
    source.write_bytes(G1 + b'\n{"id":"first","system_prompt":"x","id":"last"}\n')
    chats = tmp_path / "dup-chats.jsonl"
    chats.write_bytes(CHATS[0][:-1] + b',"tools":[],"tools":[]}\n')
    lenient = invoke("convert", str(source), str(tmp_path / "out.jsonl"))
    assert lenient.code == 0, lenient.stderr
    assert _ids_in(tmp_path / "out.jsonl") == ["good-1", "last"]
    for path, fmt, key in ((source, "trajforge", "id"), (chats, "openai", "tools")):
        assert invoke("convert", str(path), str(tmp_path / "o.jsonl"), "--from", fmt).code == 0
        strict = invoke("convert", str(path), str(tmp_path / "s.jsonl"), "--from", fmt, "--strict")
        assert strict.code == 1
        line = 2 if fmt == "trajforge" else 1
        expected = f"error: line {line} of {path}: the key '{key}' appears twice in one object"
        assert expected in strict.stderr
    assert not (tmp_path / "s.jsonl").exists()


@pytest.mark.parametrize(
    ("name", "command", "code", "message"),
    [
        ("gzip-failing-its-crc", "convert", 1, "error: line 1501 of "),
        ("shard-not-matching-its-sha256", "stats", 1, "error: "),
        ("parquet-cut-short-and-bad-column-name", "head", 0, "skipped "),
    ],
)
def test_a_real_process_prints_no_traceback(
    corpus: dict[str, Built], name: str, command: str, code: int, message: str, tmp_path: Path
) -> None:
    built = corpus[name]
    result = subprocess.run(
        [sys.executable, "-m", "trajforge", *_args(command, built, tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "10000", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{message}{built.dir}" in result.stderr
