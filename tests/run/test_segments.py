"""Journal segments: what a distributed run's workers write themselves, and how a run resumes
from them (no Ray needed: a chunk is run here as a worker would run it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.run.test_runner import _toy_registered, digest, spec
from trajforge.engine.storage import TOKEN_NAME
from trajforge.io.manifest import Manifest
from trajforge.run.chunks import MAX_CHUNK, EpisodeChunk, chunk_size
from trajforge.run.runner import JOURNALS, Runner
from trajforge.run.segments import SegmentPlace, load_segments, segment_files

__all__ = ["_toy_registered"]  # the toy environment, registered for every test here


def test_a_worker_that_sees_the_run_writes_segments_and_sends_counts(tmp_path: Path) -> None:
    place = SegmentPlace.claim(tmp_path / JOURNALS)
    items = list(range(3, 9))  # shards 0 (3, 4) and 1 (5..8) of 5 items each
    sent_back = EpisodeChunk(spec(), llm=False).one(items).items
    written = EpisodeChunk(spec(), llm=False, place=place).one(items).items
    assert [r.lines for r in written] == [[]] * 6
    assert [r.segmented for r in written] == [len(r.lines) for r in sent_back]
    assert [p.name for p in sorted((tmp_path / JOURNALS).glob("seg-*"))] == [
        "seg-00000-000000003.jsonl",
        "seg-00001-000000005.jsonl",
    ]
    stored = load_segments(segment_files(tmp_path / JOURNALS, 0))
    stored |= load_segments(segment_files(tmp_path / JOURNALS, 1))
    assert stored == {r.index: r.lines for r in sent_back}
    EpisodeChunk(spec(), llm=False, place=place).one(items)  # run again (a retried task)
    again = load_segments(segment_files(tmp_path / JOURNALS, 1))
    assert again == {i: lines for i, lines in stored.items() if i >= 5}


def test_a_worker_without_the_drivers_storage_sends_the_lines_back(tmp_path: Path) -> None:
    SegmentPlace.claim(tmp_path / JOURNALS)
    elsewhere = SegmentPlace(str(tmp_path / JOURNALS), token="another run's")
    results = EpisodeChunk(spec(), llm=False, place=elsewhere).one([0, 1, 2, 3, 4])
    assert results.published is None  # a whole shard, but not where the driver sees it
    assert all(r.lines and not r.segmented for r in results.items)
    assert not list((tmp_path / JOURNALS).glob("seg-*"))
    missing = SegmentPlace(str(tmp_path / "not-mounted-here"), token="x")
    assert not missing.reachable()


def test_a_worker_whose_chunk_is_a_whole_shard_publishes_it(tmp_path: Path) -> None:
    full = tmp_path / "full"
    asyncio.run(Runner(spec(), full).run())
    out = tmp_path / "run"
    place = SegmentPlace.claim(out / JOURNALS)
    result = EpisodeChunk(spec(), llm=False, place=place).one([5, 6, 7, 8, 9])
    assert result.published is not None
    assert result.published in Manifest.load(full).shards
    assert (out / "part-00001.jsonl").read_bytes() == (full / "part-00001.jsonl").read_bytes()
    assert not list((out / JOURNALS).glob("seg-*"))
    last = EpisodeChunk(spec(), llm=False, place=place).one([20, 21, 22])  # the short last shard
    assert last.published is not None
    assert (out / "part-00004.jsonl").read_bytes() == (full / "part-00004.jsonl").read_bytes()


def test_a_run_resumes_from_segments_beside_its_journal(tmp_path: Path) -> None:
    full = tmp_path / "full"
    asyncio.run(Runner(spec(), full).run())
    partial = tmp_path / "partial"
    runner = Runner(spec(), partial)

    def stop_after_three(progress: object) -> None:
        if runner.progress.done >= 3:
            raise KeyboardInterrupt

    runner.on_progress = stop_after_three
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(runner.run())
    # workers of a driver that was then killed: their segments were written, never reported
    place = SegmentPlace.claim(partial / JOURNALS)
    EpisodeChunk(spec(), llm=False, place=place).one([3, 4, 5, 6, 12, 13])
    place.release()
    resumed = asyncio.run(Runner(spec(), partial).run())
    assert resumed.resumed == 3 + 6
    assert digest(partial) == digest(full)
    assert not list((partial / JOURNALS).glob("seg-*"))  # published, then removed
    assert not (partial / JOURNALS / TOKEN_NAME).exists()


def test_scripted_runs_are_cut_into_a_few_tasks_per_worker_llm_ones_into_small_ones() -> None:
    assert chunk_size(1000, 2, llm=False) == 125
    assert chunk_size(40, 2, llm=False) == 16  # never below the least
    assert chunk_size(10**7, 8, llm=False) == MAX_CHUNK
    assert chunk_size(1000, 2, llm=True) == 16
    assert chunk_size(1000, 2, llm=False, whole_shards=100) == 100  # a task per shard
    assert chunk_size(1000, 2, llm=False, whole_shards=250) == 125  # too few shards to share
    assert chunk_size(10**6, 2, llm=False, whole_shards=1000) == MAX_CHUNK  # shards too big
