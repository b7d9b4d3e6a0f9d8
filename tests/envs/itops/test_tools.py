"""Tool specs, argument validation and error observations of the itops environment."""

from __future__ import annotations

import random

import jsonschema
import msgspec
import pytest

from tests.envs.itops.helpers import fresh, run
from trajforge.envs.itops import ItOpsEnv

READ_ONLY = {
    "list_services",
    "service_status",
    "get_metrics",
    "run_healthcheck",
    "list_releases",
    "list_dir",
    "read_file",
    "search_logs",
}


def test_tool_count_and_schemas_are_valid() -> None:
    specs = ItOpsEnv().tool_specs()
    assert 6 <= len(specs) <= 15
    for spec in specs:
        assert spec.description, spec.name
        assert spec.parameters is not None
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object"
        for name, prop in spec.parameters.get("properties", {}).items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"


def test_read_only_flags() -> None:
    flags = {name: t.read_only for name, t in ItOpsEnv.tools.items()}
    assert {n for n, ro in flags.items() if ro} == READ_ONLY


def test_enums_and_bounds_are_in_the_schema() -> None:
    specs = {s.name: s.parameters for s in ItOpsEnv().tool_specs()}
    approval = specs["request_approval"]
    assert approval is not None
    assert set(approval["properties"]["action"]["enum"]) == {"rollback", "restart", "config_change"}
    assert approval["properties"]["reason"]["minLength"] == 10
    search = specs["search_logs"]
    assert search is not None
    assert search["properties"]["limit"]["maximum"] == 100
    assert set(search["required"]) == {"service", "pattern"}


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("service_status", {}, "name"),
        ("service_status", {"name": 3}, "name"),
        ("read_file", {"path": "/etc/hosts", "tail": 0}, "tail"),
        ("search_logs", {"service": "x", "pattern": ""}, "pattern"),
        ("search_logs", {"service": "x", "pattern": "a", "limit": "many"}, "limit"),
        (
            "request_approval",
            {"action": "delete", "service": "x", "reason": "long enough"},
            "action",
        ),
        ("request_approval", {"action": "rollback", "service": "x", "reason": "short"}, "reason"),
        ("edit_file", {"path": "/etc/hosts", "old": "a"}, "new"),
        ("list_dir", {"path": "/", "recursive": True}, "recursive"),
    ],
)
def test_invalid_arguments_name_the_field(
    name: str, arguments: dict[str, object], field: str
) -> None:
    env, _ = fresh(1, 1)
    result = run(env, name, **arguments)
    assert result.status == "error"
    assert field in msgspec.json.decode(result.content)["error"]


@pytest.mark.parametrize(
    "name", ["service_status", "get_metrics", "run_healthcheck", "restart_service", "drain_service"]
)
def test_unknown_service_is_a_clear_error(name: str) -> None:
    env, task = fresh(2, 1)
    result = run(env, name, name="no-such-svc")
    assert result.status == "error"
    assert result.error_kind == "not_found"
    body = msgspec.json.decode(result.content)
    assert "no-such-svc" in body["error"]
    assert task.parameters["services"][0]["name"] in body["error"]


def test_unknown_tool_and_unknown_files() -> None:
    env, _ = fresh(3, 1)
    assert run(env, "rm_rf", path="/").error_kind == "unknown_tool"
    missing = run(env, "read_file", path="/etc/nope.conf")
    assert missing.error_kind == "not_found"
    assert "/etc/nope.conf" in missing.content
    assert run(env, "read_file", path="/etc").error_kind == "is_a_directory"
    assert run(env, "list_dir", path="/etc/hosts").error_kind == "not_a_directory"
    assert run(env, "list_dir", path="/nowhere").error_kind == "not_found"
    assert run(env, "clear_file", path="/var/log/nothing.log").error_kind == "not_found"


def test_release_and_rollback_errors() -> None:
    env, task = fresh(4, 1)
    services = {s["name"]: s for s in task.parameters["services"]}
    db = next(n for n, s in services.items() if s["role"] == "db")
    app = next(n for n, s in services.items() if s["role"] == "app")
    assert run(env, "list_releases", name=db).error_kind == "no_releases"
    assert run(env, "rollback", service=db, version="1.0").error_kind == "no_releases"
    result = run(env, "rollback", service=app, version="0.0.0")
    assert result.error_kind == "not_found"
    assert services[app]["version"] in result.content
    current = services[app]["version"]
    assert run(env, "rollback", service=app, version=current).error_kind == "invalid_request"
    assert run(env, "drain_service", name=db).error_kind == "invalid_request"


def test_edit_file_needs_a_unique_match() -> None:
    env, _ = fresh(5, 1)
    assert run(
        env, "edit_file", path="/etc/hosts", old="nothing-like-this", new="x"
    ).error_kind == ("no_match")
    assert (
        run(env, "edit_file", path="/etc/hosts", old=".internal", new="x").error_kind == "ambiguous"
    )
    assert run(env, "edit_file", path="/etc/hosts", old="", new="x").error_kind == "invalid_request"
    ok = run(
        env, "edit_file", path="/etc/hosts", old="127.0.0.1 localhost", new="127.0.0.1 localhost"
    )
    assert ok.status == "ok"


def test_big_rotated_files_cannot_be_edited_but_can_be_cleared() -> None:
    env, task = fresh(6, 1)
    name = task.parameters["services"][0]["name"]
    path = f"/var/log/{name}/{name}.log.2.gz"
    assert run(env, "append_to_file", path=path, text="x").error_kind == "not_editable"
    preview = run(env, "read_file", path=path)
    assert "on disk; only a preview" in preview.content
    cleared = run(env, "clear_file", path=path)
    assert cleared.status == "ok"
    assert "MiB" in msgspec.json.decode(cleared.content)["freed"]


def test_observation_shapes() -> None:
    env, task = fresh(7, 2)
    listed = msgspec.json.decode(run(env, "list_services").content)
    assert {s["name"] for s in listed} == {s["name"] for s in task.parameters["services"]}
    name = listed[0]["name"]
    status = msgspec.json.decode(run(env, "service_status", name=name).content)
    assert status["config"] == f"/etc/{name}/config.yaml"
    metrics = msgspec.json.decode(run(env, "get_metrics", name=name).content)
    assert 0 <= metrics["error_rate"] <= 1
    check = msgspec.json.decode(run(env, "run_healthcheck", name=name).content)
    assert {c["check"] for c in check["checks"]} >= {"process", "config", "disk"}
    logs = msgspec.json.decode(
        run(env, "search_logs", service=name, pattern="INFO", limit=3).content
    )
    assert len(logs["matches"]) <= 3
    assert logs["total_matches"] >= len(logs["matches"])
    tail = run(env, "read_file", path=f"/var/log/{name}/{name}.log", tail=2).content
    assert tail.count("\n") == 2


def _random_arguments(env: ItOpsEnv, tool: str, rng: random.Random) -> dict[str, object]:
    state = env.state()
    names = [*state["services"], "nope", "../etc"]
    files = [*state["files"], "/etc", "/", "/var/log", "../x", "/etc/\x00"]
    path = rng.choice(files)
    lines = state["files"].get(path, "").splitlines() or ["x"]
    old = rng.choice(lines)
    versions = [r["version"] for s in state["services"].values() for r in s["releases"]]
    edits = [
        "",
        "port: 1",
        old + "x",
        "key:value",
        "\tbad: 1",
        "a b: c",
        "notAfter=2020-01-01",
        "notAfter=2099-01-01",
        "notAfter=soon",
        "cert_path: /etc/hosts",
        "X=",
        "port: 99999",
    ]
    options: dict[str, dict[str, object]] = {
        "list_services": {},
        "service_status": {"name": rng.choice(names)},
        "get_metrics": {"name": rng.choice(names)},
        "run_healthcheck": {"name": rng.choice(names)},
        "list_releases": {"name": rng.choice(names)},
        "list_dir": {"path": path},
        "read_file": {"path": path, "tail": rng.randint(1, 9)},
        "search_logs": {"service": rng.choice(names), "pattern": rng.choice(["error", "é", "["])},
        "edit_file": {"path": path, "old": old, "new": rng.choice(edits)},
        "append_to_file": {"path": path, "text": rng.choice(edits) or "Y=1"},
        "clear_file": {"path": path},
        "restart_service": {"name": rng.choice(names)},
        "drain_service": {"name": rng.choice(names)},
        "rollback": {"service": rng.choice(names), "version": rng.choice([*versions, "9.9"])},
        "request_approval": {
            "action": rng.choice(["rollback", "restart"]),
            "service": rng.choice(names),
            "reason": "it is broken, see logs",
        },
    }
    return options[tool]


def test_random_calls_never_raise() -> None:
    """A careless agent gets observations (ok or error), never an exception."""
    rng = random.Random(7)
    for seed in range(45):
        env, task = fresh(seed, 1 + seed % 3)
        for _ in range(80):
            tool = rng.choice(list(ItOpsEnv.tools))
            result = run(env, tool, **_random_arguments(env, tool, rng))
            assert result.status in ("ok", "error")
            if result.status == "error":
                assert msgspec.json.decode(result.content)["error"]
        outcome = env.check(task)
        assert outcome.score is not None
        assert 0 <= outcome.score <= 1
        snap = env.snapshot()
        env.restore(snap)


def test_asking_again_for_an_approval_gives_the_answer_already_given() -> None:
    env, task = fresh(4, 1)
    app = next(s["name"] for s in task.parameters["services"] if s["role"] == "app")
    ask = {"action": "rollback", "service": app, "reason": "the new release crashes on start"}
    first = msgspec.json.decode(run(env, "request_approval", **ask).content)
    tick = env._state.tick
    again = msgspec.json.decode(run(env, "request_approval", **ask).content)
    assert again["approval_id"] == first["approval_id"]
    assert again["approved"] == first["approved"]
    assert again["comment"].startswith(f"already requested as {first['approval_id']}")
    assert (len(env._state.approvals), env._state.tick) == (1, tick)  # nothing new was filed
    restart = run(env, "request_approval", **{**ask, "action": "restart"})
    assert msgspec.json.decode(restart.content)["approval_id"] != first["approval_id"]
