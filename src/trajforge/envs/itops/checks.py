"""Goal checks of the itops environment over the final state, with partial credit.

One ``service_healthy`` check per service (half credit for a degraded or draining service), one
``root_cause_fixed`` check per injected cause (half credit for a fix on disk that was never
applied by a restart), and ``no_collateral_changes``: nothing but the fixes changed.
"""

from __future__ import annotations

from typing import Any

from trajforge.envs.itops import health
from trajforge.envs.itops.state import ItOpsState
from trajforge.envs.itops.world import initial_world
from trajforge.schema import CheckResult, Task


def _service_healthy(state: ItOpsState, name: str) -> CheckResult:
    label = f"service_healthy:{name}"
    svc = state.services.get(name)
    if svc is None:
        return CheckResult(name=label, passed=False, score=0.0, detail="service missing")
    if health.healthy(state, svc):
        return CheckResult(name=label, passed=True, score=1.0, detail="running and healthy")
    status = health.effective_status(state, svc)
    found = health.problems(state, svc)
    if status == "crashed":
        return CheckResult(name=label, passed=False, score=0.0, detail=f"crashed: {svc.detail}")
    why = "draining" if svc.draining else (found[0].message if found else "config not applied")
    if status == "degraded":
        why = svc.detail or why
    return CheckResult(name=label, passed=False, score=0.5, detail=f"{status}: {why}")


def _fix(state: ItOpsState, truth: dict[str, Any], fault: dict[str, Any]) -> tuple[float, str]:
    kind = fault["kind"]
    name = fault["service"]
    svc = state.services[name]
    if kind in ("bad_config", "cert_expired"):
        expected = next(
            e
            for e in truth["expected_config"]
            if e["path"] == fault["path"] and e["key"] == fault["key"]
        )
        text = state.files.get(fault["path"], "")
        values, error = health.parse_config(text)
        value = values.get(fault["key"], "")
        if "min" in expected:
            ok = value.isdigit() and expected["min"] <= int(value) <= 10000
        else:
            ok = value == expected["value"]
        if error is not None or not ok:
            return 0.0, f"{fault['key']} is {value!r}, expected {expected['value']!r}"
        if svc.loaded_config != text:
            return 0.5, f"{fault['key']} fixed on disk but {name} was not restarted"
        return 1.0, f"{fault['key']} = {value!r}, applied"
    if kind == "env_missing":
        text = state.files.get(fault["path"], "")
        env_value = health.parse_env(text).get(fault["var"])
        if env_value != fault["value"]:
            return 0.0, f"{fault['var']} is {env_value!r} in {fault['path']}"
        if svc.loaded_env != text:
            return 0.5, f"{fault['var']} restored but {name} was not restarted"
        return 1.0, f"{fault['var']} restored and applied"
    if kind == "bad_release":
        if svc.version != fault["good_version"]:
            return 0.0, f"{name} runs {svc.version}, expected {fault['good_version']}"
        return 1.0, f"{name} rolled back to {svc.version}"
    if kind == "disk_full":
        pct = health.disk_pct(state, svc)
        if pct >= 90:
            return 0.0, f"log volume of {name} still {pct}% full"
        return (1.0 if svc.status != "crashed" else 0.5), f"log volume {pct}% used"
    if svc.status == "crashed":
        return 0.0, f"{name} is still down"
    return 1.0, f"{name} restarted ({svc.status})"


def _collateral(state: ItOpsState, task: Task) -> CheckResult:
    truth = task.parameters["truth"]
    initial = initial_world(task.parameters)
    allowed = set(truth["allowed_changes"])
    changed: list[str] = []
    for path in sorted(set(initial.files) | set(state.files)):
        if path in allowed or (path.startswith("/srv/") and "/deploy/" in path):
            continue
        before = initial.files.get(path)
        after = state.files.get(path)
        if before is None or after is None:
            changed.append(path)
        elif path.startswith("/var/log/"):
            if not after.startswith(before) or initial.sizes.get(path) != state.sizes.get(path):
                changed.append(path)
        elif before != after:
            changed.append(path)
    expected_versions = truth["expected_versions"]
    for name, svc in state.services.items():
        if (
            name in expected_versions
            and svc.version != expected_versions[name]
            and svc.version != initial.services[name].version
        ):
            changed.append(f"release of {name} ({svc.version})")
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        return CheckResult(
            name="no_collateral_changes",
            passed=False,
            score=0.0,
            detail=f"unexpected changes: {shown}",
        )
    return CheckResult(
        name="no_collateral_changes", passed=True, score=1.0, detail="only the fixes changed"
    )


def evaluate(state: ItOpsState, task: Task) -> list[CheckResult]:
    """Every goal check of ``task`` on ``state``."""
    truth = task.parameters["truth"]
    faults = task.parameters["faults"]
    results: list[CheckResult] = []
    for check in task.goal_checks:
        if check.name == "service_healthy":
            results.append(_service_healthy(state, check.params["service"]))
        elif check.name == "root_cause_fixed":
            fault = faults[check.params["index"]]
            score, detail = _fix(state, truth, fault)
            results.append(
                CheckResult(
                    name=f"root_cause_fixed:{fault['kind']}:{fault['service']}",
                    passed=score == 1.0,
                    score=score,
                    detail=detail,
                )
            )
        elif check.name == "no_collateral_changes":
            results.append(_collateral(state, task))
        else:
            results.append(
                CheckResult(name=check.name, passed=False, score=0.0, detail="unknown check")
            )
    return results
