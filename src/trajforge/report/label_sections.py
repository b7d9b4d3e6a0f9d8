"""The report's sections about labels: the step-label mix by source, process-label curves,
agreement of automatic graders with humans, and example trajectories."""

from __future__ import annotations

from trajforge.report import svg
from trajforge.report.blocks import Block, Chart, Example, Note, Table, missing, num, pct
from trajforge.report.labels import CURVE_STEPS
from trajforge.report.profile import DatasetProfile
from trajforge.report.trajectory_view import trajectory_view

#: Label kinds drawn per source (the table lists every one).
TOP_LABELS = 10
#: The width of the charts drawn once per source, two side by side.
HALF = 580


def label_mix(p: DatasetProfile) -> list[Block]:
    """Step labels by source: a chart of each source's labels, and the full table."""
    sources = p.labels.by_source()
    if not sources:
        return [missing("step labels", "trajforge grade labels every step")]
    charts: list[Block] = [
        Chart(
            svg.bars(
                [(k, float(n)) for k, n in counts.most_common(TOP_LABELS)],
                f"{source} labels",
                width=HALF,
            ),
            f"{source}: its {min(TOP_LABELS, len(counts))} most frequent step labels of "
            f"{len(counts)} (name=grade)",
        )
        for source, counts in sources.items()
    ]
    totals = {source: sum(counts.values()) for source, counts in sources.items()}
    table = [
        [source, name, grade or "-", f"{count:,}", pct(count / totals[source])]
        for (source, name, grade), count in sorted(
            p.labels.steps.items(), key=lambda item: (list(sources).index(item[0][0]), -item[1])
        )
    ]
    columns = ("source", "label", "grade", "steps", "share of the source's labels")
    blocks: list[Block] = [*charts, Table("step labels", columns, table)]
    present = ", ".join(f"{s} {n:,}" for s, n in totals.items())
    blocks.insert(0, Note(f"step labels by source: {present}"))
    if p.labels.trajectories:
        rows_t = [
            [source, name, grade or "-", f"{count:,}"]
            for (source, name, grade), count in p.labels.trajectories.most_common()
        ]
        blocks.append(
            Table("trajectory labels", ("source", "label", "grade", "trajectories"), rows_t)
        )
    return blocks


def process_curves(p: DatasetProfile) -> list[Block]:
    """The mean process value (share of roll-outs that succeed) by step, per outcome."""
    curves = p.curves.curves()
    if not curves:
        return [missing("process labels", "trajforge grade --rollouts N")]
    chart = svg.lines(curves, "process value by step", x_label="step")
    counted = ", ".join(f"{s} {n:,}" for s, n in p.curves.trajectories.items() if n)
    blocks: list[Block] = [
        Chart(
            chart,
            "mean process label (share of roll-outs reaching the goal) at each step, by outcome",
        ),
        Note(f"trajectories with process labels: {counted}"),
    ]
    if p.curves.beyond:
        blocks.append(
            Note(f"{p.curves.beyond:,} labels after step {CURVE_STEPS - 1} are not drawn")
        )
    return blocks


def agreement(p: DatasetProfile) -> list[Block]:
    """Per automatic source: agreement with human step labels and Cohen's kappa."""
    a = p.agreement
    if not a.human_steps:
        return [missing("human labels", "trajforge review exports them")]
    rows = [
        [
            source,
            f"{t.steps:,}",
            pct(t.agreement),
            num(t.kappa),
            f"{t.both:,}",
            f"{t.human_only:,}",
            f"{t.grader_only:,}",
            f"{t.neither:,}",
        ]
        for source, t in sorted(a.sources.items())
    ]
    note = Note(
        f"{a.human_steps:,} steps carry human labels; on each, a grader says mistake or fine as "
        "exports read labels (a grader that left the step unlabelled says fine)"
    )
    if not rows:
        return [note, missing("automatic labels on the steps humans labelled")]
    columns = (
        "grader",
        "steps",
        "agreement",
        "Cohen's kappa",
        "both: mistake",
        "human only",
        "grader only",
        "both: fine",
    )
    chart = svg.bars(
        [(s, t.agreement or 0.0) for s, t in sorted(a.sources.items())],
        "agreement with humans",
        percent=True,
    )
    return [
        note,
        Chart(chart, "share of human-labelled steps on which each grader agrees"),
        Table("agreement with human labels", columns, rows),
    ]


def examples(p: DatasetProfile) -> list[Block]:
    """The example trajectories, step by step."""
    picked = p.examples.picked()
    blocks: list[Block] = [Example(shows, trajectory_view(t)) for shows, t in picked]
    found = {shows for shows, _ in picked}
    blocks += [
        missing(f"a trajectory showing {kind}") for kind in p.examples.kept if kind not in found
    ]
    return blocks
