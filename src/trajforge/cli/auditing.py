"""``trajforge audit``: the numbers of a human audit of a sample (``audit summary``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from trajforge.cli.common import out
from trajforge.errors import ConfigError

app = typer.Typer(help="Human audits of sampled trajectories.", no_args_is_help=True)


@app.callback()
def _audit() -> None:
    """Human audits of sampled trajectories (the queue comes from the [audit] curation step)."""


@app.command("summary")
def audit_summary(
    queue: Annotated[str, typer.Argument(help="The review queue that [audit] wrote (JSONL).")],
    results: Annotated[str, typer.Argument(help="The reviewers' verdicts (JSONL).")],
    confidence: Annotated[
        float, typer.Option(help="Confidence level of the intervals (0 to 1).")
    ] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Error rate (reject or needs-fix) per stratum and overall, with Wilson intervals."""
    import msgspec

    from trajforge.curate.audit_summary import summarize
    from trajforge.report.audit_tables import audit_table, step_errors_table

    if not 0 < confidence < 1:
        message = f"expected a confidence between 0 and 1, got {confidence}"
        raise ConfigError(message, path="--confidence")
    summary = summarize(queue, results, confidence=confidence)
    if as_json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
        return
    out.print(audit_table(summary, title=f"audit of {queue}"))
    if summary.step_errors:
        out.print(step_errors_table(summary))
