"""ItOpsEnv: troubleshoot a failing deployment in a simulated ops box.

The world is a virtual file system (configs under /etc, apps under /srv, logs under /var/log; a
dict in the state, never the host's files) and a set of services (app, worker, database, cache,
queue, gateway) with dependencies, releases, status and metrics. Tasks inject one to four root
causes; restarting a service whose config is still broken or whose dependency is down leaves it
crashed, so early mistakes cascade.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from trajforge.envs.base import Environment, Violation
from trajforge.envs.itops import checks, health, policy, tasks, vfs
from trajforge.envs.itops.state import Approval, ItOpsState, Service
from trajforge.envs.itops.world import initial_world, manifest_for
from trajforge.envs.tools import ToolError, tool
from trajforge.schema import CheckResult, Task, Trajectory

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Path = Annotated[str, msgspec.Meta(max_length=4096)]
Text = Annotated[str, msgspec.Meta(max_length=65536)]
MAX_READ = 12000
_TERMINATED = "terminating connection due to administrator command; in-flight writes failed"


class ItOpsEnv(Environment):
    """Troubleshoot and repair a failing multi-service deployment."""

    name = "itops"
    #: 2: an idle episode fails with score 0 (checks that held at the start earn nothing)
    version = "3"
    description = (
        "An ops box for a failing deployment: virtual configs, .env files, release manifests and "
        "logs; services with dependencies, releases, status and metrics. Find the root causes "
        "(bad config values, bad releases, crashed dependencies, full disks, expired certificates, "
        "missing environment variables), fix them in the right order and verify health."
    )
    difficulty_levels: ClassVar[dict[int, str]] = {
        1: "one root cause (4-8 expert steps)",
        2: "two interacting causes, a datastore and a dependent service (8-15 expert steps)",
        3: "three or four chained causes across six services (15-40 expert steps)",
    }
    policy_rules = policy.RULES
    hidden_info_keys: ClassVar[dict[str, str]] = {
        "recent_changes": "what the user knows about recent deploys and changes",
        "incident_onset": "when the first alerts fired",
        "rollback_approval": "who approves production rollbacks, or that none is needed",
        "maintenance": "whether draining apps briefly is acceptable",
    }
    state_type = ItOpsState
    _state: ItOpsState

    # -- tasks and judging -----------------------------------------------------------------

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A seeded troubleshooting task."""
        return tasks.generate_task(seed, difficulty, environment=cls.name, version=cls.version)

    def build_state(self, task: Task) -> ItOpsState:
        """The initial world of ``task`` (a pure function of its parameters)."""
        return initial_world(task.parameters)

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """Health per service, each root cause fixed, and no collateral changes."""
        return checks.evaluate(self._state, task)

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Policy violations visible in the trajectory."""
        return policy.find_violations(trajectory)

    # -- helpers -------------------------------------------------------------------------------

    def _svc(self, name: str) -> Service:
        svc = self._state.services.get(name)
        if svc is None:
            known = ", ".join(self._state.services)
            raise ToolError(f"unknown service {name!r}; services: {known}", kind="not_found")
        return svc

    def _file(self, path: str) -> tuple[str, str]:
        clean = vfs.normalize(path)
        return clean, vfs.read(self._state, clean)

    def _writable_text(self, clean: str) -> None:
        if clean in self._state.sizes:
            raise ToolError(
                f"{clean} is too large or binary to edit; use clear_file", kind="not_editable"
            )

    # -- observation tools --------------------------------------------------------------------

    @tool(read_only=True)
    def list_services(self) -> list[dict[str, Any]]:
        """List the services of the deployment with their status, version and dependencies."""
        state = self._state
        return [
            {
                "name": s.name,
                "role": s.role,
                "status": health.effective_status(state, s),
                "version": s.version,
                "depends_on": s.depends_on,
                "draining": s.draining,
            }
            for s in state.services.values()
        ]

    @tool(read_only=True)
    def service_status(self, name: Name) -> dict[str, Any]:
        """Show one service's process status, address, files and last error (like systemctl status).

        Args:
            name: the service name, as listed by list_services
        """
        state = self._state
        svc = self._svc(name)
        out: dict[str, Any] = {
            "name": svc.name,
            "role": svc.role,
            "software": svc.flavor,
            "status": health.effective_status(state, svc),
            "version": svc.version,
            "host": svc.host,
            "port": svc.port,
            "pid": None if svc.status == "crashed" else svc.pid,
            "uptime_s": None if svc.status == "crashed" else state.tick - svc.started_tick,
            "restarts": svc.restarts,
            "draining": svc.draining,
            "depends_on": svc.depends_on,
            "dependents": [o.name for o in state.services.values() if svc.name in o.depends_on],
            "config": svc.config_path,
            "log": svc.log_path,
        }
        if svc.env_path:
            out["env_file"] = svc.env_path
        if svc.detail:
            out["last_error"] = svc.detail
        return out

    @tool(read_only=True)
    def get_metrics(self, name: Name) -> dict[str, Any]:
        """Five-minute metrics of a service: requests/s, error rate, latency, CPU, log disk usage.

        Args:
            name: the service name
        """
        return health.metrics(self._state, self._svc(name))

    @tool(read_only=True)
    def run_healthcheck(self, name: Name) -> dict[str, Any]:
        """Run a service's health probe: process, config applied, dependencies, endpoint, disk.

        Args:
            name: the service name
        """
        return health.healthcheck(self._state, self._svc(name))

    @tool(read_only=True)
    def list_releases(self, name: Name) -> dict[str, Any]:
        """List the releases deployed for an app or worker, oldest first, marking the current one.

        Args:
            name: the service name
        """
        svc = self._svc(name)
        if not svc.releases:
            raise ToolError(
                f"{name} is infrastructure ({svc.flavor} {svc.version}); it has no release history",
                kind="no_releases",
            )
        return {
            "service": svc.name,
            "current": svc.version,
            "releases": [
                {
                    "version": r.version,
                    "deployed_at": r.deployed_at,
                    "current": r.version == svc.version,
                }
                for r in svc.releases
            ],
        }

    @tool(read_only=True)
    def list_dir(self, path: Path = "/") -> dict[str, Any]:
        """List a directory of the ops box's file system (names, types, sizes in bytes).

        Args:
            path: an absolute directory path such as /etc or /var/log/api
        """
        clean = vfs.normalize(path)
        return {"path": clean, "entries": vfs.listing(self._state, clean)}

    @tool(read_only=True)
    def read_file(
        self, path: Path, tail: Annotated[int, msgspec.Meta(ge=1, le=2000)] | None = None
    ) -> str:
        """Read a text file; long files are cut, use tail to see only the last lines.

        Args:
            path: the absolute file path, e.g. /etc/api/config.yaml
            tail: only return the last this many lines
        """
        clean, text = self._file(path)
        note = ""
        if clean in self._state.sizes:
            size = vfs.human(vfs.size_of(self._state, clean))
            note = f"[{clean}: {size} on disk; only a preview is shown]\n"
        if tail is not None:
            text = "".join(text.splitlines(keepends=True)[-tail:])
        if len(text) > MAX_READ:
            rest = len(text) - MAX_READ
            text = text[:MAX_READ] + f"\n[... truncated, {rest} more characters; use tail]"
        return note + text

    @tool(read_only=True)
    def search_logs(
        self,
        service: Name,
        pattern: Annotated[str, msgspec.Meta(min_length=1, max_length=200)],
        limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        """Search a service's current log for lines containing a text (case-insensitive).

        Args:
            service: the service whose log to search
            pattern: the text to look for (plain text, not a regular expression)
            limit: at most this many matching lines, the most recent ones
        """
        svc = self._svc(service)
        needle = pattern.lower()
        lines = [
            line
            for line in self._state.files.get(svc.log_path, "").splitlines()
            if needle in line.lower()
        ]
        return {
            "service": svc.name,
            "log": svc.log_path,
            "total_matches": len(lines),
            "matches": lines[-limit:],
        }

    # -- changing things ----------------------------------------------------------------------

    @tool(idempotent=True)
    def edit_file(self, path: Path, old: Text, new: Text) -> dict[str, Any]:
        """Replace one exact occurrence of a text in a file (include enough context to be unique).

        Args:
            path: the absolute file path
            old: the exact text to replace; it must occur exactly once in the file
            new: the replacement text
        """
        clean, text = self._file(path)
        self._writable_text(clean)
        if not old:
            raise ToolError(
                "old must not be empty; use append_to_file to add text", kind="invalid_request"
            )
        count = text.count(old)
        if count == 0:
            raise ToolError(f"old text not found in {clean}", kind="no_match")
        if count > 1:
            raise ToolError(
                f"old text occurs {count} times in {clean}; include more context", kind="ambiguous"
            )
        updated = text.replace(old, new, 1)
        if len(updated) > vfs.MAX_FILE:
            raise ToolError(f"{clean} would exceed {vfs.MAX_FILE} bytes", kind="too_large")
        self._state.files[clean] = updated
        self._state.tick += 3
        line = text[: text.index(old)].count("\n") + 1
        return {"path": clean, "edited_line": line, "size": len(updated.encode())}

    @tool
    def append_to_file(
        self, path: Path, text: Annotated[str, msgspec.Meta(min_length=1, max_length=65536)]
    ) -> dict[str, Any]:
        """Append text to the end of an existing file (a newline is added if missing).

        Args:
            path: the absolute file path
            text: the text to append, e.g. a KEY=value line
        """
        clean, current = self._file(path)
        self._writable_text(clean)
        prefix = "" if not current or current.endswith("\n") else "\n"
        suffix = "" if text.endswith("\n") else "\n"
        updated = current + prefix + text + suffix
        if len(updated) > vfs.MAX_FILE:
            raise ToolError(f"{clean} would exceed {vfs.MAX_FILE} bytes", kind="too_large")
        self._state.files[clean] = updated
        self._state.tick += 3
        return {"path": clean, "size": len(updated.encode())}

    @tool
    def clear_file(self, path: Path) -> dict[str, Any]:
        """Truncate a file to zero bytes (e.g. an old rotated log filling a disk).

        Args:
            path: the absolute file path
        """
        clean, _ = self._file(path)
        state = self._state
        freed = vfs.size_of(state, clean)
        state.files[clean] = ""
        state.sizes.pop(clean, None)
        state.tick += 2
        volume = vfs.volume_of(clean)
        out: dict[str, Any] = {"path": clean, "freed": vfs.human(freed)}
        owner = next(
            (s for s in state.services.values() if vfs.volume_of(s.log_path) == volume), None
        )
        if owner is not None:
            out["volume"] = volume
            out["volume_used_pct"] = health.disk_pct(state, owner)
        return out

    @tool
    def restart_service(self, name: Name) -> dict[str, Any]:
        """Restart a service; it re-reads its config and .env and reconnects to its dependencies.

        Args:
            name: the service name
        """
        state = self._state
        svc = self._svc(name)
        writers: list[str] = []
        if svc.role == "db":
            for other in state.services.values():
                serving = other.status != "crashed" and not other.draining
                if svc.name in other.depends_on and other.role in ("app", "worker") and serving:
                    writers.append(other.name)
                    health.log(state, other, "ERROR", _TERMINATED)
        health.start(state, svc)
        out: dict[str, Any] = {"service": svc.name, "status": health.effective_status(state, svc)}
        if svc.status == "crashed":
            out["exit_code"] = 1
            out["error"] = svc.detail
        elif svc.status == "degraded":
            out["warning"] = svc.detail
        if svc.role == "db":
            out["interrupted_writers"] = writers
        return out

    @tool
    def drain_service(self, name: Name) -> dict[str, Any]:
        """Take an app or worker out of service so it stops taking requests and writes.

        Args:
            name: the app or worker to drain (a later restart puts it back in service)
        """
        state = self._state
        svc = self._svc(name)
        if svc.role not in ("app", "worker"):
            raise ToolError(
                f"{name} is a {svc.role}; only app and worker services can be drained",
                kind="invalid_request",
            )
        svc.draining = True
        state.tick += 2
        health.log(state, svc, "INFO", "draining: stopped accepting new requests and jobs")
        out: dict[str, Any] = {"service": svc.name, "draining": True}
        if svc.status == "crashed":
            out["note"] = f"{name} is not running; nothing was being served"
        return out

    @tool(idempotent=True)
    def rollback(
        self, service: Name, version: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    ) -> dict[str, Any]:
        """Redeploy an earlier release of an app or worker (the service restarts on it).

        Args:
            service: the app or worker to roll back
            version: the release version to go back to, as listed by list_releases
        """
        state = self._state
        svc = self._svc(service)
        if not svc.releases:
            raise ToolError(f"{service} has no release history to roll back to", kind="no_releases")
        if not any(r.version == version for r in svc.releases):
            known = ", ".join(r.version for r in svc.releases)
            raise ToolError(
                f"{service} has no release {version!r}; releases: {known}", kind="not_found"
            )
        if version == svc.version:
            raise ToolError(f"{service} already runs {version}", kind="invalid_request")
        previous = svc.version
        svc.version = version
        state.files[svc.manifest_path] = manifest_for(state, svc)
        log_path = f"/srv/{svc.name}/deploy/releases.log"
        moment = health.stamp(health.clock(state))
        state.files[log_path] = (
            state.files.get(log_path, "")
            + f"{moment} rolled back {svc.name} {previous} -> {version}\n"
        )
        health.log(state, svc, "INFO", f"rollback: redeploying {version} (was {previous})")
        health.start(state, svc)
        approval = next(
            (
                a.id
                for a in state.approvals
                if a.service == svc.name and a.action == "rollback" and a.approved
            ),
            None,
        )
        out: dict[str, Any] = {
            "service": svc.name,
            "from": previous,
            "to": version,
            "status": health.effective_status(state, svc),
            "approval": approval or "none on record",
        }
        if svc.status == "crashed":
            out["error"] = svc.detail
        elif svc.status == "degraded":
            out["warning"] = svc.detail
        return out

    @tool(idempotent=True)
    def request_approval(
        self,
        action: Literal["rollback", "restart", "config_change"],
        service: Name,
        reason: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)],
    ) -> dict[str, Any]:
        """Ask the on-call lead to approve a risky action (production rollbacks need one); asking
        again for the same action on the same service gives the answer already given.

        Args:
            action: what you want to do
            service: the service it concerns
            reason: why, with the evidence (at least 10 characters)
        """
        state = self._state
        svc = self._svc(service)
        asked = next(
            (a for a in state.approvals if a.action == action and a.service == svc.name), None
        )
        if asked is not None:  # asked before: the lead's answer stands, nothing new is filed
            approval_id, approved = asked.id, asked.approved
            comment = f"already requested as {asked.id}: {'' if approved else 'not '}approved"
        else:
            state.tick += 30
            approval_id = f"APR-{1001 + len(state.approvals)}"
            approved = not (action == "rollback" and len(svc.releases) < 2)
            if not approved:
                comment = f"{service} has no earlier release to roll back to"
            elif state.deploy_env == "staging":
                comment = "staging: no approval needed, go ahead"
            else:
                comment = "approved, go ahead"
            state.approvals.append(
                Approval(id=approval_id, action=action, service=svc.name, approved=approved)
            )
        return {
            "approval_id": approval_id,
            "action": action,
            "service": svc.name,
            "approver": state.approver,
            "comment": comment,
            "approved": approved,
        }
