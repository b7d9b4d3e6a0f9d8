"""Build the initial world of a task: files, services and their state, as a pure function of it.

``build_world(parameters)`` renders every config, .env, manifest, certificate, unit file and log
from the task's parameters (the healthy deployment plus the injected faults), boots the services
in dependency order with the health model to find out what is broken, then writes the logs that
tell the story of the incident. The same parameters always give the same world.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any, Final

from trajforge.envs.itops import catalog, health
from trajforge.envs.itops.state import ItOpsState, Release, Service
from trajforge.envs.world_cache import WorldCache, parameters_key

GIB = 1024**3


def render_config(header: str, values: dict[str, str], notes: dict[str, str]) -> str:
    """Render dotted keys as two-level YAML; ``notes`` adds a trailing comment to a key's line."""
    lines = [header]
    section: str | None = None
    for key, value in values.items():
        head, sep, tail = key.partition(".")
        if sep:
            if head != section:
                lines.append(f"{head}:")
                section = head
            line = f"  {tail}: {value}"
        else:
            section = None
            line = f"{key}: {value}"
        if key in notes:
            line += f"  # {notes[key]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_env(header: str, env: dict[str, str]) -> str:
    """Render a dotenv file."""
    return header + "\n" + "".join(f"{k}={v}\n" for k, v in env.items())


def _manifest(spec: dict[str, Any], version: str) -> str:
    releases = spec["releases"]
    index = next(i for i, r in enumerate(releases) if r["version"] == version)
    previous = releases[index - 1]["version"] if index > 0 else "none"
    lines = [
        "# deploy manifest — written by the deploy pipeline, do not edit by hand",
        f"service: {spec['name']}",
        f"version: {version}",
        f"previous: {previous}",
        f"image: registry.internal/{spec['name']}:{version}",
        f"deployed_at: {releases[index]['deployed_at']}",
        f"required_env: {', '.join(spec.get('required_env', []))}",
    ]
    return "\n".join(lines) + "\n"


def manifest_for(state: ItOpsState, svc: Service) -> str:
    """The manifest text after a (re)deploy of ``svc`` at its current version."""
    spec = {
        "name": svc.name,
        "releases": [{"version": r.version, "deployed_at": r.deployed_at} for r in svc.releases],
        "required_env": svc.required_env,
    }
    return _manifest(spec, svc.version)


def _cert(domain: str, not_before: str, not_after: str, rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = "\n".join("".join(rng.choice(alphabet) for _ in range(64)) for _ in range(4))
    return (
        f"subject=CN = {domain}\nissuer=C = US, O = Let's Encrypt, CN = R11\n"
        f"notBefore={not_before}\nnotAfter={not_after}\n"
        f"-----BEGIN CERTIFICATE-----\nMIIF{body}\n-----END CERTIFICATE-----\n"
    )


def _unit(spec: dict[str, Any], config_path: str, env_path: str) -> str:
    after = " ".join(f"{d}.service" for d in spec["depends_on"])
    lines = [
        "[Unit]",
        f"Description={spec['name']} ({spec['role']}, {spec['flavor']})",
        f"After=network-online.target {after}".rstrip(),
        "",
        "[Service]",
        f"ExecStart=/usr/local/bin/{spec['name']} --config {config_path}",
    ]
    if env_path:
        lines.append(f"EnvironmentFile={env_path}")
    lines += [
        "Restart=on-failure",
        "RestartSec=10",
        "StartLimitBurst=3",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


RUNBOOK = """# On-call runbook ({company})

- Only change files under /etc, /srv and /var/log. Everything else is managed by config management.
- Rollbacks in production need a human's approval first: call request_approval (or hand off to
  the on-call lead, {approver}) and only roll back once it is approved. Staging needs no approval.
- Never restart a database while apps are writing to it: drain_service each app or worker that
  uses it first, restart the database, then restart the apps (a restart puts them back in service).
- Services read their config and .env only at start: restart a service after changing them.
- Old rotated logs (*.log.1, *.log.2.gz) may be cleared when a log volume fills up.
"""


def _service(spec: dict[str, Any]) -> Service:
    name = spec["name"]
    role = spec["role"]
    env_path = f"/srv/{name}/.env" if role in ("app", "worker") else ""
    return Service(
        name=name,
        role=role,
        flavor=spec["flavor"],
        host=f"{name}.internal",
        port=int(spec["port"]),
        version=spec["version"],
        releases=[
            Release(version=r["version"], deployed_at=r["deployed_at"], schema=r.get("schema", 0))
            for r in spec["releases"]
        ],
        depends_on=list(spec["depends_on"]),
        config_path=f"/etc/{name}/config.yaml",
        env_path=env_path,
        log_path=f"/var/log/{name}/{name}.log",
        manifest_path=f"/srv/{name}/deploy/manifest.yaml" if role in ("app", "worker") else "",
        required_env=list(spec.get("required_env", [])),
        log_capacity=int(spec["log_capacity_gb"]) * GIB,
        rps=float(spec["rps"]),
        p50_ms=float(spec["p50_ms"]),
        pid=int(spec["pid"]),
    )


_WORLDS: Final = WorldCache(ItOpsState)


def initial_world(parameters: dict[str, Any]) -> ItOpsState:
    """A fresh, mutable copy of ``build_world(parameters)``, built once per task."""
    return _WORLDS.get(parameters_key(parameters), lambda: build_world(parameters))


def build_world(parameters: dict[str, Any]) -> ItOpsState:
    """The initial state of a task's world."""
    rng = random.Random(parameters["world_seed"])
    state = ItOpsState(
        now=parameters["now"],
        deploy_env=parameters["deploy_env"],
        approver=parameters["approver"],
        db_schema=int(parameters["db_schema"]),
    )
    specs = {s["name"]: s for s in parameters["services"]}
    faults = parameters["faults"]
    by_service: dict[str, dict[str, Any]] = {f["service"]: f for f in faults}
    files = state.files
    now = health.parse_time(state.now)
    domain = parameters["domain"]
    hosts = ["127.0.0.1 localhost"]
    for i, spec in enumerate(specs.values()):
        svc = _service(spec)
        state.services[svc.name] = svc
        hosts.append(f"10.0.{3 + i}.{10 + 7 * i} {svc.host}")
        fault = by_service.get(svc.name, {})
        values = dict(spec["config"])
        notes: dict[str, str] = {}
        if fault.get("kind") in ("bad_config", "cert_expired"):
            values[fault["key"]] = fault["bad"]
            if fault.get("note"):
                notes[fault["key"]] = fault["note"]
        header = f"# {svc.config_path}: {svc.name} ({spec['flavor']}); restart to apply changes"
        files[svc.config_path] = render_config(header, values, notes)
        files[f"/usr/lib/systemd/system/{svc.name}.service"] = _unit(
            spec, svc.config_path, svc.env_path
        )
        if svc.env_path:
            env = dict(spec["env"])
            if fault.get("kind") == "env_missing":
                env.pop(fault["var"])
            current = svc.releases[-1].version
            files[svc.env_path] = render_env(
                f"# rendered by the deploy pipeline for {svc.name} {current}", env
            )
            files[svc.env_path + ".bak"] = render_env(
                f"# backup of {svc.env_path} taken by the deploy pipeline before {current}",
                dict(spec["env"]),
            )
            files[svc.manifest_path] = _manifest(spec, svc.version)
            files[f"/srv/{svc.name}/deploy/releases.log"] = "".join(
                f"{r['deployed_at']} deployed {svc.name} {r['version']} (schema {r['schema']})\n"
                for r in spec["releases"]
            )
            for r in spec["releases"]:
                files[f"/srv/{svc.name}/releases/{r['version']}/RELEASE_NOTES.md"] = (
                    f"# {svc.name} {r['version']}\n\n{r.get('notes', 'Maintenance release.')}\n"
                )
            if fault.get("kind") == "bad_release":
                svc.releases[-1].defect = fault["defect"]
        if svc.role == "gateway":
            year = now.year
            cert_dir = f"/etc/{svc.name}/certs"
            files[f"{cert_dir}/{domain}-{year - 1}.pem"] = _cert(
                domain, parameters["old_cert_from"], parameters["old_cert_until"], rng
            )
            files[f"{cert_dir}/{domain}-{year}.pem"] = _cert(
                domain, parameters["new_cert_from"], parameters["new_cert_until"], rng
            )
            files[f"{cert_dir}/{domain}.key"] = (
                "-----BEGIN PRIVATE KEY-----\n(redacted)\n-----END PRIVATE KEY-----\n"
            )
        files[f"{vol(svc)}/{svc.name}.log.2.gz"] = "(gzip-compressed rotated log; binary)\n"
        state.sizes[f"{vol(svc)}/{svc.name}.log.2.gz"] = int(spec["rotated_mb"]) * 1024 * 1024
    files["/etc/hosts"] = "\n".join(hosts) + "\n"
    files["/home/deploy/RUNBOOK.md"] = RUNBOOK.format(
        company=parameters["company"], approver=state.approver
    )
    _boot(state, faults, rng)
    return state


def vol(svc: Service) -> str:
    """The log directory (volume) of a service."""
    return svc.log_path.rsplit("/", 1)[0]


def _boot(state: ItOpsState, faults: list[dict[str, Any]], rng: random.Random) -> None:
    """Start everything in dependency order, apply the kills, and write the incident's logs."""
    events: dict[str, list[tuple[str, str]]] = {name: [] for name in state.services}
    syslog: list[tuple[int, str]] = []
    for svc in state.services.values():
        svc.loaded_config = state.files[svc.config_path]
        svc.loaded_env = state.files.get(svc.env_path, "") if svc.env_path else ""
    for fault in faults:
        if fault["kind"] == "disk_full":
            svc = state.services[fault["service"]]
            path = fault["path"]
            state.files[path] = (
                f"(rotated log of {svc.name}, not compressed: logrotate's compress step failed)\n"
            )
            state.sizes[path] = svc.log_capacity - int(0.001 * svc.log_capacity)
            events[svc.name].append(("WARN", f"{vol(svc)} is 97% full"))
            events[svc.name].append(("WARN", f"{vol(svc)} is 99% full"))
    ordered = sorted(state.services.values(), key=lambda s: catalog.ROLE_ORDER.index(s.role))
    for svc in ordered:
        found = health.problems(state, svc)
        first = found[0] if found else None
        release = svc.releases[-1] if svc.releases else None
        if release is not None and release.defect:
            previous = svc.releases[-2].version if len(svc.releases) > 1 else "none"
            events[svc.name].append(("INFO", f"deployed {svc.version} (previous {previous})"))
        if svc.env_path:
            count = len(health.parse_env(state.files[svc.env_path]))
            events[svc.name].append(("INFO", f"loaded {count} variables from {svc.env_path}"))
        if first is None:
            svc.status = "running"
        elif first.fatal:
            svc.status, svc.reason, svc.detail = "crashed", first.code, first.message
            for _ in range(3):
                events[svc.name] += [
                    ("INFO", f"starting {svc.name} {svc.version}"),
                    ("FATAL", first.message),
                    ("ERROR", "process exited with code 1"),
                ]
            events[svc.name].append(("ERROR", "start request repeated too quickly; giving up"))
            syslog.append(
                (svc.pid, f"systemd[1]: {svc.name}.service: Failed with result 'exit-code'.")
            )
        else:
            svc.status, svc.reason, svc.detail = "degraded", first.code, first.message
            events[svc.name] += [("ERROR", first.message)] * rng.randint(3, 5)
    for fault in faults:
        if fault["kind"] != "dependency_down":
            continue
        svc = state.services[fault["service"]]
        svc.status, svc.reason = "crashed", "killed"
        svc.detail = "terminated by signal 9 (SIGKILL) at the kernel's request (out of memory)"
        events[svc.name].append(
            ("FATAL", f"server process (PID {svc.pid}) was terminated by signal 9: Killed")
        )
        events[svc.name].append(("INFO", "terminating any other active server processes"))
        syslog.append(
            (
                svc.pid,
                f"kernel: Out of memory: Killed process {svc.pid} ({svc.flavor}) "
                f"total-vm:{rng.randint(4, 9)}812345kB, anon-rss:{rng.randint(2, 4)}012345kB",
            )
        )
        syslog.append(
            (
                svc.pid,
                f"systemd[1]: {svc.name}.service: Main process exited, code=killed, status=9/KILL",
            )
        )
        _boot_cascade(state, svc, events)
    for svc in state.services.values():
        if svc.role == "gateway" and health.effective_status(state, svc) == "degraded":
            up = state.services[svc.depends_on[0]]
            events[svc.name] += [
                (
                    "ERROR",
                    f"connect() failed (111: Connection refused) while connecting "
                    f'to upstream "{up.host}:{up.port}", status 502',
                )
            ] * 3
    for svc in state.services.values():
        _write_log(state, svc, events[svc.name], rng)
    _write_syslog(state, syslog, rng)


def _boot_cascade(
    state: ItOpsState, down: Service, events: dict[str, list[tuple[str, str]]]
) -> None:
    for other in state.services.values():
        if down.name in other.depends_on and other.status != "crashed" and other.role != "gateway":
            other.status, other.reason = "crashed", "dep_down"
            other.detail = (
                f"lost connection to {down.name} ({down.host}:{down.port}): connection refused"
            )
            events[other.name] += [("ERROR", other.detail), ("ERROR", "process exited with code 1")]
            for _ in range(2):
                events[other.name] += [
                    ("INFO", f"starting {other.name} {other.version}"),
                    ("FATAL", f"dial tcp {down.host}:{down.port}: connect: connection refused"),
                    ("ERROR", "process exited with code 1"),
                ]
            events[other.name].append(("ERROR", "start request repeated too quickly; giving up"))
            _boot_cascade(state, other, events)


def _noise(role: str, rng: random.Random) -> str:
    template = rng.choice(catalog.NOISE[role])
    return template.format(
        r=rng.choice(catalog.RESOURCES),
        id=rng.randint(10, 250),
        ms=rng.randint(3, 90),
        n=rng.randint(1, 9),
        m=rng.randint(20, 900),
    )


def _write_log(
    state: ItOpsState, svc: Service, events: list[tuple[str, str]], rng: random.Random
) -> None:
    now = health.parse_time(state.now)
    t = -3600 + rng.randint(0, 120)
    lines: list[str] = []
    pid = svc.pid
    onset = -rng.randint(900, 1500) if events else -60
    while t < onset:
        moment = now + timedelta(seconds=t)
        lines.append(f"{health.stamp(moment)} INFO  {svc.name}[{pid}]: {_noise(svc.role, rng)}\n")
        t += rng.randint(60, 240)
    t = max(t, onset)
    step = max(5, (-60 - t) // max(1, len(events)))
    for level, message in events:
        moment = now + timedelta(seconds=t)
        if message.startswith("starting "):
            pid += 17
        lines.append(f"{health.stamp(moment)} {level:<5} {svc.name}[{pid}]: {message}\n")
        t += rng.randint(max(1, step // 2), step)
    svc.pid = pid
    state.files[svc.log_path] = "".join(lines)


def _write_syslog(state: ItOpsState, entries: list[tuple[int, str]], rng: random.Random) -> None:
    now = health.parse_time(state.now)
    lines = []
    t = -3000
    for _ in range(6):
        moment = now + timedelta(seconds=t)
        lines.append(
            f"{health.stamp(moment)} ops-1 CRON[{rng.randint(2000, 9000)}]: "
            "(root) CMD (run-parts /etc/cron.hourly)\n"
        )
        t += rng.randint(200, 400)
    for _, entry in entries:
        t = min(t + rng.randint(30, 120), -30)
        moment = now + timedelta(seconds=t)
        lines.append(f"{health.stamp(moment)} ops-1 {entry}\n")
    state.files["/var/log/syslog"] = "".join(lines)
