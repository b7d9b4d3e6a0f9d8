"""``trajforge report``: dataset reports beyond ``stats``: diversity, and drift between two."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import FromOption, VerifyHashesOption, err, out, reader

if TYPE_CHECKING:
    from trajforge.io import BadRecord

app = typer.Typer(help="Dataset reports: diversity, drift.", no_args_is_help=True)


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
