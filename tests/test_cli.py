"""The trajforge command, run as a real process: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.formats.tokenizer_files import TOOLS_TEMPLATE, tokenizer_dir
from trajforge import __version__
from trajforge.demo import example_path
from trajforge.formats.registry import FORMATS, get_reader
from trajforge.testing.fake_endpoint import FakeEndpoint, error, text

EXAMPLE = example_path()


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajforge", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", **(env or {})},
        check=False,
    )


def test_help_and_schema() -> None:
    assert run("--help").returncode == 0
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "steps" in schema["$defs"]["Trajectory"]["properties"]


def test_version_debug_and_plugins() -> None:
    version = run("--version")
    assert (version.returncode, version.stdout) == (0, f"trajforge {__version__}\n")
    plain = run("stats", "/nonexistent/x.jsonl")
    debug = run("--debug", "stats", "/nonexistent/x.jsonl")
    assert "Traceback" not in plain.stderr
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr
    assert "trajforge.errors.ConfigError: /nonexistent/x.jsonl: no such file" in debug.stderr
    listing = json.loads(run("plugins", "--json").stdout)
    assert listing["formats"] == [
        {"name": name, "origin": "built-in", "status": "ok"} for name in FORMATS.names()
    ]
    assert {"trajforge", "openai", "auto"} <= set(FORMATS.names())
    table = run("plugins")
    assert table.returncode == 0, table.stderr
    assert "openai" in table.stdout
    assert "built-in" in table.stdout


def test_openai_round_trip_through_parquet(tmp_path: Path) -> None:
    parquet = tmp_path / "t.parquet"
    back = tmp_path / "back.jsonl"
    assert run("convert", str(EXAMPLE), str(parquet), "--from", "openai").returncode == 0
    assert run("convert", str(parquet), str(back), "--to", "openai").returncode == 0
    original = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    assert [json.loads(line) for line in back.read_text().splitlines()] == original


def test_stats_json_and_table(tmp_path: Path) -> None:
    jsonl = tmp_path / "t.jsonl.zst"
    assert run("convert", str(EXAMPLE), str(jsonl), "--from", "openai").returncode == 0
    stats = json.loads(run("stats", str(jsonl), "--json").stdout)
    assert stats["trajectories"] == 6
    assert stats["tool_calls_by_name"]["get_weather"] == 4
    assert stats["steps"]["max"] == 5
    table = run("stats", str(jsonl)).stdout
    assert "steps per trajectory" in table
    assert "get_weather" in table


def test_head_prints_a_transcript(tmp_path: Path) -> None:
    jsonl = tmp_path / "t.jsonl"
    run("convert", str(EXAMPLE), str(jsonl), "--from", "openai")
    out = run("head", str(jsonl), "-n", "2").stdout
    assert "jane.doe@example.com" in out
    assert "→ find_customer" in out
    assert "step 0" in out
    first_id = json.loads(jsonl.read_text().splitlines()[1])["id"]
    picked = run("head", str(jsonl), "--id", first_id, "--json").stdout
    assert json.loads(picked)["id"] == first_id


def test_bad_input_is_located_and_quarantined(tmp_path: Path) -> None:
    good = EXAMPLE.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([good[0], '{"messages": "nope"}', good[1], '{"messages": [', ""]))
    strict = run("convert", str(bad), str(tmp_path / "o.jsonl"), "--from", "openai", "--strict")
    assert strict.returncode == 1
    assert "Traceback" not in strict.stderr
    assert f"line 2 of {bad}" in strict.stderr
    assert "messages" in strict.stderr
    lenient = run("convert", str(bad), str(tmp_path / "o.jsonl"), "--from", "openai")
    assert lenient.returncode == 0
    assert "2 bad records" in lenient.stderr
    quarantined = (tmp_path / "o.jsonl.quarantine.jsonl").read_text().splitlines()
    rejects = [json.loads(x) for x in quarantined]
    assert [r["line"] for r in rejects] == [2, 4]
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2
    # stats counts what it can read and the bad records apart, the first with where it is
    stats = run("stats", str(bad), "--from", "openai", "--json")
    assert stats.returncode == 0, stats.stderr
    counted = json.loads(stats.stdout)
    assert (counted["trajectories"], counted["bad_records"]) == (2, 2)
    assert counted["first_bad_record"].startswith(f"line 2 of {bad}: ")
    assert "bad records (left out)" in run("stats", str(bad), "--from", "openai").stdout
    shown = run("head", str(bad), "--from", "openai", "-n", "5")  # shows past the bad lines
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("step 0") == 2
    assert f"skipped line 2 of {bad}: " in shown.stderr.replace("\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stats", "/nonexistent/x.jsonl"), "x.jsonl"),
        (("convert", "IN", "out.csv"), ".csv"),
        (("envs", "show", "nope"), "unknown environment 'nope'"),
        (("stats", "IN", "--from", "csv"), "--from: unknown format 'csv'"),
        (("convert", "IN", "out.jsonl", "--to", "csv"), "--to: unknown format 'csv'"),
        (("verify", "IN", "--out", "o.jsonl", "--from", "csv"), "--from: unknown format 'csv'"),
        (("convert", "IN", "o.jsonl", "-W", "x=1"), "the trajforge writer has no option 'x'"),
        (("convert", "IN", "o.parquet", "--to", "tokenized"), "missing required field 'tokenizer'"),
    ],
)
def test_errors_are_one_or_two_lines(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    if args[1] == "IN":  # the example as input, the output (if any) in tmp_path
        args = (args[0], str(EXAMPLE), *(str(tmp_path / a) if "." in a else a for a in args[2:]))
    result = run(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_convert_to_tokenized_with_writer_options(tmp_path: Path) -> None:
    tokenizer = tokenizer_dir(tmp_path / "tokenizer", TOOLS_TEMPLATE)
    dest = tmp_path / "train.parquet"
    args = ("--from", "openai", "--to", "tokenized", "-W", f"tokenizer={tokenizer}")
    result = run("convert", str(EXAMPLE), str(dest), *args, "-W", "max_length=100000")
    assert result.returncode == 0, result.stderr
    assert f"wrote 6 trajectories to {dest}" in result.stdout.replace("\n", "")
    assert pq.read_table(dest).column("trajectory_id").to_pylist() == [
        t.id for t in get_reader("openai")(str(EXAMPLE), None)
    ]


def test_deep_nesting_and_broken_files_are_located_once_never_a_traceback(
    tmp_path: Path,
) -> None:
    deep = "[" * 990 + "]" * 990
    chat = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]'
    deep_arguments = json.dumps('{"a":' + deep + "}")
    function = '{"name":"f","arguments":' + deep_arguments + "}"
    calls = (
        '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":'
        '[{"id":"c1","type":"function","function":' + function + "}]}]}"
    )
    source = tmp_path / "deep.jsonl"
    source.write_text(f'{chat},"x":{deep}}}\n{calls}\n{chat}}}\n')
    converted = run("convert", str(source), "--from", "openai", str(tmp_path / "out.jsonl"))
    assert converted.returncode == 0, converted.stderr
    assert "Traceback" not in converted.stderr
    (bad,) = (tmp_path / "out.jsonl.quarantine.jsonl").read_text().splitlines()
    assert (json.loads(bad)["line"], json.loads(bad)["error"]) == (1, "JSON is nested too deeply")
    kept = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(kept) == 2  # a model's arguments too deep to parse are kept as it wrote them
    (call,) = kept[0]["steps"][0]["actions"]
    assert call["raw_arguments"] == json.loads(deep_arguments)
    shown = run("head", str(source), "--from", "openai", "-n", "5")
    assert f"skipped line 1 of {source}: JSON is nested too deeply" in shown.stderr.replace(
        "\n", ""
    )
    assert f"line 1 of {source}: line 1" not in shown.stderr.replace("\n", "")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    headed = run("head", str(broken))
    assert headed.returncode == 1
    assert "line None" not in headed.stderr
    assert f"skipped {broken}: not a Parquet file" in headed.stderr.replace("\n", "")


def test_a_manifest_cannot_name_files_outside_its_dataset(tmp_path: Path) -> None:
    secret = tmp_path / "secret.jsonl"
    made = run("convert", str(EXAMPLE), "--from", "openai", str(secret))
    assert made.returncode == 0, made.stderr
    shards = tmp_path / "shards"
    assert run("convert", str(secret), str(shards), "--shard-size", "2").returncode == 0
    manifest = json.loads((shards / "manifest.json").read_text())
    for outside in (str(secret), "../secret.jsonl"):
        manifest["shards"][1]["file"] = outside
        (shards / "manifest.json").write_text(json.dumps(manifest))
        for args in (
            ("stats", str(shards)),
            ("verify", str(shards), "--out", str(tmp_path / "v.jsonl")),
            ("convert", str(shards), str(tmp_path / "c.jsonl")),
        ):
            refused = run(*args)
            assert refused.returncode == 1, args
            assert "shards[1].file: shard" in refused.stderr
            assert "is outside the dataset directory" in " ".join(refused.stderr.split())
            assert "Traceback" not in refused.stderr
    assert not (tmp_path / "c.jsonl.quarantine.jsonl").exists()  # nothing of it was copied


def test_envs_list_show_tasks() -> None:
    listed = run("envs", "list").stdout
    for name in ("support", "dataops", "scheduling"):
        assert name in listed
    shown = run("envs", "show", "support").stdout
    assert "verify_identity" in shown
    assert "policy rules" in shown
    tasks = run("envs", "tasks", "dataops", "--n", "3", "--seed", "1", "--json").stdout.splitlines()
    assert len(tasks) == 3
    assert json.loads(tasks[0])["environment"] == "dataops"
    again = run("envs", "tasks", "dataops", "--n", "3", "--seed", "1", "--json").stdout.splitlines()
    assert tasks == again


def test_envs_play_saves_a_human_trajectory(tmp_path: Path) -> None:
    dest = tmp_path / "play.jsonl"
    typed = "\n".join(
        ["help", "whoami", 'get_calendar {"person_id": 5}', "bogus", "finish all done"]
    )
    result = run(
        "envs", "play", "scheduling", "--seed", "2", "--out", str(dest), stdin=typed + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert "unknown command or tool 'bogus'" in result.stderr
    (record,) = [json.loads(line) for line in dest.read_text().splitlines()]
    assert record["provenance"]["source"] == "human"
    assert record["system_prompt"].startswith("# Policy of the scheduling environment")
    kinds = [step["actions"][0]["kind"] for step in record["steps"]]
    assert kinds == ["tool_call", "tool_call", "finish"]
    assert record["steps"][1]["observations"][0]["status"] == "error"  # person_id: wrong type
    assert record["outcome"]["status"] in ("failure", "partial")


def test_envs_play_refuses_deep_arguments_and_saves_as_it_goes(tmp_path: Path) -> None:
    dest = tmp_path / "play.jsonl"
    deep = "[" * 2000 + "]" * 2000
    player = subprocess.Popen(
        [sys.executable, "-m", "trajforge", "envs", "play", "scheduling", "--out", str(dest)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )
    assert player.stdin is not None
    player.stdin.write(f'get_calendar {{"person_id": {deep}}}\nwhoami\n')
    player.stdin.flush()
    deadline = time.monotonic() + 60
    while not dest.exists() and time.monotonic() < deadline and player.poll() is None:
        time.sleep(0.05)
    player.kill()  # the session is cut off, as by a closed terminal
    _, stderr = player.communicate(timeout=30)
    assert "arguments are nested too deeply" in stderr
    assert "Traceback" not in stderr
    (record,) = [json.loads(line) for line in dest.read_text().splitlines()]
    assert [step["actions"][0]["name"] for step in record["steps"]] == ["whoami"]


def test_generate_writes_a_dataset_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    args = (
        "generate",
        "--env",
        "support",
        "--tasks",
        "12",
        "--faults",
        "flaky",
        "--mistakes",
        "0.2",
        "--seed",
        "7",
        "--shard-size",
        "5",
        "--out",
        str(out),
    )
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "12 episodes generated" in first.stdout
    stats = json.loads(run("stats", str(out), "--json").stdout)
    assert stats["trajectories"] == 12
    second = run(*args)
    assert "0 episodes generated, 12 resumed" in second.stdout
    other = run("generate", "--env", "support", "--tasks", "3", "--out", str(out))
    assert other.returncode == 1
    assert "holds a different run" in other.stderr


def test_verify_flags_an_edited_observation_at_its_step(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    assert (
        run(
            "generate", "--env", "support", "--tasks", "3", "--format", "jsonl", "--out", str(gen)
        ).returncode
        == 0
    )
    shard = gen / "part-00000.jsonl"
    records = [json.loads(line) for line in shard.read_text().splitlines()]
    records[1]["steps"][1]["observations"][0]["content"] = '{"edited": true}'
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = run("verify", str(edited), "--out", str(tmp_path / "verified.jsonl"))
    assert result.returncode == 0, result.stderr
    assert "replay" in result.stdout
    verified = [json.loads(line) for line in (tmp_path / "verified.jsonl").read_text().splitlines()]
    flagged = [
        (i, k)
        for i, r in enumerate(verified)
        for k, step in enumerate(r["steps"])
        if any(label["source"]["kind"] == "replay" for label in step.get("labels", []))
    ]
    assert flagged == [(1, 1)]


def test_grade_labels_steps_and_scores_trajectories(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    assert (
        run(
            "generate", "--env", "dataops", "--tasks", "4", "--mistakes", "0.3", "--out", str(gen)
        ).returncode
        == 0
    )
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\noutcome = 1.0\nefficiency = 0.0\n")
    result = run(
        "grade",
        str(gen),
        "--out",
        str(tmp_path / "g.jsonl"),
        "--rollouts",
        "2",
        "--weights",
        str(weights),
    )
    assert result.returncode == 0, result.stderr
    graded = [json.loads(x) for x in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert len(graded) == 4
    row = r"│ (\w+) +│ +\d+ │ +(\d+) │ +(\d+) │ .* │ +(\d+) │ +([\d.]+) s │"  # the stage table
    stages = re.findall(row, result.stdout)
    assert [(name, seen, failed) for name, seen, _, failed, _ in stages] == [
        ("rules", "4", "0"), ("process_labels", "4", "0"), ("score", "4", "0")]  # fmt: skip
    assert float(stages[1][4]) > 0  # the rollouts took time
    for record in graded:
        (score,) = [label for label in record["labels"] if label["name"] == "score"]
        assert 0.0 <= score["value"] <= 1.0
        process = [
            lb for s in record["steps"] for lb in s.get("labels", []) if lb["name"] == "process"
        ]
        assert len(process) == len(record["steps"])
    pooled = run("grade", str(gen), "--out", str(tmp_path / "p.jsonl"), "--workers", "2")
    alone = run("grade", str(gen), "--out", str(tmp_path / "a.jsonl"))
    assert pooled.returncode == alone.returncode == 0, pooled.stderr
    assert (tmp_path / "p.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text("[weights]\noutcome = -1\n")
    refused = run("grade", str(gen), "--out", str(tmp_path / "x.jsonl"), "--weights", str(bad))
    assert refused.returncode == 1
    assert "weights.outcome" in refused.stderr
    mixed = tmp_path / "mixed.jsonl"
    good = (tmp_path / "a.jsonl").read_text().splitlines()
    mixed.write_text("\n".join([good[0], '{"id": 3}', *good[1:]]) + "\n")
    lenient = run("grade", str(mixed), "--out", str(tmp_path / "m.jsonl"))
    assert lenient.returncode == 0, lenient.stderr
    assert "1 bad records set aside" in lenient.stderr
    (reject,) = (tmp_path / "m.jsonl.quarantine.jsonl").read_text().splitlines()
    assert json.loads(reject)["line"] == 2
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 4


def test_apply_runs_registered_stages_as_verify_then_grade_would(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    made = run("generate", "--env", "itops", "--tasks", "5", "--mistakes", "0.3", "--out", str(gen))
    assert made.returncode == 0, made.stderr
    staged = run(
        "apply", str(gen), "--out", str(tmp_path / "s.jsonl"), "--workers", "2",
        "--stage", "verify", "--stage", "rules", "--stage", "score",
    )  # fmt: skip
    assert staged.returncode == 0, staged.stderr
    assert "verify" in staged.stdout
    assert "changed" in staged.stdout
    assert run("verify", str(gen), "--out", str(tmp_path / "v.jsonl")).returncode == 0
    graded = run("grade", str(tmp_path / "v.jsonl"), "--out", str(tmp_path / "g.jsonl"))
    assert graded.returncode == 0, graded.stderr
    assert (tmp_path / "s.jsonl").read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    record = json.loads((tmp_path / "g.jsonl").read_text().splitlines()[0])
    stages = [(s["name"], s["version"]) for s in record["provenance"]["stages"]]
    assert stages == [("generate", __version__), ("verify", "1"), ("rules", "1"), ("score", "1")]
    assert all(s["digest"] for s in record["provenance"]["stages"][1:])
    unknown = run("apply", str(gen), "--out", str(tmp_path / "u.jsonl"), "--stage", "nope")
    assert unknown.returncode == 1
    assert "unknown stage 'nope'" in unknown.stderr


def test_stats_head_verify_grade_read_openai_records_directly(tmp_path: Path) -> None:
    stats = json.loads(run("stats", str(EXAMPLE), "--from", "openai", "--json").stdout)
    assert stats["trajectories"] == 6
    assert stats["sources"] == {"imported": 6}
    shown = run("head", str(EXAMPLE), "--from", "openai", "-n", "1")
    assert "jane.doe@example.com" in shown.stdout
    for command in ("verify", "grade"):
        dest = tmp_path / f"{command}.jsonl"
        done = run(command, str(EXAMPLE), "--from", "openai", "--out", str(dest))
        assert done.returncode == 0, done.stderr
        assert len(dest.read_text().splitlines()) == 6


def test_generate_from_a_toml_mix_and_located_config_errors(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(
        'seed = 3\ntasks = 6\nformat = "jsonl"\n[budget]\nmax_steps = 40\n'
        '[[mix]]\nenv = "support"\nshare = 0.5\nfaults = "flaky"\n'
        '[[mix]]\nenv = "scheduling"\nshare = 0.5\nmistakes = 0.2\n'
    )
    result = run("generate", "--config", str(config), "--out", str(tmp_path / "mix"))
    assert result.returncode == 0, result.stderr
    stats = json.loads(run("stats", str(tmp_path / "mix"), "--json").stdout)
    assert stats["environments"] == {"support": 3, "scheduling": 3}
    config.write_text('[[mix]]\nenv = "support"\ntasks = "many"\n')
    bad = run("generate", "--config", str(config), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1
    assert f"{config}: mix[0].tasks: expected integer" in bad.stderr
    config.write_text('[[mix]]\nenv = "support"\nagent = "llm"\n[llm]\nbase_url = "127.0.0.1"\n'
                      'model = "m"\n')  # fmt: skip
    bad = run("generate", "--config", str(config), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1
    assert f"{config}: llm.base_url: '127.0.0.1' is not an http(s) URL" in bad.stderr


def test_grade_with_a_judge_constrains_its_answers_and_labels_every_step(tmp_path: Path) -> None:
    converted = tmp_path / "in.jsonl"
    assert run("convert", str(EXAMPLE), str(converted), "--from", "openai").returncode == 0
    answer = json.dumps({"score": 0.8, "verdict": "correct", "rationale": "grounded"})
    with FakeEndpoint(handler=lambda request: text(answer)) as fake:
        graded = run(
            "grade", str(converted), "--rules", "none", "--out", str(tmp_path / "out.jsonl"),
            "--judge", fake.base_url, "--judge-model", "judge-model",
            "--judge-output", "schema", "--judge-concurrency", "2", "--api-key-env", "JUDGE_KEY",
            env={"JUDGE_KEY": "sk-test"},
        )  # fmt: skip
        requests = list(fake.requests)
        keys = set(fake.authorizations)
    assert graded.returncode == 0, graded.stderr
    assert requests
    assert all(r["response_format"]["type"] == "json_schema" for r in requests)
    assert keys == {"Bearer sk-test"}  # the key came from the variable --api-key-env named
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for record in records:
        for scope in (record, *record["steps"]):
            judged = [lb for lb in scope["labels"] if lb["source"]["kind"] == "judge"]
            assert [(lb["name"], lb["value"]) for lb in judged] == [("judge", 0.8)]
    bad = run("grade", str(converted), "--out", str(tmp_path / "x.jsonl"), "--judge",
              "http://127.0.0.1:9/v1", "--judge-output", "xml")  # fmt: skip
    assert bad.returncode == 1
    assert "unknown judge output 'xml'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_grade_rollouts_played_by_a_model(tmp_path: Path) -> None:
    generated = tmp_path / "gen"
    made = run(
        "generate", "--env", "dataops", "--tasks", "1", "--seed", "2", "--out", str(generated)
    )
    assert made.returncode == 0, made.stderr
    with FakeEndpoint(handler=lambda request: text("All done, nothing else needed.")) as fake:
        graded = run(
            "grade", str(generated), "--rules", "none", "--out", str(tmp_path / "out.jsonl"),
            "--rollouts", "2", "--rollout-mistakes", "0", "--workers", "2",
            "--rollout-endpoint", fake.base_url, "--rollout-model", "fake-model",
        )  # fmt: skip
        served = fake.served
    assert graded.returncode == 0, graded.stderr
    (record,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    labels = [lb for step in record["steps"] for lb in step["labels"] if lb["name"] == "process"]
    assert len(labels) == len(record["steps"])
    assert {lb["source"]["id"] for lb in labels} == {"llm:fake-model"}
    assert served == 2 * (len(record["steps"]) - 1)  # the recorded finish needs no rollout


def test_a_rerun_removes_the_temp_files_a_killed_run_left(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    assert run("convert", str(EXAMPLE), "--from", "openai", str(source)).returncode == 0
    graded, shards = tmp_path / "graded.jsonl", tmp_path / "shards"
    shards.mkdir()
    stray = [
        tmp_path / ".graded.jsonl.0badcafe.tmp",  # grade killed while publishing
        tmp_path / ".graded.jsonl.quarantine.jsonl.12345678.tmp",
        shards / ".part-00004.parquet.deadbeef.tmp",  # a shard a killed convert never finished
        shards / ".manifest.json.0123abcd.tmp",
    ]
    for path in stray:
        path.write_bytes(b"partial")
    keep = tmp_path / ".graded.jsonl.notmine"  # not a name trajforge makes: left alone
    keep.write_bytes(b"x")
    assert run("grade", str(source), "--out", str(graded)).returncode == 0
    assert run("convert", str(source), str(shards), "--shard-size", "2").returncode == 0
    assert [p for p in stray if p.exists()] == []
    assert keep.exists()
    assert sorted(p.name for p in shards.iterdir()) == [
        "manifest.json", "part-00000.parquet", "part-00001.parquet", "part-00002.parquet",
    ]  # fmt: skip


def test_nothing_usable_coming_out_is_a_failure(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"id": 1}\nnot json\n')
    for args in (
        ("convert", str(junk), str(tmp_path / "c.jsonl")),
        ("verify", str(junk), "--out", str(tmp_path / "v.jsonl")),
        ("grade", str(junk), "--out", str(tmp_path / "g.jsonl")),
    ):
        failed = run(*args)
        assert failed.returncode == 1, args
        assert "nothing usable: all 2 records were set aside" in failed.stderr
    with FakeEndpoint(handler=lambda request: error(400, "the model is gone")) as fake:
        args = ("generate", "--env", "support", "--tasks", "2", "--agent", "llm")
        lost = run(*args, "--endpoint", fake.base_url, "--out", str(tmp_path / "run"))
    assert lost.returncode == 1, lost.stderr
    assert "2 failed episodes" in lost.stdout


def test_endpoints_that_cannot_serve_fail_before_any_work(tmp_path: Path) -> None:
    with FakeEndpoint() as gone:
        down = gone.base_url  # a port that was just free, closed again
    source = tmp_path / "in.jsonl"
    assert run("convert", str(EXAMPLE), str(source), "--from", "openai").returncode == 0
    out = tmp_path / "run"
    generate = ("generate", "--env", "support", "--tasks", "2", "--agent", "llm", "--model", "m")
    typo = run(*generate, "--endpoint", "localhost:8080/v1", "--out", str(out))
    assert typo.returncode == 1
    assert "llm.base_url: 'localhost:8080/v1' is not an http(s) URL" in typo.stderr
    unreachable = run(*generate, "--endpoint", down, "--out", str(out))
    assert unreachable.returncode == 1
    assert f"GET {down}/models: cannot reach the model endpoint" in unreachable.stderr
    assert not out.exists()  # the run did not claim the directory: fixing the URL just works
    graded = tmp_path / "graded.jsonl"
    for flags in (["--judge", down], ["--rollouts", "2", "--rollout-endpoint", down]):
        failed = run("grade", str(source), "--out", str(graded), *flags)
        assert failed.returncode == 1, flags
        assert "cannot reach the model endpoint" in failed.stderr
        assert "Traceback" not in failed.stderr
    assert "--judge: 'ftp://judge' is not an http(s) URL" in run(
        "grade", str(source), "--out", str(graded), "--judge", "ftp://judge"
    ).stderr.replace("\n", " ")
    with FakeEndpoint(api_key="sk-right") as guarded:
        refused = run("grade", str(source), "--out", str(graded), "--judge", guarded.base_url,
                      env={"OPENAI_API_KEY": "sk-wrong"})  # fmt: skip
        served = guarded.served
    assert refused.returncode == 1
    assert "HTTP 401" in refused.stderr
    assert "API key" in refused.stderr
    assert served == 0
    assert not graded.exists()


def test_an_output_never_overwrites_its_input(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    made = run("generate", "--env", "support", "--tasks", "2", "--out", str(gen))
    assert made.returncode == 0, made.stderr
    before = {p.name: p.read_bytes() for p in gen.iterdir() if p.is_file()}
    shard = next(gen.glob("part-*"))
    for args in (
        ("verify", str(gen), "--out", str(gen)),
        ("grade", str(gen), "--out", str(gen)),
        ("grade", str(shard), "--out", str(shard)),
        ("verify", f"{gen}/part-*", "--out", str(tmp_path)),  # a directory above the input
        ("convert", str(gen), str(gen)),
    ):
        refused = run(*args)
        assert refused.returncode == 1, args
        assert f"would overwrite the input {shard}" in refused.stderr.replace("\n", ""), args
    assert {p.name: p.read_bytes() for p in gen.iterdir() if p.is_file()} == before
    beside = run("verify", str(gen), "--out", str(gen / "verified.jsonl"))
    assert beside.returncode == 0, beside.stderr
