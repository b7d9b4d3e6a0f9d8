"""Verification + rule-grading benchmark: throughput vs bare decoding and vs a jsonschema baseline.

Run: ``.venv/bin/python bench/verify.py`` (``--n 600`` for a quicker run). The data is a generated
run (every environment with a scripted expert, mistakes 0.2, ``flaky`` faults), made on first use
and cached under ``bench/_data/`` (made again when trajforge's code changes). Every number is
measured in this run: CPU time of this process over the same lines, min / median of ``--repeats``
rounds in which the pipelines alternate, every cache emptied before each pass; ratios compare
pipelines of the same rounds (``bench/timing.py``). The pooled replay's speed-up is wall time.

Rows (per trajectory, from the JSON line):
- ``bare orjson.loads``: the decoding baseline.
- ``ours``: typed decode, format verification with compiled fastjsonschema validators (one per
  distinct schema), call/result pairing, step order, expected-action outcome check, then the rule
  graders (``trajforge.grade.rules.grade_rules``).
- ``baseline``: the same, but every call's arguments validated by ``jsonschema``'s
  ``Draft202012Validator`` (one validator per tool, built once), and the same rules.
- the same two without the rules; verification alone (either pipeline less the typed decoding
  both share, round by round) against the baseline's; then what each rule costs (in run order,
  the reading rules share charged to the first rule that needs it), and the full verification
  with replay, in this process and in a pool.
Targets (issue 5): ours >= 0.25 x bare decoding; ours >= 3 x the baseline; verification alone
(excluding the shared decoding) >= 3 x the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

import trajforge
from trajforge.agents.registry import with_experts
from trajforge.envs.base import clear_task_caches
from trajforge.grade.rules import RULES, RuleContext, environment_for, grade_rules
from trajforge.io import resolve_paths
from trajforge.io.jsonl import iter_lines
from trajforge.run.runner import Runner
from trajforge.run.spec import MixSpec, RunSpec
from trajforge.schema import Trajectory, TrajectoryDecoder
from trajforge.verify import (
    ArgumentError,
    CompiledSchema,
    LabelSummary,
    ValidatorCache,
    Verifier,
    VerifyOptions,
    verify_parallel,
)

sys.path.insert(0, str(Path(__file__).parent))
from timing import CPU, WALL, Timing, header, interleaved, legend, row, speedup

DATA = Path(__file__).parent / "_data"
Rules = Callable[[Trajectory], Trajectory]


# ---------------------------------------------------------------- data


def generated(n: int) -> tuple[Path, list[str]]:
    """A generated run of about ``n`` trajectories over every environment with an expert."""
    envs = sorted(with_experts())
    per_env = -(-n // len(envs))
    spec = RunSpec(
        mix=[MixSpec(env=e, tasks=per_env, mistakes=0.2, faults="flaky") for e in envs],
        seed=5,
        format="jsonl",
        shard_size=1000,
    )
    tag = hashlib.blake2b(repr(spec).encode() + code_digest(), digest_size=4).hexdigest()
    out = DATA / f"verify-{n}-{tag}"
    if not (out / "manifest.json").exists() or b'"complete":true' not in (
        out / "manifest.json"
    ).read_bytes().replace(b" ", b""):
        print(f"generating {per_env * len(envs):,} trajectories into {out} ...", flush=True)
        asyncio.run(Runner(spec, out).run())
    return out, envs


def code_digest() -> bytes:
    """A digest of trajforge's source: data made by other code (another environment version,
    other experts) is made again, never measured in its place."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(trajforge.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()


def load_lines(directory: Path) -> list[bytes]:
    """Every JSON line of the run, in order."""
    return [raw.data for path in resolve_paths(directory) for raw in iter_lines(path)]


# ---------------------------------------------------------------- pipelines


def jsonschema_compiler(schema: dict[str, Any] | None, key: str) -> CompiledSchema:
    """The baseline: a compiled Draft202012Validator per schema, reporting its best error."""
    if schema is None:
        return CompiledSchema(key, lambda _: None)
    validator = Draft202012Validator(schema)

    def check(arguments: Any) -> ArgumentError | None:
        error = best_match(validator.iter_errors(arguments))
        if error is None:
            return None
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        return ArgumentError(path, error.message, str(error.validator))

    return CompiledSchema(key, check)


def pipeline(verifier: Verifier, rules: Rules | None = None) -> Callable[[bytes], object]:
    """Decode a line, verify it, grade it with the rules."""
    decode = TrajectoryDecoder().decode
    verify = verifier.verify
    if rules is None:
        return lambda line: verify(decode(line))
    return lambda line: rules(verify(decode(line)))


def forget_caches() -> None:
    """Empty every cache trajforge keeps across trajectories (each task's world and start
    scores, the ``lru_cache`` of every loaded trajforge module), so that a pass over lines seen
    before costs what the first pass did."""
    clear_task_caches()
    for name, module in list(sys.modules.items()):
        if name.startswith("trajforge.") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def over(lines: list[bytes], fn: Callable[[bytes], object]) -> Callable[[], None]:
    """A case: ``fn`` on every line."""

    def case() -> None:
        for line in lines:
            fn(line)

    return case


WIDTH = 48


def show(label: str, t: Timing, baselines: Sequence[Timing | None] = (), note: str = "") -> None:
    """One row of the throughput table (timings per trajectory)."""
    print(row(label, t, baselines, rate="traj/s", note=note, width=WIDTH))


def measure(lines: list[bytes], repeats: int) -> ValidatorCache:
    """Time the pipelines and print the throughput table; returns our validator cache."""
    n = len(lines)
    static = VerifyOptions(replay=False)
    ours_cache, base_cache = ValidatorCache(), ValidatorCache(compiler=jsonschema_compiler)
    ours_verifier = Verifier(static, ours_cache)
    base_verifier = Verifier(static, base_cache)
    for verifier in (ours_verifier, base_verifier):  # compile every schema before timing
        for line in lines[:: max(1, n // 200)]:
            verifier.verify(TrajectoryDecoder().decode(line))
    fns: dict[str, Callable[[bytes], object]] = {
        "bare": orjson.loads,
        "decode": TrajectoryDecoder().decode,
        "ours_verify": pipeline(ours_verifier),
        "base_verify": pipeline(base_verifier),
        "ours": pipeline(ours_verifier, grade_rules),
        "base": pipeline(base_verifier, grade_rules),
    }
    timings = interleaved(
        {name: over(lines, fn) for name, fn in fns.items()}, repeats, before=forget_caches
    )
    t = {name: timing.per(n) for name, timing in timings.items()}
    bare, decode = t["bare"], t["decode"]
    print(f"time per trajectory; {legend(timings)}")
    print(header("measure", ["vs bare", "vs base"], rate="traj/s", width=WIDTH) + "  target")
    show("bare orjson.loads (baseline)", bare, [bare])
    show("typed decode (TrajectoryDecoder)", decode, [bare])
    show("baseline: decode + verify(jsonschema) + rules", t["base"], [bare])
    target = ">= 0.25 vs bare, >= 3x vs base"
    show("ours: decode + verify + rules", t["ours"], [bare, t["base"]], target)
    show("baseline: decode + verify(jsonschema)", t["base_verify"], [bare])
    show("ours: decode + verify", t["ours_verify"], [bare, t["base_verify"]])
    print("without the typed decoding both pipelines share (subtracted round by round):")
    ours_alone, base_alone = t["ours_verify"] - decode, t["base_verify"] - decode
    show("  baseline: verify(jsonschema) only", base_alone, [bare])
    show("  ours: verify only", ours_alone, [bare, base_alone], ">= 3x vs base")
    show("  ours: verify + rules", t["ours"] - decode, [bare, t["base"] - decode])
    show("  ours: rules only", t["ours"] - t["ours_verify"], [bare])
    lo, mid = speedup(ours_alone, base_alone)
    verdict = "ok" if mid >= 3 else "BELOW TARGET"
    print(
        "verification alone vs the compiled jsonschema baseline, EXCLUDING the shared decoding: "
        f"{lo:.2f}x on the min / {mid:.2f}x on the median (target >= 3x) {verdict}"
    )
    print(
        f"schemas compiled: ours {ours_cache.compilations}, baseline {base_cache.compilations}; "
        f"tool lists seen: {len(ours_cache.tables)}"
    )
    print_rule_budgets({name: timing.median for name, timing in t.items()})
    return ours_cache


def print_rule_budgets(t: dict[str, float]) -> None:
    """What each target leaves the rules (from median seconds per trajectory): the most they may
    cost per trajectory for ours to reach 0.25 of bare decoding, and for ours to be 3x the
    baseline when both run the same rules (``(B + R) / (V + R) >= 3`` holds only for
    ``R <= (B - 3V) / 2``; negative: no rules can)."""
    per = 1e6
    rules = (t["ours"] - t["ours_verify"]) * per
    vs_bare = (4 * t["bare"] - t["ours_verify"]) * per
    vs_base = (t["base_verify"] - 3 * t["ours_verify"]) * per / 2
    ceiling = t["base_verify"] / t["ours_verify"]
    print(
        f"rule budgets (medians): the rules cost {rules:,.0f} us; "
        f"0.25 vs bare allows {vs_bare:,.0f} us; "
        f"3x vs base allows {vs_base:,.0f} us (with rules that cost nothing ours would be "
        f"{ceiling:.2f}x the baseline)"
    )


def measure_each_rule(lines: list[bytes], repeats: int) -> None:
    """Print what each rule costs per trajectory, in the order the rules run: min / median of
    ``repeats`` passes, caches emptied before each. The reading rules share (``RuleContext``'s
    lazy parts, each task's initial world) is charged to the first rule that needs it."""
    decoder = TrajectoryDecoder()
    trajectories = [decoder.decode(line) for line in lines]
    samples: dict[str, list[float]] = {name: [] for name in ["context", *RULES]}
    for _ in range(max(1, repeats)):
        forget_caches()
        gc.collect()
        spent = dict.fromkeys(samples, 0.0)
        for trajectory in trajectories:
            start = CPU.now()
            ctx = RuleContext(trajectory, environment_for(trajectory))
            spent["context"] += CPU.now() - start
            for name, rule in RULES.items():
                start = CPU.now()
                rule(ctx)
                spent[name] += CPU.now() - start
        for name, seconds in spent.items():
            samples[name].append(seconds)
    per_rule = {name: Timing(tuple(s), CPU).per(len(lines)) for name, s in samples.items()}
    total = sum(t.median for t in per_rule.values())
    print(
        f"rules one by one (shared reading charged to its first user), {CPU.name}, min / median"
        f" of {repeats} passes: {total * 1e6:,.0f} us (sum of the medians)"
    )
    for name, t in sorted(per_rule.items(), key=lambda item: -item[1].median):
        share = t.median / total
        print(f"  {name:<22} {t.min * 1e6:>8.0f} us {t.median * 1e6:>8.0f} us  {share:>6.1%}")


def measure_replay(lines: list[bytes], cache: ValidatorCache, workers: int, repeats: int) -> None:
    """Time the full verification (replay included) and print what it found."""
    n = len(lines)
    decoder = TrajectoryDecoder()
    full = Verifier(VerifyOptions(), cache)
    summaries: list[LabelSummary] = []

    def replay() -> None:
        summary = LabelSummary()
        for line in lines:
            summary.add(full.verify(decoder.decode(line)))
        summaries.append(summary)

    cpu = interleaved(
        {"bare": over(lines, orjson.loads), "replay": replay}, repeats, before=forget_caches
    )
    bare = cpu["bare"].per(n)
    print(f"full verification with replay, time per trajectory; {legend(cpu)}")
    show(
        "full verify with replay (no rules)", cpu["replay"].per(n), [bare], "(runs every env again)"
    )
    if workers > 1:

        def pooled(count: int) -> Callable[[], None]:
            def case() -> None:
                decoded = (decoder.decode(line) for line in lines)
                for _ in verify_parallel(decoded, workers=count):
                    pass

            return case

        wall = interleaved(
            {"serial": pooled(1), "pooled": pooled(workers)},
            repeats,
            clock=WALL,
            before=forget_caches,
        )
        serial = wall["serial"].per(n)
        print(f"the same, in this process and in a pool; {legend(wall)}")
        print(header("", ["vs 1 process"], rate="traj/s", width=WIDTH))
        show("  1 process (baseline)", serial, [serial])
        show(f"  {workers} worker processes", wall["pooled"].per(n), [serial], "(speed-up)")
    summary = summaries[-1]
    print(f"{'environment':<12} {'source':<7} {'label':<28} {'grade':<8} {'count':>6}")
    for key, count in summary.rows():
        print(f"{key.environment:<12} {key.source:<7} {key.name:<28} {key.grade:<8} {count:>6}")
    rows = summary.rows()
    mismatches = sum(c for k, c in rows if k.source == "replay" and k.grade == "error")
    print(f"replay mismatches on unedited generated data: {mismatches} (expected 0)")


def main() -> None:
    """Generate (or reuse) the data, measure, print the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2400, help="trajectories (split over the envs)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--replay-repeats", type=int, default=3, help="rounds with replay, passes rule by rule"
    )
    parser.add_argument("--no-replay", action="store_true", help="skip the replay measurement")
    parser.add_argument("--workers", type=int, default=2, help="processes for pooled replay")
    args = parser.parse_args()
    directory, envs = generated(args.n)
    lines = load_lines(directory)
    n = len(lines)
    print(
        f"file: {directory.name}: {n:,} trajectories of {', '.join(envs)}; "
        f"{sum(map(len, lines)) / n / 1000:.1f} kB each on average"
    )
    cache = measure(lines, args.repeats)
    measure_each_rule(lines, args.replay_repeats)
    if not args.no_replay:
        measure_replay(lines, cache, args.workers, args.replay_repeats)


if __name__ == "__main__":
    main()
