"""The health model: what is wrong with a service, and what happens when it starts.

``problems`` inspects the world as a process would at start-up (its config file, its .env, its
release, its log volume, its dependencies, its TLS certificate) and returns what it would trip
over, fatal ones first. ``start`` runs that start: a fatal problem leaves the service crashed (and
crashes the services that need it: the cascade), a soft one leaves it degraded. Config and .env
changes only take effect at the next start, as in real life.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from trajforge.envs.itops import catalog, vfs
from trajforge.envs.itops.state import ItOpsState, Service

#: A volume this full makes writers fail with ENOSPC.
DISK_FULL = 0.99
_ERROR_RATES = {
    "release_errors": 0.31,
    "db_pool": 0.18,
    "dep_degraded": 0.22,
    "cert_expired": 0.97,
    "upstream": 1.0,
}


class Problem(NamedTuple):
    """Something a service trips over: a short code, whether it is fatal, and the log message."""

    code: str
    fatal: bool
    message: str


def parse_config(text: str) -> tuple[dict[str, str], str | None]:
    """Parse the two-level ``key: value`` YAML subset used by every config; (values, error)."""
    values: dict[str, str] = {}
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip():
            continue
        if "\t" in line:
            return values, f"line {number}: found a tab character where indentation is expected"
        indent = len(line) - len(line.lstrip(" "))
        key, sep, value = line.strip().partition(":")
        if not sep or not key or " " in key:
            return values, f"line {number}: could not find expected ':'"
        value = value.strip().strip('"').strip("'")
        if indent == 0:
            section = key if value == "" else None
            if value != "":
                values[key] = value
        elif section is None:
            return values, f"line {number}: mapping values are not allowed in this context"
        else:
            values[f"{section}.{key}"] = value
    return values, None


def parse_env(text: str) -> dict[str, str]:
    """Parse a dotenv file (``KEY=value`` lines, comments and blanks ignored)."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key.strip().removeprefix("export ").strip()] = value.strip().strip('"').strip("'")
    return env


def parse_time(text: str) -> datetime:
    """An ISO-8601 UTC timestamp (``...Z``)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def clock(state: ItOpsState, offset_s: int = 0) -> datetime:
    """The simulated current time."""
    return parse_time(state.now) + timedelta(seconds=state.tick + offset_s)


def stamp(moment: datetime) -> str:
    """A log timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(state: ItOpsState, svc: Service, level: str, message: str) -> None:
    """Append one line to a service's log at the simulated current time."""
    line = f"{stamp(clock(state))} {level:<5} {svc.name}[{svc.pid}]: {message}\n"
    state.files[svc.log_path] = state.files.get(svc.log_path, "") + line


def listen_key(role: str) -> str:
    """The config key holding the port a role listens on."""
    return {"app": "service.port", "worker": ""}.get(role, "listen.port")


def _required_keys(state: ItOpsState, svc: Service) -> list[tuple[str, str]]:
    spec = catalog.FLAVORS.get(svc.flavor)
    if spec is not None and svc.role not in ("app", "worker"):
        return [(k, kind) for k, _, kind in spec.config if kind != "text"]
    sections = {"service"} if svc.role == "app" else {"worker"}
    for dep in svc.depends_on:
        sections.add(catalog.DEP_SECTION[state.services[dep].role])
    return [(k, kind) for k, kind in catalog.APP_KEY_KINDS.items() if k.split(".")[0] in sections]


def invalid_message(svc: Service, key: str, value: str, kind: str) -> str:
    """The start-up error a flavor prints for a bad config value."""
    expected = catalog.expected_form(kind)
    flavor = svc.flavor
    if flavor == "postgres":
        return f'FATAL:  invalid value for parameter "{key}": "{value}" (expected {expected})'
    if flavor == "mysql":
        return (
            f"[ERROR] [MY-000077] [Server] mysqld: Error while setting value '{value}' to '{key}'"
        )
    if flavor == "redis":
        directive = key.replace("_", "-")
        return (
            f"*** FATAL CONFIG FILE ERROR (Redis {catalog.FLAVORS['redis'].version}) *** "
            f">>> '{directive} \"{value}\"' Bad directive or wrong number of arguments"
        )
    if flavor == "memcached":
        return f"memcached: invalid value for {key}: '{value}' (expected {expected})"
    if flavor == "rabbitmq":
        return f'BOOT FAILED: {{invalid_config, {key}, "{value}"}}: expected {expected}'
    if flavor == "nats":
        return f'[FTL] nats-server: config error: {key}: invalid value "{value}" ({expected})'
    if flavor in ("nginx", "envoy"):
        return f'[emerg] invalid value "{value}" in "{key}" directive of {svc.config_path}'
    return f"config error: {svc.config_path}: {key}: invalid value {value!r} (expected {expected})"


def _disk_message(svc: Service) -> str:
    if svc.flavor == "postgres":
        return (
            f'PANIC:  could not write to file "pg_wal/xlogtemp.{svc.pid}": No space left on device'
        )
    if svc.flavor == "mysql":
        return (
            "[ERROR] [MY-012639] [InnoDB] Write to file ./binlog.000042 failed: "
            "No space left on device"
        )
    if svc.role == "queue":
        return f"disk free space limit reached: cannot write {svc.log_path}: enospc (No space left)"
    return f"OSError: [Errno 28] No space left on device: '{svc.log_path}'"


def _refused(svc: Service, host: str, port: str) -> str:
    if svc.role == "gateway":
        return (
            "connect() failed (111: Connection refused) while connecting to upstream "
            f'"{host}:{port}"'
        )
    return f"dial tcp {host}:{port}: connect: connection refused"


def _unresolved(svc: Service, host: str) -> str:
    if svc.role == "gateway":
        return f'host not found in upstream "{host}"'
    return f'could not translate host name "{host}" to address: Name or service not known'


def pool_demand(state: ItOpsState, db: Service) -> int:
    """How many database connections the clients of ``db`` ask for (their pool sizes)."""
    demand = 0
    for other in state.services.values():
        if db.name in other.depends_on:
            values, _ = parse_config(state.files.get(other.config_path, ""))
            size = values.get("database.pool_size", "0")
            demand += int(size) if size.isdigit() else 0
    return demand


def _cert_problem(state: ItOpsState, svc: Service, values: dict[str, str]) -> Problem | None:
    cert = values.get("tls.cert_path", "")
    key = values.get("tls.key_path", "")
    for label, path in (("certificate", cert), ("certificate key", key)):
        if path not in state.files:
            return Problem(
                "cert_missing",
                True,
                f'cannot load {label} "{path}": BIO_new_file() failed (No such file)',
            )
    not_after = ""
    for line in state.files[cert].splitlines():
        if line.startswith("notAfter="):
            not_after = line.partition("=")[2].strip()
    try:
        expires = parse_time(not_after)
    except ValueError:
        return Problem(
            "cert_missing", True, f'cannot load certificate "{cert}": PEM_read_bio_X509 failed'
        )
    if expires <= clock(state):
        return Problem(
            "cert_expired",
            False,
            "SSL_do_handshake() failed (SSL: error:0A000086:certificate verify failed: "
            f"certificate has expired) cert={cert} notAfter={not_after}",
        )
    return None


def _config_problem(state: ItOpsState, svc: Service, values: dict[str, str]) -> Problem | None:
    for key, kind in _required_keys(state, svc):
        value = values.get(key)
        if value is None:
            message = f"config error: {svc.config_path}: missing required setting '{key}'"
            return Problem("config_invalid", True, message)
        if not catalog.is_valid(kind, value):
            return Problem("config_invalid", True, invalid_message(svc, key, value, kind))
    return None


def _env_problem(state: ItOpsState, svc: Service) -> Problem | None:
    env = parse_env(state.files.get(svc.env_path, ""))
    runtime = svc.flavor if svc.flavor in catalog.ENV_MISSING_MSG else "go"
    for var in svc.required_env:
        if not env.get(var):
            return Problem("env_missing", True, catalog.ENV_MISSING_MSG[runtime].format(var=var))
    return None


def _release_problems(state: ItOpsState, svc: Service) -> list[Problem]:
    release = next((r for r in svc.releases if r.version == svc.version), None)
    if release is None:
        return []
    found: list[Problem] = []
    if release.schema and release.schema < state.db_schema:
        message = (
            f"database schema version {state.db_schema} is newer than release {svc.version} "
            f"supports ({release.schema}); refusing to start"
        )
        found.append(Problem("release_schema", True, message))
    if release.defect:
        runtime = svc.flavor if svc.flavor in catalog.RELEASE_ERRORS else "go"
        crash, errors = catalog.RELEASE_ERRORS[runtime]
        if release.defect == "crash":
            found.append(Problem("release_crash", True, crash.format(app=svc.name, v=svc.version)))
        else:
            message = errors.format(app=svc.name, v=svc.version)
            found.append(Problem("release_errors", False, message))
    return found


def _dependency_problems(state: ItOpsState, svc: Service, values: dict[str, str]) -> list[Problem]:
    found: list[Problem] = []
    gateway = svc.role == "gateway"
    for dep_name in svc.depends_on:
        dep = state.services[dep_name]
        section = catalog.DEP_SECTION[dep.role]
        host = values.get(f"{section}.host", "")
        port = values.get(f"{section}.port", "")
        if host != dep.host:
            known = host in _known_hosts(state)
            message = _refused(svc, host, port) if known else _unresolved(svc, host)
            found.append(Problem("upstream" if gateway else "conn_host", not gateway, message))
        elif port != str(dep.port):
            message = _refused(svc, host, port)
            found.append(Problem("upstream" if gateway else "conn_port", not gateway, message))
        elif gateway:
            continue
        elif dep.status == "crashed":
            found.append(Problem("dep_down", True, _refused(svc, host, port)))
        elif dep.status == "degraded":
            found.append(Problem("dep_degraded", False, f"errors from {dep.name}: {dep.detail}"))
    return found


def _pool_problem(state: ItOpsState, svc: Service, values: dict[str, str]) -> Problem | None:
    spec = catalog.FLAVORS[svc.flavor]
    limit = values.get(spec.pool_key, "")
    demand = pool_demand(state, svc)
    if not limit.isdigit() or int(limit) >= demand:
        return None
    if svc.flavor == "mysql":
        message = (
            f"[Warning] [MY-010055] Too many connections (max_connections={limit}, "
            f"{demand} client connections requested)"
        )
    else:
        message = (
            f"FATAL:  sorry, too many clients already (max_connections={limit}, "
            f"{demand} client connections requested)"
        )
    return Problem("db_pool", False, message)


def problems(state: ItOpsState, svc: Service) -> list[Problem]:
    """What the service would trip over if it started now: fatal problems first, then soft ones."""
    found: list[Problem] = []
    volume = vfs.volume_of(svc.log_path)
    if vfs.volume_used(state, volume) >= svc.log_capacity * DISK_FULL:
        found.append(Problem("disk_full", True, _disk_message(svc)))
    text = state.files.get(svc.config_path)
    if text is None:
        message = f"cannot open {svc.config_path}: No such file"
        return [*found, Problem("config_missing", True, message)]
    values, error = parse_config(text)
    if error is not None:
        message = f"config error: {svc.config_path}: {error}"
        return [*found, Problem("config_parse", True, message)]
    optional = [
        _config_problem(state, svc, values),
        _env_problem(state, svc) if svc.env_path else None,
    ]
    found += [p for p in optional if p is not None]
    if svc.role in ("app", "worker"):
        found += _release_problems(state, svc)
    found += _dependency_problems(state, svc, values)
    if svc.role == "gateway":
        found += [p for p in (_cert_problem(state, svc, values),) if p is not None]
    if svc.role == "db":
        found += [p for p in (_pool_problem(state, svc, values),) if p is not None]
    return [p for p in found if p.fatal] + [p for p in found if not p.fatal]


def _known_hosts(state: ItOpsState) -> set[str]:
    return {"localhost", "127.0.0.1"} | {s.host for s in state.services.values()}


def effective_status(state: ItOpsState, svc: Service) -> str:
    """The status monitoring reports: a gateway whose upstream is down serves 502s (degraded)."""
    if (
        svc.status == "running"
        and svc.role == "gateway"
        and any(state.services[d].status == "crashed" for d in svc.depends_on)
    ):
        return "degraded"
    return svc.status


def cascade(state: ItOpsState, down: Service) -> None:
    """A crashed service takes down the running services that need it (gateways only degrade)."""
    for other in state.services.values():
        if down.name in other.depends_on and other.status != "crashed" and other.role != "gateway":
            other.status = "crashed"
            other.reason = "dep_down"
            other.detail = (
                f"lost connection to {down.name} ({down.host}:{down.port}): connection refused"
            )
            log(state, other, "ERROR", other.detail)
            log(state, other, "ERROR", "process exited with code 1")
            cascade(state, other)


def start(state: ItOpsState, svc: Service) -> None:
    """(Re)start a service's process: it comes up running, degraded, or crashed (and cascades)."""
    state.tick += 5
    svc.restarts += 1
    svc.pid += 17
    svc.started_tick = state.tick
    svc.draining = False
    svc.loaded_config = state.files.get(svc.config_path, "")
    svc.loaded_env = state.files.get(svc.env_path, "") if svc.env_path else ""
    log(state, svc, "INFO", f"starting {svc.name} {svc.version} (pid {svc.pid})")
    found = problems(state, svc)
    first = found[0] if found else None
    if first is not None and first.fatal:
        svc.status, svc.reason, svc.detail = "crashed", first.code, first.message
        log(state, svc, "FATAL", first.message)
        log(state, svc, "ERROR", "process exited with code 1")
        cascade(state, svc)
        return
    values, _ = parse_config(svc.loaded_config)
    port = values.get(listen_key(svc.role), "")
    if port.isdigit():
        svc.port = int(port)
    log(state, svc, "INFO", f"ready: listening on {svc.host}:{svc.port}")
    if first is None:
        svc.status, svc.reason, svc.detail = "running", "", ""
    else:
        svc.status, svc.reason, svc.detail = "degraded", first.code, first.message
        log(state, svc, "ERROR", first.message)


def healthy(state: ItOpsState, svc: Service) -> bool:
    """Running, not draining, config applied, and nothing it would trip over at the next start."""
    return (
        effective_status(state, svc) == "running"
        and not svc.draining
        and svc.loaded_config == state.files.get(svc.config_path, "")
        and (not svc.env_path or svc.loaded_env == state.files.get(svc.env_path, ""))
        and not problems(state, svc)
    )


def disk_pct(state: ItOpsState, svc: Service) -> float:
    """How full the service's log volume is, in percent."""
    used = vfs.volume_used(state, vfs.volume_of(svc.log_path))
    return round(min(100.0, 100.0 * used / svc.log_capacity), 1)


def healthcheck(state: ItOpsState, svc: Service) -> dict[str, Any]:
    """The result of the service's health probe, check by check."""
    status = effective_status(state, svc)
    checks: list[dict[str, Any]] = []
    uptime = state.tick - svc.started_tick
    if svc.status == "crashed":
        checks.append(
            {"check": "process", "ok": False, "detail": f"failed (exit code 1): {svc.detail}"}
        )
    else:
        checks.append(
            {
                "check": "process",
                "ok": True,
                "detail": f"active (running), pid {svc.pid}, up {uptime}s",
            }
        )
    applied = svc.loaded_config == state.files.get(svc.config_path, "") and (
        not svc.env_path or svc.loaded_env == state.files.get(svc.env_path, "")
    )
    checks.append(
        {
            "check": "config",
            "ok": applied,
            "detail": "applied"
            if applied
            else "changed on disk since the last start; restart to apply",
        }
    )
    for dep_name in svc.depends_on:
        dep = state.services[dep_name]
        dep_status = effective_status(state, dep)
        checks.append(
            {"check": f"dependency {dep_name}", "ok": dep_status != "crashed", "detail": dep_status}
        )
    if svc.status == "crashed":
        endpoint = (False, f"{svc.host}:{svc.port}: connection refused")
    elif status == "degraded" and svc.status == "running":
        up = next(d for d in svc.depends_on if state.services[d].status == "crashed")
        endpoint = (False, f"502 Bad Gateway: upstream {up} unavailable")
    elif svc.status == "degraded":
        endpoint = (False, f"503 Service Unavailable: {svc.detail}")
    elif svc.draining:
        endpoint = (False, "503 draining: not accepting new requests")
    else:
        endpoint = (True, "200 OK")
    probe = "GET /healthz" if svc.role in ("app", "worker", "gateway") else "ping"
    checks.append({"check": probe, "ok": endpoint[0], "detail": endpoint[1]})
    pct = disk_pct(state, svc)
    checks.append(
        {"check": "disk", "ok": pct < 95, "detail": f"{vfs.volume_of(svc.log_path)} {pct}% used"}
    )
    return {"service": svc.name, "healthy": all(c["ok"] for c in checks), "checks": checks}


def metrics(state: ItOpsState, svc: Service) -> dict[str, Any]:
    """Five-minute metrics as monitoring shows them."""
    status = effective_status(state, svc)
    out: dict[str, Any] = {"service": svc.name, "window": "last 5m", "status": status}
    if status == "crashed":
        out.update(requests_per_s=0.0, error_rate=1.0, latency_p50_ms=None, latency_p99_ms=None)
    else:
        reason = "upstream" if svc.status == "running" and status == "degraded" else svc.reason
        rate = _ERROR_RATES.get(reason, 0.25) if status == "degraded" else 0.002
        factor = 3.0 if status == "degraded" else 1.0
        rps = 0.0 if svc.draining else svc.rps
        out.update(
            requests_per_s=rps,
            error_rate=rate,
            latency_p50_ms=round(svc.p50_ms * factor, 1),
            latency_p99_ms=round(svc.p50_ms * factor * 4.5, 1),
        )
    out["cpu_pct"] = 0.0 if status == "crashed" else round(min(95.0, 8 + svc.rps / 12), 1)
    out["disk_used_pct"] = disk_pct(state, svc)
    out["restarts"] = svc.restarts
    return out
