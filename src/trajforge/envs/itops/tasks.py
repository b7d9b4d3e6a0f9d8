"""The seeded task generator of the itops environment, and its expert plan.

``generate_task(seed, difficulty)`` draws a deployment (which services, which software, ports,
releases, configs), injects one to four root causes, builds the world once to see what broke, and
writes the instruction, the hidden information, the goal checks, the ground truth and one correct
fault-free sequence of tool calls. Everything flows from ``random.Random`` seeded by the task seed.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from trajforge.envs.base import derive_seed
from trajforge.envs.itops import catalog, health
from trajforge.envs.itops.state import ItOpsState, Service
from trajforge.envs.itops.world import build_world
from trajforge.schema import ExpectedAction, GoalCheck, Task

KIND_TARGETS: dict[str, tuple[str, ...]] = {
    "bad_config": ("app", "worker", "gateway", "db", "cache", "queue"),
    "bad_release": ("app", "worker"),
    "dependency_down": ("db", "cache", "queue"),
    "disk_full": ("db", "queue", "app"),
    "cert_expired": ("gateway",),
    "env_missing": ("app", "worker"),
}
KINDS = tuple(KIND_TARGETS)
ALT_PORTS = {
    5432: (5433, 6432, 5423),
    3306: (3307, 3360, 33060),
    6379: (6380, 6397, 16379),
    11211: (11212, 11221),
    5672: (5671, 5673, 15672),
    4222: (4223, 4242, 6222),
}

INSTRUCTIONS = (
    "{env} incident: {entry} is {symptom} since about {onset} UTC. Please troubleshoot the "
    "deployment and bring every service back to healthy.",
    "Our {company} {entry} in {env} started {symptom} around {onset} UTC. Find the root cause, "
    "fix it properly and make sure all services pass their health checks.",
    "Pager alert {alert} on {entry} ({env}): it's {symptom}. Can you investigate and restore "
    "service? Please don't change anything that isn't part of the fix.",
    "Hey, {entry} has been {symptom} in {env} since roughly {onset} UTC and customers are "
    "noticing. Can you figure out what broke and get the stack healthy again?",
    "We're seeing {alert} for {entry} in {env}. It's {symptom}. Diagnose the failing deployment "
    "and fix whatever is wrong, then confirm everything is healthy.",
    "Something went wrong with the {company} deployment in {env}: {entry} is {symptom} (first "
    "alert at {onset} UTC). Please get to the bottom of it and recover all services.",
    "Incident ticket: '{entry} {symptom} ({env})'. Opened at {onset} UTC. Please root-cause it, "
    "apply the fix, and verify with health checks.",
    "Can you take this one? {entry} in {env} is {symptom} since {onset} UTC, alert {alert} is "
    "firing. Bring all services back to a healthy state.",
)
ALERTS = (
    "HighErrorRate",
    "ServiceDown",
    "HealthcheckFailing",
    "5xxSpike",
    "SLOBurnRateHigh",
    "EndpointUnreachable",
)
MORE = {
    1: "",
    2: " There may be more than one thing wrong.",
    3: " Several alerts fired at once, so expect more than one problem across services.",
}


def _version(rng: random.Random) -> list[str]:
    major, minor = rng.randint(1, 6), rng.randint(0, 19)
    patch = rng.randint(0, 4)
    return [f"{major}.{minor}.{patch}", f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0"]


def _typo(kind: str, value: str, rng: random.Random) -> str:
    if kind in ("int", "port"):
        bad = value.replace("0", "O", 1) if "0" in value else value + rng.choice(("k", "_", "x"))
    elif kind == "size":
        bad = value + rng.choice((value[-1], "s", "i"))
    elif kind == "float":
        bad = value.replace(".", ",")
    elif kind == "duration":
        bad = value + rng.choice(("ec", "s", "x"))
    else:
        i = rng.randint(0, len(value) - 2)
        bad = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        if bad == value or catalog.is_valid(kind, bad):
            bad = value + "x"
    return bad


def _host_typo(host: str, rng: random.Random) -> str:
    name, _, domain = host.partition(".")
    options = [
        "localhost",
        name,
        f"{name}.interal",
        f"{name}{name[-1]}.{domain}",
        f"{name[:-1]}.{domain}" if len(name) > 3 else f"{name}s.{domain}",
    ]
    if len(name) > 3:
        i = rng.randint(0, len(name) - 2)
        swapped = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if swapped != name:
            options.append(f"{swapped}.{domain}")
    return rng.choice(options)


class _Draft:
    """The deployment being drawn: service specs and faults."""

    def __init__(self, rng: random.Random, difficulty: int) -> None:
        self.rng = rng
        self.difficulty = difficulty
        self.specs: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        self.faults: list[dict[str, Any]] = []


def _choose_roles(rng: random.Random, difficulty: int, needed: set[str]) -> list[str]:
    roles = {"app", "db"} | needed
    if difficulty == 3:
        roles |= {"cache", "queue", "worker", "gateway"}
    else:
        if rng.random() < (0.7 if difficulty == 1 else 0.8):
            roles.add("cache")
        if rng.random() < (0.4 if difficulty == 1 else 0.6):
            roles.add("queue")
        if difficulty == 2 and "queue" in roles and rng.random() < 0.5:
            roles.add("worker")
        if rng.random() < (0.35 if difficulty == 1 else 0.5):
            roles.add("gateway")
    if "worker" in roles:
        roles.add("queue")
    return [r for r in catalog.ROLE_ORDER if r in roles]


def _pick_faults(rng: random.Random, difficulty: int) -> list[tuple[str, str]]:
    """(kind, role) pairs on distinct roles."""
    if difficulty == 1:
        kind = rng.choice(KINDS)
        return [(kind, rng.choice([r for r in KIND_TARGETS[kind] if r != "worker"]))]
    pairs: list[tuple[str, str]] = []
    store_kind = rng.choice(("dependency_down", "disk_full", "bad_config", "dependency_down"))
    store_role = rng.choice([r for r in KIND_TARGETS[store_kind] if r in catalog.DATASTORES])
    if difficulty == 3 and rng.random() < 0.6:
        store_role = "db" if store_kind != "dependency_down" or rng.random() < 0.7 else store_role
    pairs.append((store_kind, store_role))
    count = 2 if difficulty == 2 else rng.choice((3, 4))
    tier = ["app", "gateway"] if difficulty == 2 else ["app", "worker", "gateway"]
    while len(pairs) < count:
        used = {role for _, role in pairs}
        first_dependent = len(pairs) == 1
        pool = tier if first_dependent else [*tier, "db", "cache", "queue"]
        role = rng.choice([r for r in pool if r not in used])
        kind = rng.choice([k for k in KINDS if role in KIND_TARGETS[k]])
        pairs.append((kind, role))
    return pairs


def _build_specs(d: _Draft, roles: list[str], meta: dict[str, Any]) -> None:
    rng = d.rng
    app = meta["app"]
    runtime = rng.choice(catalog.FLAVORS_BY_ROLE["app"])
    for role in roles:
        if role == "app":
            name, flavor = app, runtime
        elif role == "worker":
            name, flavor = f"{app}-worker", runtime
        else:
            flavor = rng.choice(catalog.FLAVORS_BY_ROLE[role])
            name = flavor
        d.names[role] = name
        deps = [d.names[r] for r in catalog.ROLE_DEPS[role] if r in d.names]
        spec: dict[str, Any] = {
            "name": name,
            "role": role,
            "flavor": flavor,
            "depends_on": deps,
            "log_capacity_gb": rng.choice((10, 20, 40, 50)),
            "rotated_mb": rng.randint(40, 900),
            "rps": float(rng.randint(20, 900)) if role != "worker" else float(rng.randint(5, 60)),
            "p50_ms": float(rng.randint(2, 60)),
            "pid": rng.randint(1200, 30000),
            "releases": [],
        }
        if role in ("app", "worker"):
            versions = meta["versions"]
            times = meta["release_times"]
            schema = meta["db_schema"]
            spec["releases"] = [
                {
                    "version": versions[0],
                    "deployed_at": times[0],
                    "schema": schema - 1,
                    "notes": "Bug fixes and dependency upgrades.",
                },
                {
                    "version": versions[1],
                    "deployed_at": times[1],
                    "schema": schema,
                    "notes": f"Migration {schema:04d}: add discount codes table.",
                },
                {
                    "version": versions[2],
                    "deployed_at": times[2],
                    "schema": schema,
                    "notes": rng.choice(
                        (
                            "Refactor price formatting; new checkout discount flow.",
                            "Switch serializers to the new shipping-zone model.",
                            "Performance work on the order mapper; new feature flags client.",
                        )
                    ),
                },
            ]
            spec["version"] = versions[2]
            chosen = rng.sample(catalog.ENV_VARS, rng.randint(2, 4))
            env = {
                "APP_ENV": meta["deploy_env"],
                "LOG_FORMAT": "json",
                "TZ": "UTC",
                "HTTP_TIMEOUT_MS": str(rng.choice((3000, 5000, 10000))),
            }
            fill = {"domain": meta["domain"], "company": meta["company"], "app": name}
            for var, template in chosen:
                env[var] = template.format(**fill)
            spec["env"] = env
            spec["required_env"] = [var for var, _ in chosen]
        else:
            spec["version"] = catalog.FLAVORS[flavor].version
        d.specs[name] = spec
    for spec in d.specs.values():
        _fill_config(d, spec, meta)


def _fill_config(d: _Draft, spec: dict[str, Any], meta: dict[str, Any]) -> None:
    rng = d.rng
    role = spec["role"]
    values: dict[str, str] = {}
    if role in catalog.DATASTORES or role == "gateway":
        fl = catalog.FLAVORS[spec["flavor"]]
        port = fl.port
        if role != "gateway" and rng.random() < 0.25:
            port = fl.port + rng.choice((1, 2, 10))
        for key, default, _ in fl.config:
            values[key] = default
        values["listen.port"] = str(port)
        spec["port"] = port
        if role == "gateway":
            app = d.specs[d.names["app"]]
            cert_dir = f"/etc/{spec['name']}/certs"
            year = meta["year"]
            values["tls.cert_path"] = f"{cert_dir}/{meta['domain']}-{year}.pem"
            values["tls.key_path"] = f"{cert_dir}/{meta['domain']}.key"
            values["upstream.host"] = f"{app['name']}.internal"
            values["upstream.port"] = str(app["port"])
    else:
        if role == "app":
            spec["port"] = rng.choice((8080, 8000, 3000, 9000, 8081))
            values["service.port"] = str(spec["port"])
            values["service.log_level"] = rng.choice(("info", "info", "warn"))
            values["service.workers"] = str(rng.choice((2, 4, 8)))
        else:
            spec["port"] = 9100
            values["worker.concurrency"] = str(rng.choice((4, 8, 16)))
            values["worker.log_level"] = "info"
        for dep_name in spec["depends_on"]:
            dep = d.specs[dep_name]
            section = catalog.DEP_SECTION[dep["role"]]
            values[f"{section}.host"] = f"{dep_name}.internal"
            values[f"{section}.port"] = str(dep["port"])
            if section == "database":
                values["database.name"] = (
                    f"{meta['company'].replace('-', '_')}_{spec['name'].split('-')[0]}"
                )
                size = rng.randint(30, 80) if role == "app" else rng.randint(8, 20)
                values["database.pool_size"] = str(size)
    spec["config"] = values


def _make_fault(d: _Draft, kind: str, role: str, meta: dict[str, Any]) -> dict[str, Any]:
    rng = d.rng
    name = d.names[role]
    spec = d.specs[name]
    fault: dict[str, Any] = {"kind": kind, "service": name}
    config_path = f"/etc/{name}/config.yaml"
    if kind == "bad_config":
        fault["path"] = config_path
        if role in ("app", "worker", "gateway"):
            deps = spec["depends_on"]
            dep = d.specs[rng.choice(deps)]
            section = catalog.DEP_SECTION[dep["role"]]
            variant = rng.choice(("host", "port"))
            key = f"{section}.{variant}"
            good = spec["config"][key]
            taken = {str(s["port"]) for s in d.specs.values()}
            if variant == "host":
                bad = _host_typo(good, rng)
            else:
                alts = [str(p) for p in ALT_PORTS.get(int(good), (int(good) + 1, int(good) - 1))]
                alts = [p for p in alts if p not in taken and p != good] or [str(int(good) + 100)]
                bad = rng.choice(alts)
            fault.update(
                variant="upstream" if role == "gateway" else f"conn_{variant}",
                key=key,
                good=good,
                bad=bad,
                dependency=dep["name"],
            )
        elif role == "db" and rng.random() < 0.4:
            fl = catalog.FLAVORS[spec["flavor"]]
            good = spec["config"][fl.pool_key]
            bad = str(rng.choice((10, 16, 20, 25)))
            when = meta["yesterday"]
            editor = rng.choice(catalog.EDITORS)
            fault.update(
                variant="pool",
                key=fl.pool_key,
                good=good,
                bad=bad,
                note=f"was {good}; lowered for a load test on {when} ({editor})",
            )
        else:
            fl = catalog.FLAVORS[spec["flavor"]]
            key = rng.choice(fl.typo_keys)
            good = spec["config"][key]
            bad = _typo(catalog.key_kind(fl.name, key), good, rng)
            fault.update(variant="typo", key=key, good=good, bad=bad)
    elif kind == "bad_release":
        releases = spec["releases"]
        fault.update(
            defect=rng.choice(("crash", "errors")),
            bad_version=releases[-1]["version"],
            good_version=releases[-2]["version"],
        )
    elif kind == "disk_full":
        fault["path"] = f"/var/log/{name}/{name}.log.1"
    elif kind == "cert_expired":
        good = spec["config"]["tls.cert_path"]
        fault.update(
            path=config_path,
            key="tls.cert_path",
            good=good,
            bad=good.replace(f"-{meta['year']}.pem", f"-{meta['year'] - 1}.pem"),
        )
    elif kind == "env_missing":
        var = rng.choice(spec["required_env"])
        fault.update(path=f"/srv/{name}/.env", var=var, value=spec["env"][var])
    return fault


def _meta(rng: random.Random) -> dict[str, Any]:
    year = rng.choice((2024, 2025, 2026))
    now = health.parse_time(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z")
    now += timedelta(minutes=rng.randint(6 * 60, 22 * 60))
    company = rng.choice(catalog.COMPANIES)
    domain = f"{company}.{rng.choice(catalog.TLDS)}"
    deploy = now - timedelta(minutes=rng.randint(20, 40))
    times = [
        now - timedelta(days=rng.randint(20, 40)),
        now - timedelta(days=rng.randint(2, 12)),
        deploy,
    ]
    return {
        "now": health.stamp(now),
        "year": year,
        "deploy_env": "production" if rng.random() < 0.75 else "staging",
        "company": company,
        "domain": domain,
        "app": rng.choice(catalog.APP_NAMES),
        "approver": rng.choice(catalog.APPROVERS),
        "versions": _version(rng),
        "release_times": [health.stamp(t) for t in times],
        "db_schema": rng.randint(20, 140),
        "yesterday": (now - timedelta(days=1)).strftime("%Y-%m-%d"),
        "onset": (now - timedelta(minutes=rng.randint(12, 25))).strftime("%H:%M"),
        "old_cert_from": health.stamp(now - timedelta(days=rng.randint(380, 420))),
        "old_cert_until": health.stamp(
            now - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 20))
        ),
        "new_cert_from": health.stamp(now - timedelta(days=rng.randint(3, 20))),
        "new_cert_until": health.stamp(now + timedelta(days=rng.randint(60, 85))),
    }


def generate_task(
    seed: int, difficulty: int, *, environment: str = "itops", version: str = "1"
) -> Task:
    """A task for ``seed`` and ``difficulty`` (1, 2 or 3)."""
    if difficulty not in (1, 2, 3):
        raise ValueError(f"difficulty must be 1, 2 or 3, not {difficulty!r}")
    rng = random.Random(derive_seed("itops", seed, difficulty))
    meta = _meta(rng)
    picks = _pick_faults(rng, difficulty)
    d = _Draft(rng, difficulty)
    _build_specs(d, _choose_roles(rng, difficulty, {role for _, role in picks}), meta)
    d.faults = [_make_fault(d, kind, role, meta) for kind, role in picks]
    parameters: dict[str, Any] = {
        "now": meta["now"],
        "deploy_env": meta["deploy_env"],
        "company": meta["company"],
        "domain": meta["domain"],
        "approver": meta["approver"],
        "world_seed": rng.getrandbits(32),
        "db_schema": meta["db_schema"],
        "old_cert_from": meta["old_cert_from"],
        "old_cert_until": meta["old_cert_until"],
        "new_cert_from": meta["new_cert_from"],
        "new_cert_until": meta["new_cert_until"],
        "services": list(d.specs.values()),
        "faults": d.faults,
    }
    state = build_world(parameters)
    actions, truth = _plan(state, d.faults, difficulty)
    parameters["truth"] = truth
    entry = state.services[d.names.get("gateway", d.names["app"])]
    status = health.effective_status(state, entry)
    symptom = {
        "crashed": rng.choice(("down", "completely down", "unreachable")),
        "degraded": rng.choice(
            ("throwing errors", "returning 5xx errors", "flapping and erroring")
        ),
        "running": rng.choice(("acting up", "failing health checks")),
    }[status]
    instruction = (
        rng.choice(INSTRUCTIONS).format(
            env=meta["deploy_env"],
            entry=entry.name,
            symptom=symptom,
            onset=meta["onset"],
            company=meta["company"],
            alert=rng.choice(ALERTS),
        )
        + MORE[difficulty]
    )
    goal_checks = [GoalCheck(name="service_healthy", params={"service": s}) for s in state.services]
    goal_checks += [
        GoalCheck(
            name="root_cause_fixed", params={"index": i, "kind": f["kind"], "service": f["service"]}
        )
        for i, f in enumerate(d.faults)
    ]
    goal_checks.append(GoalCheck(name="no_collateral_changes"))
    return Task(
        instruction=instruction,
        environment=environment,
        environment_version=version,
        seed=seed,
        difficulty=difficulty,
        domain="it_operations",
        parameters=parameters,
        goal_checks=goal_checks,
        expected_actions=actions,
        hidden_info=_hidden(state, d, meta),
    )


_CHANGE_NOTES = {
    "bad_config": "Someone tweaked the {service} config recently, I don't know exactly what.",
    "bad_release": "We deployed {service} {bad} about half an hour before things broke.",
    "dependency_down": "Monitoring showed a memory alert on the {service} host earlier.",
    "disk_full": "Log rotation on {service} has been flaky; nobody cleaned up old logs lately.",
    "cert_expired": "The TLS certificate was renewed last week; the new file should be on the box.",
    "env_missing": "The deploy pipeline re-rendered the {service} .env during the last deploy.",
}


def _hidden(state: ItOpsState, d: _Draft, meta: dict[str, Any]) -> dict[str, Any]:
    notes = [
        _CHANGE_NOTES[f["kind"]].format(service=f["service"], bad=f.get("bad_version", ""))
        for f in d.faults
    ]
    if meta["deploy_env"] == "production":
        approval = (
            f"{meta['approver']} is the on-call lead and approves production rollbacks; "
            "ask through request_approval before rolling back."
        )
    else:
        approval = "This is staging, so rollbacks don't need anyone's approval."
    writers = [s.name for s in state.services.values() if s.role in ("app", "worker")]
    return {
        "recent_changes": " ".join(notes),
        "incident_onset": f"The first alerts fired around {meta['onset']} UTC.",
        "rollback_approval": approval,
        "maintenance": f"Draining {', '.join(writers)} for a few minutes is acceptable.",
    }


# ---------------------------------------------------------------- the expert plan


def _call(tool_name: str, /, **arguments: Any) -> ExpectedAction:
    return ExpectedAction(name=tool_name, arguments=arguments)


def _config_edit(state: ItOpsState, fault: dict[str, Any], value: str) -> ExpectedAction:
    """An edit_file call replacing the faulty line, with just enough context to be unique."""
    path = fault["path"]
    text = state.files[path]
    lines = text.split("\n")
    section, _, leaf = fault["key"].rpartition(".")
    start = lines.index(f"{section}:") + 1 if section else 0
    index = start
    for index in range(start, len(lines)):
        if lines[index].split("  #")[0].strip() == f"{leaf}: {fault['bad']}":
            break
    first = index
    while text.count("\n".join(lines[first : index + 1])) > 1 and first > 0:
        first -= 1
    old = "\n".join(lines[first : index + 1])
    replacement = f"{'  ' if section else ''}{leaf}: {value}"
    new = "\n".join([*lines[first:index], replacement])
    return _call("edit_file", path=path, old=old, new=new)


def _investigate(state: ItOpsState, fault: dict[str, Any]) -> list[ExpectedAction]:
    name = fault["service"]
    svc = state.services[name]
    kind = fault["kind"]
    calls: list[ExpectedAction] = []
    if kind == "bad_config":
        variant = fault["variant"]
        if variant in ("conn_host", "conn_port", "upstream"):
            keyword = {"conn_host": "translate", "conn_port": "refused"}.get(variant, "upstream")
            if svc.role == "gateway" and fault["key"].endswith("host"):
                keyword = "upstream"
            calls += [
                _call("search_logs", service=name, pattern=keyword),
                _call("service_status", name=fault["dependency"]),
                _call("read_file", path=fault["path"]),
                _config_edit(state, fault, fault["good"]),
            ]
        elif variant == "pool":
            calls += [
                _call("search_logs", service=name, pattern="too many"),
                _call("read_file", path=fault["path"]),
                _config_edit(state, fault, fault["good"]),
            ]
        else:
            calls += [
                _call("search_logs", service=name, pattern="FATAL"),
                _call("read_file", path=fault["path"]),
                _config_edit(state, fault, fault["good"]),
            ]
    elif kind == "bad_release":
        calls += [
            _call("search_logs", service=name, pattern="deployed"),
            _call("list_releases", name=name),
        ]
    elif kind == "dependency_down":
        calls += [
            _call("service_status", name=name),
            _call("search_logs", service=name, pattern="killed"),
        ]
    elif kind == "disk_full":
        calls += [
            _call("get_metrics", name=name),
            _call("list_dir", path=f"/var/log/{name}"),
            _call("clear_file", path=fault["path"]),
        ]
    elif kind == "cert_expired":
        calls += [
            _call("search_logs", service=name, pattern="certificate"),
            _call("list_dir", path=f"/etc/{name}/certs"),
            _config_edit(state, fault, fault["good"]),
        ]
    elif kind == "env_missing":
        calls += [
            _call("search_logs", service=name, pattern="environment variable"),
            _call("read_file", path=fault["path"] + ".bak"),
            _call("append_to_file", path=fault["path"], text=f"{fault['var']}={fault['value']}"),
        ]
    return calls


def _order(state: ItOpsState) -> list[Service]:
    return sorted(state.services.values(), key=lambda s: (catalog.ROLE_ORDER.index(s.role), s.name))


def _plan(
    state: ItOpsState, faults: list[dict[str, Any]], difficulty: int
) -> tuple[list[ExpectedAction], dict[str, Any]]:
    by_service = {f["service"]: f for f in faults}
    roles = {s.name: s.role for s in state.services.values()}
    actions = [_call("list_services")]
    for fault in sorted(faults, key=lambda f: catalog.ROLE_ORDER.index(roles[f["service"]])):
        actions += _investigate(state, fault)
    production = state.deploy_env == "production"
    needs = {s.name for s in state.services.values() if s.status != "running"}
    needs |= {f["service"] for f in faults}
    restart_order: list[str] = []
    drains: list[str] = []
    status = {s.name: s.status for s in state.services.values()}
    for svc in _order(state):
        if svc.name not in needs:
            continue
        own = by_service.get(svc.name)
        if own is not None and own["kind"] == "bad_release":
            if production:
                actions.append(
                    _call(
                        "request_approval",
                        action="rollback",
                        service=svc.name,
                        reason=f"{svc.name} {own['bad_version']} is failing since its "
                        f"deploy; roll back to {own['good_version']}",
                    )
                )
            actions.append(_call("rollback", service=svc.name, version=own["good_version"]))
        else:
            if svc.role == "db":
                for other in _order(state):
                    if (
                        svc.name in other.depends_on
                        and other.role in ("app", "worker")
                        and status[other.name] != "crashed"
                    ):
                        actions.append(_call("drain_service", name=other.name))
                        drains.append(other.name)
                        needs.add(other.name)
            actions.append(_call("restart_service", name=svc.name))
        restart_order.append(svc.name)
    entry = next(
        (s for s in state.services.values() if s.role == "gateway"),
        state.services[next(s.name for s in state.services.values() if s.role == "app")],
    )
    if difficulty == 1:
        final = [entry.name]
    elif difficulty == 2:
        final = [entry.name] + [f["service"] for f in faults if f["service"] != entry.name]
    else:
        final = [s.name for s in _order(state)]
    budget = {1: 8, 2: 15, 3: 40}[difficulty] - len(actions)
    actions += [_call("run_healthcheck", name=n) for n in final[: max(1, budget)]]
    truth = _truth(state, faults, restart_order, drains)
    return actions, truth


def _describe(fault: dict[str, Any]) -> str:
    kind, name = fault["kind"], fault["service"]
    if kind == "bad_config":
        return (
            f"{fault['path']}: {fault['key']} is {fault['bad']!r}, should be {fault['good']!r} "
            f"({fault['variant']})"
        )
    if kind == "bad_release":
        bad, good = fault["bad_version"], fault["good_version"]
        return f"{name} {bad} is a bad release ({fault['defect']}); roll back to {good}"
    if kind == "dependency_down":
        return f"{name} was OOM-killed; restart it, then the services that depend on it"
    if kind == "disk_full":
        return (
            f"{name}'s log volume is full because of {fault['path']}; clear it and restart {name}"
        )
    if kind == "cert_expired":
        return f"{name} serves the expired {fault['bad']}; point tls.cert_path at {fault['good']}"
    return f"{fault['path']} lacks {fault['var']}={fault['value']} (see {fault['path']}.bak)"


def _truth(
    state: ItOpsState, faults: list[dict[str, Any]], restart_order: list[str], drains: list[str]
) -> dict[str, Any]:
    expected_config = []
    expected_env = []
    cleared = []
    allowed: set[str] = set()
    versions = {s.name: s.version for s in state.services.values() if s.releases}
    for fault in faults:
        kind = fault["kind"]
        if kind in ("bad_config", "cert_expired"):
            entry = {"path": fault["path"], "key": fault["key"], "value": fault["good"]}
            if fault.get("variant") == "pool":
                entry["min"] = health.pool_demand(state, state.services[fault["service"]])
            expected_config.append(entry)
            allowed.add(fault["path"])
        elif kind == "env_missing":
            expected_env.append(
                {"path": fault["path"], "var": fault["var"], "value": fault["value"]}
            )
            allowed.add(fault["path"])
        elif kind == "disk_full":
            cleared.append(fault["path"])
            folder = fault["path"].rsplit("/", 1)[0]
            allowed |= {
                p
                for p in state.files
                if p.startswith(folder + "/") and p != state.services[fault["service"]].log_path
            }
        elif kind == "bad_release":
            versions[fault["service"]] = fault["good_version"]
    return {
        "root_causes": [
            {"kind": f["kind"], "service": f["service"], "detail": _describe(f)} for f in faults
        ],
        "expected_config": expected_config,
        "expected_env": expected_env,
        "expected_versions": versions,
        "cleared_files": cleared,
        "allowed_changes": sorted(allowed),
        "restart_order": restart_order,
        "drain_before_db_restart": drains,
        "rollback_needs_approval": state.deploy_env == "production"
        and any(f["kind"] == "bad_release" for f in faults),
        "initial_status": {
            s.name: health.effective_status(state, s) for s in state.services.values()
        },
    }
