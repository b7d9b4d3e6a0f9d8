"""``trajforge demo``: the main job end to end, offline."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from trajforge.cli.common import out
from trajforge.cli.data import convert, head, stats
from trajforge.cli.generate import run_generation
from trajforge.cli.grade import grade
from trajforge.cli.verify import verify


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo outputs.")] = Path(
        "out/demo"
    ),
) -> None:
    """Run the main job end to end offline: generate, verify, grade, export, import."""
    from trajforge.demo import demo_spec, example_path

    generated = out_dir / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    out.rule("1. generate: every environment, its expert, 15% mistakes, flaky tools")
    run_generation(demo_spec(), generated)
    out.rule("2. statistics")
    stats(str(generated), as_json=False, from_format="trajforge")
    out.rule("3. verify: schemas, call/result pairing, replay in the environment, outcomes")
    verified = out_dir / "verified.jsonl.zst"
    verify(
        str(generated),
        str(verified),
        replay=True,
        workers=1,
        quarantine=None,
        from_format="trajforge",
    )
    out.rule("4. grade: rule labels on every step and a score per trajectory")
    graded = out_dir / "graded.jsonl.zst"
    grade(
        str(verified),
        str(graded),
        rules="all",
        rollouts=0,
        rollout_mistakes=0.1,
        judge=None,
        judge_model="default",
        weights=None,
        workers=1,
        seed=0,
        quarantine=None,
        from_format="trajforge",
    )
    out.rule("5. one graded trajectory, step by step")
    head(
        str(graded), n=1, trajectory_id=None, as_json=False, max_chars=300, from_format="trajforge"
    )
    out.rule("6. export for SFT as OpenAI chat records with tool calls")
    convert(
        str(graded),
        str(out_dir / "sft_chats.jsonl"),
        from_format="trajforge",
        to_format="openai",
        shard_size=10_000,
        quarantine=None,
        strict=True,
    )
    out.rule("7. import OpenAI chat records (the bundled example) to Parquet")
    convert(
        str(example_path()),
        str(out_dir / "imported.parquet"),
        from_format="openai",
        to_format="trajforge",
        shard_size=10_000,
        quarantine=None,
        strict=True,
    )
