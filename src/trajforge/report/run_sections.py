"""The report's sections from beyond the data: the curation funnel, drift against a reference,
human audits and the export dataset cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trajforge.curate.audit_summary import AuditSummary, Rate, stratum_name
from trajforge.curate.drift import DriftReport, Measure
from trajforge.report import svg
from trajforge.report.blocks import Block, Chart, Note, Preformatted, Table, missing, num, pct
from trajforge.report.drift_tables import measure_value
from trajforge.report.run_dir import RunArtifacts

NO_RUN = "trajforge report ... --run-dir RUN"


def curation(run: RunArtifacts | None) -> list[Block]:
    """Per curation report: the funnel (what each step kept), removals by reason, and the
    dedup and redaction counts."""
    if run is None or not run.curations:
        how = NO_RUN if run is None else "no *.curation.json in the run folder"
        return [missing("the curation funnel", how)]
    blocks: list[Block] = []
    for path, document in run.curations:
        blocks += _curation(path, document)
    return blocks


def _curation(path: Path, document: dict[str, Any]) -> list[Block]:
    steps: list[dict[str, Any]] = document["steps"]
    funnel = [("input", float(steps[0]["seen"]))] if steps else []
    funnel += [(str(step["name"]), float(step["kept"])) for step in steps]
    rows = []
    for step in steps:
        removed = step.get("removed") or {"": 0}
        for i, (reason, count) in enumerate(removed.items()):
            head = (
                [str(step["name"]), f"{step['seen']:,}", f"{step['kept']:,}"]
                if i == 0
                else ["", "", ""]
            )
            rows.append([*head, f"{count:,}", reason or "-"])
    blocks: list[Block] = [
        Note(
            f"{path}: {document.get('source', '?')} → {document.get('output', '?')}, "
            f"{document.get('written', 0):,} written, "
            f"{document.get('quarantined', 0):,} quarantined"
        ),
        Chart(svg.bars(funnel, "curation funnel"), "trajectories left after each curation step"),
        Table("removed by step and reason", ("step", "seen", "kept", "removed", "reason"), rows),
    ]
    for step in steps:
        report = step.get("report") or {}
        if step["name"] == "dedup":
            blocks.append(_dedup(report))
        elif step["name"] == "redact":
            blocks.append(_redaction(report))
    return blocks


def _dedup(report: dict[str, Any]) -> Block:
    rows = [
        [kind, f"{part.get('removed', 0):,}", f"{len(part.get('clusters', [])):,}"]
        for kind in ("exact", "near")
        if isinstance(part := report.get(kind), dict)
    ]
    return Table("deduplication", ("kind", "removed", "clusters"), rows)


def _redaction(report: dict[str, Any]) -> Block:
    replaced, distinct = report.get("replaced", {}), report.get("distinct", {})
    rows = [[kind, f"{n:,}", f"{distinct.get(kind, 0):,}"] for kind, n in replaced.items()]
    changed = (
        f"{report.get('changed', 0):,} of {report.get('trajectories', 0):,} trajectories changed"
    )
    return Table(
        f"redaction: {changed}", ("kind", "values replaced", "distinct per trajectory"), rows
    )


def drift(report: DriftReport | None, reference: str | None) -> list[Block]:
    """Every drift measure against the reference, the drifted ones first."""
    if report is None:
        return [missing("drift", "trajforge report ... --reference REF")]
    measures = sorted(report.measures, key=lambda m: (not m.drifted, m.name))
    drifted = ", ".join(report.drifted) or "none"
    rows = [_measure_row(m) for m in measures]
    bars = [(m.name, m.distance) for m in measures if m.distance is not None]
    columns = (
        "measure",
        "kind",
        "reference",
        "this dataset",
        "distance",
        "p",
        "drifted",
        "moved most",
    )
    return [
        Note(
            f"against {reference} ({report.a:,} trajectories; this dataset {report.b:,}): drifted: "
            f"{drifted} (distance ≥ {report.threshold}, p < {report.alpha})"
        ),
        Chart(
            svg.bars(bars, "drift distances"),
            "distance of each measure (JS, KS or rate difference)",
        ),
        Table("drift", columns, rows),
    ]


def _measure_row(m: Measure) -> list[str]:
    moves = (
        f"W1 {m.wasserstein:.2f}"
        if m.wasserstein is not None
        else ", ".join(f"{k} {v:+.1%}" for k, v in m.moves.items())
    )
    p = "-" if m.p_value is None else f"{m.p_value:.3g}"
    return [
        m.name,
        m.kind,
        measure_value(m, m.a),
        measure_value(m, m.b),
        num(m.distance, 3),
        p,
        "yes" if m.drifted else "no",
        moves,
    ]


def audits(run: RunArtifacts | None) -> list[Block]:
    """Each audit summary: error rates per stratum with Wilson intervals."""
    if run is None or not run.audits:
        return [
            missing(
                "a human audit", "trajforge audit summary QUEUE RESULTS --json > RUN/audit.json"
            )
        ]
    blocks: list[Block] = []
    for path, summary in run.audits:
        blocks += _audit(path, summary)
    return blocks


def _rate(rate: Rate) -> list[str]:
    interval = "-" if rate.low is None or rate.high is None else f"{rate.low:.1%} – {rate.high:.1%}"
    return [pct(rate.rate), interval]


def _audit(path: Path, summary: AuditSummary) -> list[Block]:
    rows = [
        [
            stratum_name(s.stratum),
            f"{s.size:,}",
            f"{s.queued:,}",
            f"{int(s.error.reviewed):,}",
            *_rate(s.error),
        ]
        for s in summary.strata
    ]
    rows.append(
        ["all reviewed", "", f"{summary.queued:,}", f"{summary.reviewed:,}", *_rate(summary.sample)]
    )
    rows.append(
        [
            "dataset (by stratum size)",
            "",
            "",
            f"{summary.dataset.reviewed:,.1f}",
            *_rate(summary.dataset),
        ]
    )
    columns = (
        "stratum",
        "size",
        "queued",
        "reviewed",
        "error rate",
        f"{summary.confidence:.0%} interval",
    )
    return [Note(f"audit {path}"), Table("audit error rates", columns, rows)]


def cards(run: RunArtifacts | None) -> list[Block]:
    """The export dataset cards, each folded under its title."""
    if run is None or not run.cards:
        how = NO_RUN if run is None else "no export card in the run folder"
        return [missing("export dataset cards", how)]
    listed = Table(
        "exports", ("export", "card"), [[card.title, str(card.path)] for card in run.cards]
    )
    return [listed, *(Preformatted(f"{card.title} ({card.path})", card.text) for card in run.cards)]
