"""The itops expert: troubleshoot a failing deployment the way a careful SRE would.

It surveys the services, then works through the failing ones from the datastores up: reads each
one's status (its last error), and only as much else as the fix needs (the log volume's listing,
the config, the pre-deploy .env backup, the certificate directory, the release history), fixing
each cause on disk as it finds it and writing down why. Then it restarts the affected services in
dependency order: a database only after draining the apps that write to it (the user's call, so it
asks), a bad release by rollback only after asking who approves and getting the approval (a hand-off
when it is refused). A cause hidden behind a dependency that is down shows up when the service
restarts; the expert re-plans and fixes it then. It ends by running the health checks and re-plans
if one fails. It writes only under /etc, /srv and /var/log.

Fallbacks: ``service_status`` -> ``search_logs`` for the last errors; ``list_releases`` -> the
deploy log under /srv; ``run_healthcheck`` -> ``service_status``.
"""

from __future__ import annotations

from trajforge.agents.scripted import (
    Ask,
    Call,
    Done,
    HandOffMove,
    Result,
    Script,
)
from trajforge.envs.itops.expert.steps import ItOpsSteps, Phase
from trajforge.envs.itops.expert.text import (
    KIND_WORDS,
    Cause,
    allows_drain,
    approval_question,
    approver_in,
    drain_question,
    explains,
    failing_checks,
    field,
    healthy,
    join,
    last_error,
    needs_no_approval,
    role_rank,
    rows,
    short,
    truthy,
)
from trajforge.schema import Task

SURVEY = "survey the services"
GENERIC = (
    "find what broke each failing service",
    "fix the causes, datastores first",
    "restart the affected services in dependency order",
)


class ItOpsExpert(ItOpsSteps):
    """Scripted expert for ``ItOpsEnv``."""

    # -- the script ------------------------------------------------------------------------------

    def script(self, task: Task) -> Script:
        """Survey, find and fix each cause, restart in order, verify, report."""
        self.plan([SURVEY, *GENERIC, "verify health"])
        listed: Result = yield Call(
            "list_services",
            why="Get the overall picture first: which services are down or degraded and what "
            "depends on what.",
        )
        self._status = {str(r.get("name")): str(r.get("status")) for r in rows(listed.data)}
        if not listed.ok or not self._status:
            yield self._fail("list_services gave no usable answer")
            return
        self.mark_done(SURVEY)
        order: list[str] = self.truth["restart_order"]
        drains: list[str] = self.truth["drain_before_db_restart"]
        self._causes = sorted(
            (
                Cause(f, self._roles[f["service"]], self._status.get(f["service"], "failing"))
                for f in task.parameters["faults"]
            ),
            key=lambda c: (role_rank(c.role), c.service),
        )
        entry = next(
            (n for n, r in self._roles.items() if r == "gateway"),
            next(n for n, r in self._roles.items() if r == "app"),
        )
        targets = sorted({*order, entry}, key=lambda n: (role_rank(self._roles[n]), n))
        self._verify = f"verify the health of {join(targets)}"
        restarts: list[str] = []
        for name in order:
            if self._roles[name] == "db" and drains:
                restarts += [self._drain_item(drains), *(f"drain {d}" for d in drains)]
            restarts.append(f"restart {name}")
        self._items = [SURVEY, *(self._find_item(c) for c in self._causes), *restarts, self._verify]
        self._cursor = restarts[0]
        self.plan(self._items, reason=self._survey_reason(drains))
        for cause in self._causes:
            if not (yield from self._investigate(cause)):
                return
        for name in order:
            if not (yield from self._bring_back(name, drains)):
                return
        for name in targets:
            if not (yield from self._check(name)):
                return
        self.mark_done(self._verify)
        yield Done(self._summary(), why="Every cause is fixed and the health checks pass.")

    def _investigate(self, cause: Cause) -> Phase:
        """Read the service's status; diagnose and fix its cause, or defer it to the restart."""
        name = cause.service
        item = self._find_item(cause)
        status: Result = yield self._status_call(
            name,
            f"{name} is {cause.status}: its status shows the last error it hit, which says where "
            "to look next.",
        )
        if not status.ok:
            yield self._fail(f"I could not read the status of {name}")
            return False
        self._seen[name] = status.data
        error = last_error(status.data)
        if not explains(cause, error):
            down = [d for d in self._deps[name] if self._status.get(d) == "crashed"]
            cause.deferred = True
            cause.finding = f"{name} first failed on a dependency ({short(error, 100)})"
            self._assume_for(
                name,
                f"{name} fails because {join(down) or 'a dependency'} "
                f"{'are' if len(down) > 1 else 'is'} down; whether it has a problem of its own "
                "shows once it restarts",
            )
            self.mark_done(item)
            return True
        return (yield from self._diagnose(cause, error, item))

    # -- restarts ----------------------------------------------------------------------------------

    def _bring_back(self, name: str, drains: list[str]) -> Phase:
        """Bring one service back: drain first for a database, roll back a bad release."""
        cause = next((c for c in self._causes if c.service == name), None)
        if self._roles[name] == "db" and drains and not (yield from self._drain(name, drains)):
            return False
        if cause is not None and cause.kind == "bad_release" and not cause.deferred:
            return (yield from self._roll_back(cause))
        return (yield from self._restart(name, cause, f"restart {name}"))

    def _restart(self, name: str, cause: Cause | None, item: str) -> Phase:
        result: Result = yield Call(
            "restart_service", {"name": name}, why=self._restart_why(name, cause)
        )
        if result.kind == "partial":
            result = yield from self._read_back_restart(name)
        if not result.ok:
            yield self._fail(f"restarting {name} failed ({result.error})")
            return False
        self.mark_done(item)
        status = str(field(result.data, "status", "unknown"))
        if status == "running":
            if name not in self._restarted:
                self._restarted.append(name)
            self.drop_assumption(self._assumed.pop(name, ""))
            return True
        error = str(field(result.data, "error") or field(result.data, "warning") or "")
        if cause is None or not cause.deferred or not explains(cause, error):
            yield self._fail(f"{name} came back {status} after the restart ({short(error)})")
            return False
        cause.deferred = False
        cause.status = status
        self.drop_assumption(self._assumed.pop(name, ""))
        nxt = self._items.index(item) + 1
        self._cursor = self._items[nxt]
        found = f"find out why {name} came back {status}"
        self._add(
            [found],
            f"Restarting {name} brought out a problem of its own: '{short(error, 120)}'; "
            f"{name} {KIND_WORDS[cause.kind]}.",
        )
        if not (yield from self._diagnose(cause, error, found)):
            return False
        if cause.kind == "bad_release":
            return (yield from self._roll_back(cause))
        again = f"restart {name} again"
        self._add([again], f"{name} needs another restart to apply the fix.")
        return (yield from self._restart(name, cause, again))

    def _drain(self, db: str, drains: list[str]) -> Phase:
        answer = yield Ask(
            drain_question(db, drains),
            why=f"{db} needs a restart while {join(drains)} {'is' if len(drains) == 1 else 'are'} "
            "still writing to it; taking writers out of service is the user's call.",
        )
        if not allows_drain(str(answer or ""), drains):
            yield HandOffMove(
                f"{db} has to be restarted to apply its fix, but {join(drains)} still write to it "
                "and draining them was not agreed. Handing over to the on-call engineer to "
                f"schedule the restart. Found so far: {self._findings()}",
                reason=f"restarting {db} needs {join(drains)} drained, which was not agreed",
            )
            return False
        self.assume(f"draining {join(drains)} briefly is acceptable, as the user said")
        self.mark_done(self._drain_item(drains))
        for app in drains:
            drained: Result = yield Call(
                "drain_service",
                {"name": app},
                why=f"Take {app} out of service so no writes to {db} are in flight when it "
                "restarts.",
            )
            if not drained.ok:
                yield self._fail(f"draining {app} failed ({drained.error})")
                return False
            self._drained.append(app)
            self.mark_done(f"drain {app}")
        return True

    def _roll_back(self, cause: Cause) -> Phase:
        f = cause.fault
        name, bad, good = cause.service, f["bad_version"], f["good_version"]
        answer = yield Ask(
            approval_question(name, bad, good, self._production),
            why="A rollback needs whoever approves rollbacks here; the user knows who that is."
            if self._production
            else "Whether a rollback in staging needs approval is the team's call.",
        )
        text = str(answer or "")
        if not self._production and needs_no_approval(text):
            self.assume("rollbacks in staging need no approval, as the user said")
        else:
            who = approver_in(text)
            approval: Result = yield Call(
                "request_approval",
                {
                    "action": "rollback",
                    "service": name,
                    "reason": f"{cause.finding}. Rolling {name} back to {good}.",
                },
                why=f"Ask {who or 'the on-call lead'} to approve the rollback, with the evidence.",
            )
            if not approval.ok or not truthy(field(approval.data, "approved")):
                why = field(approval.data, "comment") or approval.error or "not approved"
                yield HandOffMove(
                    f"{name} {bad} needs a rollback to {good}, but it was not approved ({why}). "
                    f"Handing over to the on-call lead. Found so far: {self._findings()}",
                    reason=f"the rollback of {name} needs an approval that was not given",
                )
                return False
            approver = field(approval.data, "approver") or who or "the on-call lead"
            self._approved.append(f"{approver} ({field(approval.data, 'approval_id', 'approved')})")
        self.mark_done(self._approval_item(name))
        rolled: Result = yield Call(
            "rollback",
            {"service": name, "version": good},
            why=f"Redeploy {good}, the release that ran before {bad}; {name} restarts on it.",
        )
        if not rolled.ok and f"already runs {good}" not in (rolled.error or ""):
            yield self._fail(f"rolling {name} back failed ({rolled.error})")
            return False
        status = str(field(rolled.data, "status", "running")) if rolled.ok else "running"
        if status != "running":
            yield self._fail(f"{name} came back {status} on {good}")
            return False
        cause.fixed = f"rolled back to {good}"
        self._restarted.append(name)
        self.mark_done(f"roll back {name} to {good}")
        return True

    # -- verification ------------------------------------------------------------------------------

    def _check(self, name: str, again: bool = False) -> Phase:
        result: Result = yield Call(
            "run_healthcheck",
            {"name": name},
            why=f"Confirm {name} is healthy: process, config applied, dependencies, endpoint, "
            "disk." + (" Checking again after the restart." if again else ""),
            verification=True,
            fallbacks=[
                Call(
                    "service_status",
                    {"name": name},
                    why="run_healthcheck is gone; the status shows whether it runs.",
                )
            ],
        )
        if result.ok and healthy(result.data):
            self._checked.append(name)
            return True
        problem = failing_checks(result.data) if result.ok else str(result.error)
        if again or self._roles[name] == "db":
            yield self._fail(f"{name} is still not healthy ({problem})")
            return False
        retry = f"restart {name} once more and re-check it"
        self._add(
            [retry],
            f"The health check of {name} fails ({problem}); a restart applies its current config "
            "and reconnects it to its dependencies.",
            before=self._verify,
        )
        if not (yield from self._restart(name, None, retry)):
            return False
        return (yield from self._check(name, again=True))

    # -- wording -----------------------------------------------------------------------------------

    def _survey_reason(self, drains: list[str]) -> str:
        failing = {n for n, s in self._status.items() if s != "running"}
        by_status: dict[str, list[str]] = {}
        for name, status in self._status.items():
            by_status.setdefault(status, []).append(name)
        seen = "; ".join(f"{join(names)} {status}" for status, names in by_status.items())
        names = [c.service for c in self._causes]
        if len(names) == 1:
            reason = f"list_services: {seen}. Looking into {names[0]} before changing anything, "
        else:
            reason = f"list_services: {seen}. Going through {join(names)} from the datastores up "
            reason += "before changing anything, "
        reason += "then restarting what needs it in dependency order"
        victims = [
            n
            for n in self.truth["restart_order"]
            if n in failing and all(c.service != n for c in self._causes)
        ]
        for name in victims:
            down = [d for d in self._deps[name] if self._status.get(d) == "crashed"]
            self._assume_for(name, f"{name} went down with {join(down) or 'a dependency'}")
        if drains:
            one = len(drains) == 1
            reason += f"; {join(drains)} still {'writes' if one else 'write'} to the database, so "
            reason += f"{'it gets' if one else 'they get'} drained first"
        return reason + "."

    def _restart_why(self, name: str, cause: Cause | None) -> str:
        if name in self._drained:
            return f"Put {name} back in service now that the database is back."
        if cause is None:
            down = [d for d in self._deps[name] if self._status.get(d) == "crashed"]
            return f"{name} went down with {join(down) or 'its dependencies'}; start it again now."
        if cause.deferred:
            return f"Start {name} now that its dependencies are back, and see if it comes up clean."
        if cause.kind == "dependency_down":
            return f"{name} was OOM-killed and nothing on disk is wrong; bring it back first."
        db = self._roles[name] == "db" and self._drained
        drained = f" ({join(self._drained)} drained)" if db else ""
        return f"Restart {name}{drained} so it starts with the fix ({cause.fixed})."

    def _summary(self) -> str:
        causes = [f"{c.finding} - {c.fixed}" for c in self._causes]
        text = "Fixed. Root cause" + ("s" if len(causes) > 1 else "") + ": "
        text += " ".join(f"({i}) {c}." for i, c in enumerate(causes, 1))
        if self._drained:
            text += f" Drained {join(self._drained)} before restarting the database, as agreed."
        if self._approved:
            text += f" The rollback was approved by {join(self._approved)}."
        text += f" Brought back up in dependency order: {', '.join(self._restarted)}."
        return text + f" Health checks pass for {join(self._checked)}."
