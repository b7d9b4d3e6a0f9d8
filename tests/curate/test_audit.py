"""The [audit] step: every trajectory passes; a stratified, seeded sample goes to the review
queue, with each stratum's size in the report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.curate.generated import generated
from trajforge.curate.audit import AuditStep, make_audit
from trajforge.curate.reservoir import Reservoirs, priority
from trajforge.curate.review_queue import QueueEntry, read_entries
from trajforge.curate.step import CURATION_STEPS, StepContext
from trajforge.curate.strata import allocate, stratum_of
from trajforge.errors import ConfigError
from trajforge.pipeline.runner import StageRunner
from trajforge.schema import Trajectory, encode

STRATA = ["environment", "outcome", "label"]
KINDS = ["policy_violation", "recovery", "injected_mistake"]


def runs() -> tuple[Trajectory, ...]:
    """Graded support and itops runs with faults and mistakes: strata of many sizes."""
    return generated(("support", 30), ("itops", 14), faults="flaky", mistakes=0.3)


def excluded(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the audit step removes nothing")


def step(queue: Path, *, run_seed: int = 0, **table: Any) -> AuditStep:
    settings = {"queue": str(queue), "strata": STRATA, "label_kinds": KINDS, **table}
    return make_audit(settings, StepContext(excluded, seed=run_seed))


def queued(path: Path) -> list[QueueEntry]:
    return [entry for _, entry in read_entries(path, QueueEntry)]


def test_per_stratum_sample_and_strata_sizes(tmp_path: Path) -> None:
    data = runs()
    audit = step(tmp_path / "queue.jsonl", per_stratum=3)
    passed = list(audit(iter(data)))
    assert passed == list(data)  # every trajectory, unchanged, in order

    sizes = Counter(stratum_of(t, STRATA, KINDS) for t in data)
    assert len(sizes) > 5
    assert min(sizes.values()) < 3 < max(sizes.values())
    report = audit.report()
    assert report["seen"] == len(data)
    rows = {tuple(r["stratum"].values()): (r["size"], r["sampled"]) for r in report["strata"]}
    assert rows == {s: (n, min(n, 3)) for s, n in sizes.items()}

    entries = queued(tmp_path / "queue.jsonl")
    assert len(entries) == report["sampled"] == sum(min(n, 3) for n in sizes.values())
    by_id = {t.id: t for t in data}
    for entry in entries:
        trajectory = by_id[entry.id]
        assert bytes(entry.trajectory) == encode(trajectory)
        stratum = stratum_of(trajectory, STRATA, KINDS)
        assert entry.stratum == dict(zip(STRATA, stratum, strict=True))
        size = sizes[stratum]
        assert (entry.stratum_size, entry.stratum_sample) == (size, min(size, 3))
    # within a stratum, the ids of smallest seeded hash: a uniform draw
    for stratum, n in sizes.items():
        members = [t.id for t in data if stratum_of(t, STRATA, KINDS) == stratum]
        members.sort(key=lambda i: priority(0, i))
        chosen = [e.id for e in entries if tuple(e.stratum.values()) == stratum]
        assert chosen == members[: min(n, 3)]


def test_total_is_shared_in_proportion_with_a_minimum(tmp_path: Path) -> None:
    data = runs()
    audit = step(tmp_path / "queue.jsonl", total=12, minimum=1)
    list(audit(iter(data)))
    sizes = Counter(stratum_of(t, STRATA, KINDS) for t in data)
    expected = allocate(sizes, 12, minimum=1)
    sampled = Counter(tuple(e.stratum.values()) for e in queued(tmp_path / "queue.jsonl"))
    assert sampled == +Counter(expected)
    assert all(sampled[s] >= 1 for s in sizes)
    assert sum(sampled.values()) == max(12, len(sizes))


def test_the_sample_depends_on_the_seed_only(tmp_path: Path) -> None:
    data = runs()

    def queue_bytes(name: str, stream: list[Trajectory], seed: int) -> bytes:
        list(step(tmp_path / name, run_seed=seed, total=10)(iter(stream)))
        return (tmp_path / name).read_bytes()

    first = queue_bytes("a.jsonl", list(data), seed=7)
    assert queue_bytes("b.jsonl", list(data), seed=7) == first
    assert queue_bytes("reversed.jsonl", list(reversed(data)), seed=7) == first
    assert queue_bytes("other.jsonl", list(data), seed=8) != first
    # the table's seed wins over the run's
    list(step(tmp_path / "c.jsonl", run_seed=99, total=10, seed=7)(iter(data)))
    assert (tmp_path / "c.jsonl").read_bytes() == first


def test_a_repeated_id_is_queued_once(tmp_path: Path) -> None:
    one = runs()[0]
    audit = step(tmp_path / "queue.jsonl", per_stratum=5, strata=["environment"])
    list(audit(iter([one, one, one])))
    assert [e.id for e in queued(tmp_path / "queue.jsonl")] == [one.id]
    assert audit.report()["strata"][0]["size"] == 3


def test_reservoirs_keep_the_smallest_and_write_few_records() -> None:
    reservoirs: Reservoirs[str] = Reservoirs(capacity=5)
    writes = 0

    def payload(i: int) -> bytes:
        nonlocal writes
        writes += 1
        return f"record {i}".encode()

    ranks = {i: priority(3, f"id-{i}") for i in range(20_000)}
    for i, rank in ranks.items():
        reservoirs.offer("only", rank, lambda i=i: payload(i))
    smallest = sorted(ranks, key=ranks.__getitem__)[:5]
    assert list(reservoirs.smallest("only")) == [f"record {i}".encode() for i in smallest]
    assert reservoirs.sizes() == {"only": 20_000}
    # about k (1 + ln(n / k)) = 46 records enter the reservoir; memory holds 5
    assert writes < 120
    reservoirs.close()


def test_registered_and_run_by_the_stage_runner(tmp_path: Path) -> None:
    data = [msgspec.json.decode(encode(t), type=Trajectory) for t in runs()]  # runner records
    factory = CURATION_STEPS.get("audit")
    queue = tmp_path / "review" / "q.jsonl"  # its folder is made
    audit = factory({"queue": str(queue), "per_stratum": 2}, StepContext(excluded))
    runner = StageRunner([audit])
    assert [t.id for t in runner.stream(data)] == [t.id for t in runs()]
    (count,) = runner.report.stages
    assert (count.seen, count.kept, count.changed, count.set_aside) == (len(data), len(data), 0, 0)
    assert data[0].provenance.stages[-1].name == "audit"
    assert queued(queue)


@pytest.mark.parametrize(
    ("table", "where", "message"),
    [
        ({"per_stratum": 2, "total": 9}, "[audit]", "give either per_stratum or total"),
        ({}, "[audit]", "give either per_stratum or total"),
        ({"per_stratum": 0}, "[audit].per_stratum", ">= 1"),
        ({"per_stratum": 1, "strata": ["colour"]}, "[audit].strata[0]", "invalid enum value"),
        ({"per_stratum": 1, "allocation": "random"}, "[audit].allocation", "invalid enum value"),
        ({"per_stratum": 1, "sample": 3}, "[audit]", "unknown field"),
    ],
)
def test_bad_settings_are_located(
    tmp_path: Path, table: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_audit({"queue": str(tmp_path / "q.jsonl"), **table}, StepContext(excluded))
    assert caught.value.path == where
    assert message in caught.value.message


def test_too_many_strata_stop_the_step(tmp_path: Path) -> None:
    audit = step(tmp_path / "q.jsonl", per_stratum=1, strata=["environment"], max_strata=1)
    with pytest.raises(ConfigError, match="more than 1 strata") as caught:
        list(audit(iter(runs())))
    assert caught.value.path == "[audit].strata"
    assert not (tmp_path / "q.jsonl").exists()
