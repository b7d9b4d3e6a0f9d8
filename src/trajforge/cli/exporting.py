"""``trajforge export``: trajectories to what trainers read, with a dataset card beside them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    VerifyHashesOption,
    out,
    report_quarantine,
)
from trajforge.cli.engine_options import EngineOption, RayAddressOption
from trajforge.engine import engine_in_force
from trajforge.errors import InputError

_UNIT = {"min": 0.0, "max": 1.0}
_TOKENIZED = "tokenized"


def _names(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (``None`` when not given)."""
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


def export_records(
    format_name: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT",
            help="openai-ft, trl-sft, dpo, prm, kto, tokenized, or any format with a writer "
            "(see trajforge plugins).",
        ),
    ],
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[
        str,
        typer.Argument(
            metavar="OUT",
            help="A file (.jsonl[.gz|.zst], .parquet for tokenized; the card goes to "
            "OUT.card.md) or a dataset directory (data/train.jsonl or .parquet, and README.md).",
        ),
    ],
    from_format: FromOption = "trajforge",
    json_strings: Annotated[
        bool,
        typer.Option(
            "--json-strings",
            help="TRL formats: tool schemas and call arguments as JSON strings (Arrow fills "
            "objects of varying keys with nulls).",
        ),
    ] = False,
    mistake_below: Annotated[
        float,
        typer.Option(help="A step label with a value below this marks a mistake.", **_UNIT),
    ] = 0.5,
    mistake_classes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated label grades or names that mark a mistake "
            "(default: the rules' problems, judge 'incorrect', 'unreachable', injected mistakes)."
        ),
    ] = None,
    label_sources: Annotated[
        str | None,
        typer.Option(help="Comma-separated label sources that count (default: all)."),
    ] = None,
    margin: Annotated[
        float,
        typer.Option(help="dpo: the least difference that prefers one continuation.", **_UNIT),
    ] = 0.1,
    kto_unit: Annotated[
        str, typer.Option(help="kto: a row per 'trajectory' or per 'step'.")
    ] = "trajectory",
    desirable_at: Annotated[
        float,
        typer.Option(help="kto per trajectory: the outcome a desirable row needs.", **_UNIT),
    ] = 1.0,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            help="tokenized: a Hugging Face tokenizer directory or a GGUF model file (its "
            "tokenizer and chat template; nothing is downloaded).",
            rich_help_panel=_TOKENIZED,
        ),
    ] = None,
    chat_template: Annotated[
        str | None,
        typer.Option(
            help="tokenized: a Jinja chat template file to use instead of the tokenizer's.",
            rich_help_panel=_TOKENIZED,
        ),
    ] = None,
    max_length: Annotated[
        int | None,
        typer.Option(
            help="tokenized: the most tokens a sample may have.", min=1, rich_help_panel=_TOKENIZED
        ),
    ] = None,
    overflow: Annotated[
        str | None,
        typer.Option(
            help="tokenized: what becomes of a text longer than --max-length: drop (default), "
            "truncate (the whole steps that fit) or split (windows of whole steps, each after "
            "the system prompt and instruction); a cut never falls inside a tool call.",
            rich_help_panel=_TOKENIZED,
        ),
    ] = None,
    mask_mistakes: Annotated[
        bool | None,
        typer.Option(
            "--mask-mistakes/--no-mask-mistakes",
            help="tokenized: leave the steps marked as mistakes in the text untrained "
            "(default), or train them.",
            rich_help_panel=_TOKENIZED,
            show_default=False,
        ),
    ] = None,
    quarantine: QuarantineOption = None,
    verify_hashes: VerifyHashesOption = True,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad record instead of quarantining.")
    ] = False,
    engine: EngineOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Export trajectories in a trainer's format, with a dataset card (counts, outcome and label
    mix, environments, provenance, licences, these options) beside the data."""
    from trajforge.cli.interrupt import unwritten
    from trajforge.formats.export import export_dataset
    from trajforge.formats.export_options import load_options
    from trajforge.io import Quarantine
    from trajforge.io.checks import ReadChecks, checking
    from trajforge.pipeline.job import default_quarantine

    given = {
        "mistake_classes": _names(mistake_classes),
        "label_sources": _names(label_sources),
    }
    options = load_options(
        {key: value for key, value in given.items() if value is not None}
        | {
            "mistake_below": mistake_below,
            "json_strings": json_strings,
            "margin": margin,
            "kto_unit": kto_unit,
            "desirable_at": desirable_at,
        }
    )
    own = {
        "tokenizer": tokenizer,
        "chat_template": chat_template,
        "max_length": max_length,
        "overflow": overflow,
        "mask_mistakes": mask_mistakes,
    }
    sink = Quarantine(quarantine or default_quarantine(dest))
    checks = ReadChecks(shard_hashes=verify_hashes, unique_keys=strict)
    with unwritten(dest), sink, checking(checks), engine_in_force(engine, ray_address):
        result = export_dataset(
            format_name,
            source,
            dest,
            from_format=from_format,
            options=options,
            writer_options={key: value for key, value in own.items() if value is not None},
            on_error=None if strict else sink.add,
        )
    written, target = result.written, result.target
    out.print(
        f"wrote {written.count:,} {escape(format_name)} rows from "
        f"{result.stats.trajectories:,} trajectories to {escape(str(target.data))} "
        f"(card: {escape(str(target.card))})"
    )
    for what, count in sorted(written.details.items()):
        out.print(f"  {escape(what)}: {count:,}")
    report_quarantine(sink.count, sink.path, written=written.count)
    if written.count == 0:
        raise InputError(
            f"nothing exported: {result.stats.trajectories:,} trajectories gave no "
            f"{format_name} rows",
            hint="see the counts above" if written.details else "is the input empty?",
        )
