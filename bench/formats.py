"""Formats benchmark: importing OpenAI JSONL, the tokenized export, JSONL -> Parquet, peak memory.

Run: ``.venv/bin/python bench/formats.py`` (``--n 2000`` for a quicker run, ``--repeats`` for
more rounds). Every timing is CPU time of this process (the threads of ``tokenizers`` and Arrow
included), min / median of rounds in which the subject and its baseline alternate, and is
printed next to that baseline as a ratio (baseline time / subject time: 1 is as fast).

- **import**: the reader of ``trajforge import openai`` (read the file, convert each chat record,
  stamp provenance) over ``--n`` records of the synthetic trajectories as OpenAI chat records,
  vs bare ``orjson.loads`` of each line of the same file (charged the decoding alone).
  Target (issue 15): >= 0.3.
- **tokenized**: the tokenized writer (render each trajectory with a chat template, find the
  trained turns from one traced render, tokenize in segments, write Parquet; see
  ``trajforge.formats.tokenizing.single_pass``, ``.pieces`` and ``.preambles``) on ``--n / 10``
  trajectories in memory vs the bare tokenizer's batch encoding (``encode_batch_fast``) of the
  same conversations rendered whole. The tokenizer is a byte-level BPE of 4,096 tokens trained
  here on those texts; the template ChatML with tools (``tests/formats/tokenizer_files.py``).
  Three times: the synthetic trajectories (short texts: ~4 KB per trajectory; they share one
  system prompt and tool set, as an environment's episodes do), the same with a system prompt
  of their own each (no preamble to share: the worst case of ``.preambles``' cache), and the
  same with an agent's usual long texts (a 6 KB policy as system prompt, 1 KB tool results).
  Each with ``tokenizers``' thread pool (its default) and single-threaded
  (``TOKENIZERS_PARALLELISM=false``), on both sides: with the pool, CPU times spread more from
  run to run. The trajectories held in memory are the fixture, frozen out of the garbage
  collector's passes (an export streams them). Target: >= 0.7.
- **JSONL -> Parquet**: what ``trajforge convert`` does (``copy_trajectories``: read and
  validate trajforge JSONL, write nested Parquet) over ``--n / 2`` trajectories vs pyarrow's own
  JSON reader and Parquet writer (zstd) on the same file (columns pyarrow cannot write, empty
  structs, dropped). Target: >= 0.6.
- **peak RSS** of ``trajforge import openai`` and ``trajforge convert`` to Parquet (``--n / 10``
  and ``--n`` records) and of ``trajforge convert --to tokenized`` (``--n / 100`` and
  ``--n / 10``), each in a fresh process: flat (ratio ~1.0).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import orjson
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from tokenizers import Tokenizer

from trajforge.formats.openai import trajectory_to_record
from trajforge.formats.registry import get_reader, get_writer
from trajforge.formats.tokenizing.messages import ChatMessages
from trajforge.formats.tokenizing.template import ChatTemplate
from trajforge.io import copy_trajectories
from trajforge.schema import ToolResult, Trajectory

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.formats.tokenizer_files import TOOLS_TEMPLATE, tokenizer_dir

from files import count_lines, decode_case, peak_rss_mb
from synth import WORDS, iter_trajectories, write_jsonl
from timing import header, interleaved, legend, row

DATA = Path(__file__).parent / "_data"
WIDTH = 50
VOCAB = 4096
PARALLELISM = "TOKENIZERS_PARALLELISM"


def openai_jsonl(path: Path, n: int) -> Path:
    """``n`` synthetic trajectories as OpenAI chat records, one a line (cached)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        for trajectory in iter_trajectories(n):
            f.write(msgspec.json.encode(trajectory_to_record(trajectory)) + b"\n")
    tmp.replace(path)
    return path


def compare(
    title: str,
    cases: dict[str, tuple[str, Callable[[], object]]],
    repeats: int,
    *,
    units: float,
    unit: str,
    heading: str,
    target: str,
) -> None:
    """Time the baseline (the first case) and the subject (the second) in interleaved rounds and
    print them per ``unit``, the subject's ratio to the baseline next to ``target``."""
    (base, (base_label, _)), (subject, (subject_label, _)) = cases.items()
    timings = interleaved({name: case for name, (_, case) in cases.items()}, repeats)
    t = {name: timing.per(units) for name, timing in timings.items()}
    rate = f"{unit}/s"
    print(f"\n{title}: time per {unit}; {legend(timings)}")
    print(header(heading, [f"vs {base}"], rate=rate, width=WIDTH) + "  target")
    print(row(f"{base_label} (baseline)", t[base], [t[base]], rate=rate, width=WIDTH))
    print(row(subject_label, t[subject], [t[base]], rate=rate, note=target, width=WIDTH))


def bench_import(path: Path, repeats: int) -> None:
    n = count_lines(path)
    read = get_reader("openai")
    compare(
        "import",
        {
            "bare": ("bare orjson.loads", decode_case(path, orjson.loads)),
            "import": (
                "trajforge import openai (reader)",
                lambda: sum(1 for _ in read(str(path), None)),
            ),
        },
        repeats,
        units=n,
        unit="rec",
        heading=f"{n:,} OpenAI chat records",
        target=">= 0.3",
    )


def with_own_prompt(trajectory: Trajectory) -> Trajectory:
    """The trajectory with a system prompt no other has (nothing of its preamble is shared)."""
    prompt = f"{trajectory.system_prompt} (session {trajectory.id})"
    return msgspec.structs.replace(trajectory, system_prompt=prompt)


def with_long_texts(trajectory: Trajectory) -> Trajectory:
    """The trajectory with a 6 KB system prompt and 1 KB tool results."""
    policy = " ".join(WORDS[i % len(WORDS)] for i in range(900))
    steps = [
        msgspec.structs.replace(
            step,
            observations=[
                msgspec.structs.replace(o, content=(o.content + " ") * 12)
                if isinstance(o, ToolResult)
                else o
                for o in step.observations
            ],
        )
        for step in trajectory.steps
    ]
    return msgspec.structs.replace(trajectory, system_prompt=policy, steps=steps)


def rendered(trajectories: list[Trajectory]) -> list[str]:
    """Each trajectory's conversation rendered whole with the benchmark's template."""
    template = ChatTemplate(TOOLS_TEMPLATE, origin="bench", variables={})
    texts = []
    chat_messages = ChatMessages(tools_as_text=False)
    for trajectory in trajectories:
        messages, tools = chat_messages(trajectory)
        texts.append(template.render(messages, tools, add_generation_prompt=False))
    return texts


@contextmanager
def tokenizers_parallelism(value: str) -> Iterator[None]:
    """``TOKENIZERS_PARALLELISM`` set to ``value`` (``tokenizers`` reads it at every call)."""
    before = os.environ.get(PARALLELISM)
    os.environ[PARALLELISM] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[PARALLELISM]
        else:
            os.environ[PARALLELISM] = before


def bench_tokenized(label: str, trajectories: list[Trajectory], repeats: int) -> Path:
    """Time the tokenized writer against bare batch encoding, with ``tokenizers``' thread pool
    and single-threaded; return the tokenizer made."""
    texts = rendered(trajectories)
    slug = label.replace(", ", "-").replace(" ", "-")
    directory = tokenizer_dir(
        DATA / f"tokenizer-{slug}", TOOLS_TEMPLATE, corpus=texts, vocab_size=VOCAB
    )
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    write = get_writer("tokenized")
    out = DATA / f"tokenized-{slug}.parquet"
    n = len(trajectories)
    tokens = sum(len(e.ids) for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False))
    size = sum(len(text) for text in texts) / n / 1000
    gc.collect()
    gc.freeze()  # the trajectories are the fixture: collections during a case need not walk them
    for threads, parallelism in (("thread pool", "true"), ("single-threaded", "false")):
        with tokenizers_parallelism(parallelism):
            compare(
                f"tokenized ({label}, tokenizers {threads})",
                {
                    "bare": (
                        "bare encode_batch_fast",
                        lambda: tokenizer.encode_batch_fast(texts, add_special_tokens=False),
                    ),
                    "export": (
                        "tokenized writer (render, mask, Parquet)",
                        lambda: write(str(out), trajectories, tokenizer=str(directory)),
                    ),
                },
                repeats,
                units=n,
                unit="traj",
                heading=f"{n:,} trajectories, {size:.1f} KB and {tokens // n:,} tokens each",
                target=">= 0.7",
            )
    gc.unfreeze()
    out.unlink()
    return directory


def pyarrow_case(source: Path, dest: Path) -> Callable[[], object]:
    """pyarrow's JSON reader and Parquet writer (zstd), without the empty-struct columns
    Parquet cannot hold."""

    def case() -> None:
        table = pa_json.read_json(source)
        writable = [
            f.name
            for f in table.schema
            if not (pa.types.is_struct(f.type) and f.type.num_fields == 0)
        ]
        pq.write_table(table.select(writable), dest, compression="zstd")

    return case


def bench_parquet(source: Path, repeats: int) -> None:
    ours, theirs = DATA / "formats-ours.parquet", DATA / "formats-pyarrow.parquet"
    megabytes = source.stat().st_size / 1e6
    compare(
        "JSONL -> Parquet",
        {
            "pyarrow": ("pyarrow read_json + write_table", pyarrow_case(source, theirs)),
            "convert": (
                "trajforge convert (validated, nested)",
                lambda: copy_trajectories(str(source), str(ours)),
            ),
        },
        repeats,
        units=megabytes,
        unit="MB",
        heading=f"{count_lines(source):,} trajectories, {megabytes:.0f} MB of JSONL",
        target=">= 0.6",
    )
    ours.unlink()
    theirs.unlink()


def rss_pair(label: str, small: tuple[int, list[str]], big: tuple[int, list[str]]) -> None:
    """Print the peak RSS of two runs of a command (small and big input) and their ratio."""
    rss_small, rss_big = peak_rss_mb(*small[1]), peak_rss_mb(*big[1])
    print(
        f"  {label:<34} {small[0]:>9,}: {rss_small:>5,.0f} MB  {big[0]:>9,}: {rss_big:>5,.0f} MB"
        f"  ratio {rss_big / rss_small:.2f}"
    )


def bench_rss(n: int, tokenizer: Path) -> None:
    print("\npeak RSS in a fresh process (target: flat, ratio ~1.0)")
    out = DATA / "rss-out.jsonl"
    few, many = n // 10, n
    runs = {
        k: (
            k,
            [
                "import",
                "openai",
                str(openai_jsonl(DATA / f"formats-openai-{k}.jsonl", k)),
                str(out),
            ],
        )
        for k in (few, many)
    }
    rss_pair("trajforge import openai", runs[few], runs[many])
    out.unlink()
    parquet = DATA / "rss-out.parquet"
    few, many = max(1, n // 100), max(2, n // 10)
    runs = {
        k: (
            k,
            [
                "convert",
                str(write_jsonl(DATA / f"formats-{k}.jsonl", k)),
                str(parquet),
                "--to",
                "tokenized",
                "-W",
                f"tokenizer={tokenizer}",
            ],
        )
        for k in (few, many)
    }
    rss_pair("trajforge convert --to tokenized", runs[few], runs[many])
    few, many = max(1, n // 10), max(2, n)
    runs = {
        k: (k, ["convert", str(write_jsonl(DATA / f"formats-{k}.jsonl", k)), str(parquet)])
        for k in (few, many)
    }
    rss_pair("trajforge convert (to Parquet)", runs[few], runs[many])
    parquet.unlink()


def main() -> None:
    """Run every measurement and print the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000, help="records in the biggest file")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    timing_n = max(10, args.n // 10)
    # first, while this process holds little: the garbage collector's passes walk what it holds
    bench_parquet(write_jsonl(DATA / f"formats-{timing_n // 2}.jsonl", timing_n // 2), args.repeats)
    bench_import(openai_jsonl(DATA / f"formats-openai-{timing_n}.jsonl", timing_n), args.repeats)
    trajectories = list(iter_trajectories(max(1, timing_n // 10)))
    tokenizer = bench_tokenized("short", trajectories, args.repeats)
    bench_tokenized("short, own prompts", [with_own_prompt(t) for t in trajectories], args.repeats)
    bench_tokenized("long", [with_long_texts(t) for t in trajectories], args.repeats)
    bench_rss(args.n, tokenizer)


if __name__ == "__main__":
    main()
