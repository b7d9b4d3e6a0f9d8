"""The whole mutable world of the itops environment, as msgspec Structs.

Everything an episode can change lives here, so the base class's snapshot, restore and digest work
unchanged: the virtual file system (a dict path -> text, never the host's), apparent sizes of big
files, the services with their status and releases, the simulated clock and the approvals granted.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Role = Literal["app", "worker", "db", "cache", "queue", "gateway"]
Status = Literal["running", "degraded", "crashed"]


class Release(msgspec.Struct, kw_only=True):
    """One deployed release of a service: version, when, and the database schema it supports."""

    version: str
    deployed_at: str
    schema: int = 0
    defect: str = ""


class Service(msgspec.Struct, kw_only=True):
    """A service of the deployment and what its process last did."""

    name: str
    role: Role
    flavor: str
    host: str
    port: int
    status: Status = "running"
    reason: str = ""
    detail: str = ""
    version: str
    releases: list[Release] = []
    depends_on: list[str] = []
    draining: bool = False
    restarts: int = 0
    started_tick: int = -3600
    pid: int = 1000
    config_path: str
    env_path: str = ""
    log_path: str
    manifest_path: str = ""
    required_env: list[str] = []
    loaded_config: str = ""
    loaded_env: str = ""
    log_capacity: int = 20 * 1024**3
    rps: float = 50.0
    p50_ms: float = 20.0


class Approval(msgspec.Struct, kw_only=True):
    """A human approval granted through request_approval."""

    id: str
    action: str
    service: str
    approved: bool


class ItOpsState(msgspec.Struct, kw_only=True):
    """The world: virtual files, services, clock and approvals."""

    now: str
    tick: int = 0
    deploy_env: Literal["production", "staging"] = "production"
    approver: str = "the on-call lead"
    db_schema: int = 0
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    services: dict[str, Service] = {}
    approvals: list[Approval] = []
