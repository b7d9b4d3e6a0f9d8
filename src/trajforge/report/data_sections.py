"""The report's sections about the data itself: overview, outcomes and scores per environment,
steps per trajectory, tool use, faults and recovery."""

from __future__ import annotations

from collections import Counter

from trajforge.report import svg
from trajforge.report.blocks import Block, Chart, Note, Table, missing, num, pct
from trajforge.report.environments import ToolBalance
from trajforge.report.profile import DatasetProfile
from trajforge.report.stats import distribution
from trajforge.report.tables import stats_rows

STATUSES = ("success", "partial", "failure", "unknown")
#: Tools shown in the tool-use chart (the most called); the table lists every one.
TOP_TOOLS = 20
#: The width of the charts drawn once per environment.
SMALL = 330


def overview(p: DatasetProfile) -> list[Block]:
    """The ``trajforge stats`` summary as a table."""
    stats = p.stats.result()
    return [Table(f"{p.name}", ("statistic", "value"), stats_rows(stats))]


def outcomes(p: DatasetProfile) -> list[Block]:
    """Outcome statuses per environment (stacked bars, table) and score histograms."""
    envs = p.environments
    names = envs.names()
    if not names:
        return [missing("no trajectories")]
    keys = [s for s in STATUSES if any(envs.outcomes[e][s] for e in names)]
    rows = [(env, {s: float(envs.outcomes[env][s]) for s in keys}) for env in names]
    blocks: list[Block] = [
        Chart(svg.stacked(rows, keys, "outcomes by environment"), "outcome status by environment")
    ]
    table = []
    for env in names:
        counts, scores = envs.outcomes[env], envs.scores[env]
        total, scored = sum(counts.values()), sum(scores.values())
        mean = sum(v * n for v, n in scores.items()) / scored if scored else None
        table.append(
            [
                env,
                f"{total:,}",
                *(f"{counts[s]:,} ({counts[s] / total:.0%})" for s in keys),
                num(mean),
            ]
        )
    blocks.append(
        Table(
            "outcomes and mean score", ("environment", "trajectories", *keys, "mean score"), table
        )
    )
    for env in names:
        scores = envs.scores[env]
        if scores:
            bins = [(f"{tenth / 10:.1f}", float(scores[tenth / 10])) for tenth in range(11)]
            blocks.append(
                Chart(
                    svg.columns(bins, f"scores of {env}", x_label="score", width=SMALL),
                    f"score distribution: {env}",
                )
            )
    if not any(envs.scores.values()):
        blocks.append(missing("outcome scores", "trajforge grade scores trajectories"))
    return blocks


def steps(p: DatasetProfile) -> list[Block]:
    """Steps per trajectory: a histogram, and percentiles per environment."""
    overall: Counter[int] = Counter()
    for counts in p.environments.steps.values():
        overall.update(counts)
    if not overall:
        return [missing("no trajectories")]
    bins = _binned(overall)
    chart = Chart(
        svg.columns(bins, "steps per trajectory", x_label="steps"),
        "trajectories by number of steps",
    )
    rows = []
    for env in p.environments.names():
        d = distribution(p.environments.steps[env])
        rows.append(
            [
                env,
                f"{d.count:,}",
                num(d.mean, 1),
                *(str(d.percentiles[k]) for k in ("p50", "p90", "p99")),
                str(d.max),
            ]
        )
    return [
        chart,
        Table(
            "steps per trajectory",
            ("environment", "trajectories", "mean", "p50", "p90", "p99", "max"),
            rows,
        ),
    ]


def _binned(histogram: Counter[int], most: int = 40) -> list[tuple[str, float]]:
    """Bins of width 1 up to ``most`` bins, wider ones beyond."""
    top = max(histogram)
    width = max(1, -(-(top + 1) // most))
    counts: Counter[int] = Counter()
    for value, n in histogram.items():
        counts[value // width] += n

    def label(b: int) -> str:
        return str(b) if width == 1 else f"{b * width}–{b * width + width - 1}"

    return [(label(b), float(counts[b])) for b in range(top // width + 1)]


def tools(p: DatasetProfile) -> list[Block]:
    """Tool calls by tool, and the balance of trajectories and steps with and without tools."""
    calls = p.stats.calls
    blocks: list[Block] = []
    if calls:
        top = calls.most_common(TOP_TOOLS)
        blocks.append(
            Chart(
                svg.bars([(n, float(c)) for n, c in top], "tool calls by tool"),
                f"tool calls by tool (top {len(top)} of {len(calls)})",
            )
        )
    else:
        blocks.append(missing("tool calls", "no trajectory calls a tool"))
    names = p.environments.names()
    balance = {env: p.environments.tools[env] for env in names}
    rows = [
        (
            env,
            {
                "with tools": float(b.trajectories_with),
                "without tools": float(b.trajectories_without),
            },
        )
        for env, b in balance.items()
    ]
    if rows:
        blocks.append(
            Chart(
                svg.stacked(
                    rows,
                    ["with tools", "without tools"],
                    "trajectories with and without tool calls",
                ),
                "trajectories with and without tool calls, by environment",
            )
        )
        blocks.append(
            Table(
                "tool-vs-no-tool balance",
                (
                    "environment",
                    "trajectories with tools",
                    "without",
                    "steps with tool calls",
                    "steps without",
                ),
                [_balance_row(env, b) for env, b in balance.items()],
            )
        )
    return blocks


def _balance_row(env: str, b: ToolBalance) -> list[str]:
    trajectories = b.trajectories_with + b.trajectories_without
    steps = b.steps_with + b.steps_without
    return [
        env,
        f"{b.trajectories_with:,} ({b.trajectories_with / trajectories:.0%})"
        if trajectories
        else "0",
        f"{b.trajectories_without:,}",
        f"{b.steps_with:,} ({b.steps_with / steps:.0%})" if steps else "0",
        f"{b.steps_without:,}",
    ]


def faults(p: DatasetProfile) -> list[Block]:
    """Fault kinds: how often injected, recovery rate, and how those episodes ended."""
    rates = p.drift.rates
    errors, recovered = rates["error_rate"], rates["recovery_rate"]
    summary = Note(
        f"tool results that failed: {errors.hits:,} of {errors.total:,} ({pct(errors.rate())}); "
        f"recovered by a later successful call of the same tool: {recovered.hits:,} "
        f"({pct(recovered.rate())})"
    )
    kinds = p.faults.ordered()
    if not kinds:
        return [summary, missing("injected faults", "generate with --faults flaky")]
    rows = [
        [
            kind,
            f"{k.injected:,}",
            f"{k.recovered:,}",
            pct(k.recovery_rate),
            pct(k.succeeded / k.injected),
        ]
        for kind, k in kinds
    ]
    chart = svg.bars(
        [(kind, k.recovery_rate or 0.0) for kind, k in kinds],
        "recovery rate by fault kind",
        percent=True,
    )
    met = p.faults
    episodes = Note(
        f"{met.trajectories:,} trajectories met a fault; {met.trajectories_succeeded:,} of them "
        f"succeeded ({pct(met.trajectories_succeeded / met.trajectories)})"
    )
    return [
        summary,
        episodes,
        Chart(chart, "share of injected faults the agent recovered from (a later recovery label)"),
        Table(
            "faults by kind",
            ("fault", "injected", "recovered", "recovery rate", "in successful episodes"),
            rows,
        ),
    ]
