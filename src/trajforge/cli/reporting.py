"""``trajforge report``: dataset reports beyond ``stats``: the HTML report (``report html``, also
``report PATH --out report.html``), diversity, and drift between two."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from trajforge.cli.common import FromOption, VerifyHashesOption, err, out, reader

if TYPE_CHECKING:
    from trajforge.io import BadRecord


class _HtmlByDefault(TyperGroup):
    """``trajforge report PATH ...`` (no command named) runs ``report html PATH ...``."""

    # ``ctx`` is typer's own (vendored) click Context, whose module is private
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["html", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_HtmlByDefault,
    help="Dataset reports: the HTML report (the default: report PATH --out report.html), "
    "diversity, drift.",
    no_args_is_help=True,
)


class _Skipped:
    """Counts the records that could not be read, and keeps the first's description."""

    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def __call__(self, bad: BadRecord) -> None:
        self.count += 1
        self.first = self.first or bad.describe()

    def warn(self, path: str) -> None:
        """Say on stderr how many records of ``path`` were left out, if any."""
        if self.count:
            records = f"{self.count:,} record{'s' * (self.count != 1)}"
            what = f"{records} of {path} could not be read and were left out"
            err.print(f"[yellow]{escape(what)}; first: {escape(self.first or '')}[/]")


@app.command("diversity")
def diversity(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    embeddings: Annotated[
        int,
        typer.Option(
            help="Also embed this many distinct instructions (at most 4096) with "
            "all-MiniLM-L6-v2 (needs the embeddings extra); 0: no embeddings.",
            min=0,
            max=4096,
        ),
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """Distinct tool sequences, distinct-n and n-gram diversity of instructions, tool entropy
    (embedding-free unless --embeddings)."""
    import msgspec

    from trajforge.curate.diversity import DiversityAccumulator
    from trajforge.io import ReadChecks
    from trajforge.report.drift_tables import diversity_table

    skipped = _Skipped()
    acc = DiversityAccumulator(sample=embeddings)
    for trajectory in reader(from_format, ReadChecks(shard_hashes=verify_hashes))(path, skipped):
        acc.add(trajectory)
    result = acc.result()
    if embeddings:
        from trajforge.curate.embeddings import embedding_diversity

        result.embedding = embedding_diversity(acc.sample())
    skipped.warn(path)
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        out.print(diversity_table(result, title=f"diversity of {path}"))


@app.command("drift")
def drift(
    a: Annotated[str, typer.Argument(help="The reference dataset (file, glob or directory).")],
    b: Annotated[str, typer.Argument(help="The dataset compared with it.")],
    threshold: Annotated[
        float,
        typer.Option(help="Distance from which a measure has drifted (0 to 1).", min=0, max=1),
    ] = 0.1,
    alpha: Annotated[
        float,
        typer.Option(help="p-value below which a distance is more than chance.", min=0, max=1),
    ] = 0.01,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    from_format: FromOption = "trajforge",
    from_b: Annotated[
        str | None, typer.Option("--from-b", help="Format of B (default: that of A, --from).")
    ] = None,
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """How B differs from A: mixes (Jensen–Shannon), numbers per trajectory (KS, Wasserstein),
    fault, error and recovery rates; measures that drifted are shown in red."""
    import msgspec

    from trajforge.curate.drift import Profile, compare
    from trajforge.io import ReadChecks
    from trajforge.report.drift_tables import drift_table

    checks = ReadChecks(shard_hashes=verify_hashes)
    profiles = []
    for path, fmt in ((a, from_format), (b, from_b or from_format)):
        skipped, profile = _Skipped(), Profile()
        for trajectory in reader(fmt, checks)(path, skipped):
            profile.add(trajectory)
        skipped.warn(path)
        profiles.append(profile)
    report = compare(*profiles, threshold=threshold, alpha=alpha)
    if as_json:
        sys.stdout.write(msgspec.json.encode(report).decode() + "\n")
    else:
        out.print(drift_table(report, title=f"drift from {a} (A) to {b} (B)"))


@app.command("html")
def html(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files, globs or directories of trajectories (one dataset).", show_default=False
        ),
    ] = None,
    dest: Annotated[Path, typer.Option("--out", help="Where to write the HTML page.")] = Path(
        "report.html"
    ),
    reference: Annotated[
        Path | None, typer.Option(help="A reference dataset: show the drift from it.")
    ] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option(help="A pipeline run folder: its curation reports, audits and export cards."),
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            help="Two datasets A B side by side (instead of PATH), with B's drift from A."
        ),
    ] = None,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """One self-contained HTML page: outcomes, steps, tools, faults, labels, process curves,
    curation, drift, agreement with humans and example trajectories (no script, no network)."""
    from trajforge.errors import ConfigError
    from trajforge.report.html import write_comparison, write_report

    if bool(paths) == (compare is not None):
        raise ConfigError(
            "give either PATH or --compare A B", hint="trajforge report PATH --out report.html"
        )
    if compare is not None:
        if reference is not None or run_dir is not None:
            raise ConfigError("--compare shows drift itself; it takes no --reference or --run-dir")
        written = write_comparison(
            *compare, dest, from_format=from_format, verify_hashes=verify_hashes
        )
    else:
        assert paths
        written = write_report(
            paths,
            dest,
            run_dir=run_dir,
            reference=reference,
            from_format=from_format,
            verify_hashes=verify_hashes,
        )
    out.print(f"wrote the report to {escape(str(written))}")
