"""``trajforge demo``: the main job end to end, offline, composed of library stages."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from trajforge.cli.common import out
from trajforge.cli.generate import run_generation
from trajforge.cli.interrupt import on_interrupt


@on_interrupt(lambda: "run trajforge demo again to start over")
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo outputs.")] = Path(
        "out/demo"
    ),
) -> None:
    """Run the main job end to end offline: generate, verify, grade, export, import."""
    from trajforge.demo import demo_spec, demo_stages, example_path
    from trajforge.formats.registry import get_reader, get_writer
    from trajforge.io import read_trajectories, write_trajectories
    from trajforge.pipeline.job import run_job
    from trajforge.report.stats import compute_stats
    from trajforge.report.tables import label_table, stage_table, stats_table
    from trajforge.report.transcript import render_transcript
    from trajforge.verify import LabelSummary

    generated = out_dir / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    out.rule("1. generate: every environment, its expert, 15% mistakes, flaky tools")
    run_generation(demo_spec(), generated)
    out.rule("2. statistics")
    out.print(stats_table(compute_stats(read_trajectories(generated)), title=str(generated)))
    out.rule("3. verify (schemas, pairing, replay, outcomes), rule labels on every step, a score")
    graded = out_dir / "graded.jsonl.zst"
    summary = LabelSummary(kinds=None)
    job = run_job(str(generated), str(graded), demo_stages(), observers=[summary])
    out.print(stage_table(job.report, title="stages"))
    out.print(label_table(summary, title="labels"))
    out.rule("4. one graded trajectory, step by step")
    out.print(render_transcript(next(read_trajectories(graded)), max_chars=300))
    out.rule("5. export for SFT as OpenAI chat records with tool calls")
    chats = out_dir / "sft_chats.jsonl"
    written = get_writer("openai")(str(chats), read_trajectories(graded))
    out.print(f"wrote {written.count:,} chats to {chats}")
    out.rule("6. import OpenAI chat records (the bundled example) to Parquet")
    imported = out_dir / "imported.parquet"
    result = write_trajectories(imported, get_reader("openai")(str(example_path()), None))
    out.print(f"wrote {result.count:,} trajectories to {imported}")
