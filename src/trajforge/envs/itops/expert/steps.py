"""The steps of the itops expert: its working state, the plan it keeps, and the fix of each cause.

``ItOpsSteps`` holds what the expert has learnt (statuses, findings, what it drained, restarted,
had approved) and the plan items it keeps in order; each cause kind has a small generator of
moves that looks at exactly what that fix needs, re-plans with what it found, applies the fix on
disk and returns whether to go on. ``ItOpsExpert`` (in ``itops``) strings them into the script.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, ClassVar

from trajforge.agents.scripted import Call, Done, Move, Result, ScriptedExpert
from trajforge.envs.itops.expert.text import (
    Cause,
    clock_time,
    config_edit,
    config_note,
    entry_names,
    env_value,
    field,
    human,
    join,
    not_after,
    onset_in,
    release_times,
    short,
    text_of,
)
from trajforge.schema import Task, ToolSpec

#: A phase of the script yields moves and returns whether to go on.
Phase = Generator[Move, Any, bool]


class ItOpsSteps(ScriptedExpert):
    """The itops expert's state, plan keeping and per-cause fixes."""

    name: ClassVar[str] = "expert"
    #: changes never repeated after a cut-off reply (a second append doubles the line, a second
    #: restart or rollback acts again): the script reads back what they did instead
    run_once: ClassVar[frozenset[str]] = frozenset(
        {
            "edit_file",
            "append_to_file",
            "clear_file",
            "drain_service",
            "restart_service",
            "rollback",
        }
    )

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        super().__init__(task, tools, seed, system_prompt=system_prompt)
        params = task.parameters
        specs = params.get("services", [])
        self._roles: dict[str, str] = {s["name"]: s["role"] for s in specs}
        self._deps: dict[str, list[str]] = {s["name"]: list(s["depends_on"]) for s in specs}
        self._production = params.get("deploy_env", "production") == "production"
        self._items: list[str] = []
        self._cursor = ""
        self._status: dict[str, str] = {}
        self._seen: dict[str, Any] = {}
        self._causes: list[Cause] = []
        self._restarted: list[str] = []
        self._drained: list[str] = []
        self._approved: list[str] = []
        self._checked: list[str] = []
        self._verify = ""
        self._assumed: dict[str, str] = {}

    # -- diagnosis and fixes, one kind of cause each -------------------------------------------

    def _diagnose(self, cause: Cause, error: str, item: str) -> Phase:
        """Look at what the cause's kind needs, then fix it on disk (or plan the rollback)."""
        kind = cause.kind
        if kind == "dependency_down":
            cause.finding = f"{cause.service} had been OOM-killed by the kernel (SIGKILL)"
            cause.fixed = "restarted it"
            self.mark_done(item)
            return True
        if kind == "disk_full":
            return (yield from self._fix_disk(cause, error, item))
        if kind == "bad_config":
            return (yield from self._fix_config(cause, error, item))
        if kind == "cert_expired":
            return (yield from self._fix_cert(cause, error, item))
        if kind == "env_missing":
            return (yield from self._fix_env(cause, error, item))
        return (yield from self._plan_rollback(cause, error, item))

    def _fix_disk(self, cause: Cause, error: str, item: str) -> Phase:
        name, path = cause.service, cause.fault["path"]
        folder, _, file = path.rpartition("/")
        listing: Result = yield Call(
            "list_dir",
            {"path": folder},
            why=f"{name} reports '{short(error, 100)}': see what fills its log volume {folder}.",
        )
        sizes = entry_names(listing.data) if listing.ok else {}
        if file not in sizes:
            yield self._fail(f"I could not find what fills {folder}")
            return False
        cause.finding = f"{name}'s log volume {folder} was full: the uncompressed rotated log "
        cause.finding += f"{file} took {human(sizes[file])}"
        self.mark_done(item)
        fix = f"clear {path}"
        self._add([fix], f"{cause.finding}. Clearing that old rotated log frees the volume.")
        cleared: Result = yield Call(
            "clear_file",
            {"path": path},
            why=f"{file} is an old rotated log ({human(sizes[file])}) that fills {folder}; "
            "truncating it frees the volume without touching the live log.",
        )
        if not cleared.ok:
            yield self._fail(f"clearing {path} failed ({cleared.error})")
            return False
        pct = field(cleared.data, "volume_used_pct")
        cause.fixed = f"cleared {file}" + (f", volume now {pct}% used" if pct is not None else "")
        self.mark_done(fix)
        return True

    def _fix_config(self, cause: Cause, error: str, item: str) -> Phase:
        f = cause.fault
        name, path, key, bad, good = cause.service, f["path"], f["key"], f["bad"], f["good"]
        dep = str(f.get("dependency", ""))
        where = ""
        if dep:
            if dep not in self._seen:
                status: Result = yield self._status_call(
                    dep,
                    f"{name} reports '{short(error, 100)}': check where {dep} actually listens.",
                )
                if status.ok:
                    self._seen[dep] = status.data
            seen = self._seen.get(dep)
            host, port = field(seen, "host"), field(seen, "port")
            where = f"{host}:{port}" if host and port else ""
        read: Result = yield Call(
            "read_file",
            {"path": path},
            why=f"Read {name}'s config to see the {key} it was started with.",
        )
        text = text_of(read.data) if read.ok else ""
        edit = config_edit(text, key, bad, good)
        if edit is None:
            yield self._fail(f"{path} does not hold {key}: {bad} as its error suggests")
            return False
        if cause.variant == "pool":
            note = config_note(text, key)
            cause.finding = f"{name} refused clients ('{short(error, 90)}'): {key} in {path} is "
            cause.finding += f"{bad}" + (f" ({note})" if note else "")
        elif where:
            cause.finding = f"{name}'s {key} in {path} is {bad}, but {dep} is at {where}"
        elif dep:
            cause.finding = f"{name}'s {key} in {path} is {bad}, which is not {dep}'s address "
            cause.finding += f"({short(error, 90)})"
        else:
            cause.finding = f"{path} sets {key} to {bad!r}, which {name} rejects "
            cause.finding += f"('{short(error, 90)}'); the intended value is {good!r}"
        self.mark_done(item)
        fix = f"set {key} to {good} in {path}"
        self._add([fix], f"{cause.finding}.")
        old, new = edit
        edited: Result = yield Call(
            "edit_file",
            {"path": path, "old": old, "new": new},
            why=f"Put {key} back to {good} in {path}, changing nothing else.",
        )
        if not (yield from self._check_edit(edited, path, new.strip().rsplit("\n", 1)[-1])):
            return False
        cause.fixed = f"set {key} to {good}"
        self.mark_done(fix)
        return True

    def _fix_cert(self, cause: Cause, error: str, item: str) -> Phase:
        f = cause.fault
        name, path, bad, good = cause.service, f["path"], f["bad"], f["good"]
        folder, _, renewed = good.rpartition("/")
        listing: Result = yield Call(
            "list_dir",
            {"path": folder},
            why=f"{name} serves an expired certificate ('{short(error, 100)}'); the certificate "
            "should have been renewed, so look for the new file.",
        )
        if renewed not in (entry_names(listing.data) if listing.ok else {}):
            yield self._fail(f"there is no renewed certificate in {folder}")
            return False
        read: Result = yield Call(
            "read_file",
            {"path": good},
            why=f"Check that {renewed} is actually valid before pointing {name} at it.",
        )
        until = not_after(text_of(read.data)) if read.ok else ""
        if not until:
            yield self._fail(f"I could not read the validity of {good}")
            return False
        cause.finding = f"{name} served the expired {bad}; the renewed {renewed} is valid until "
        cause.finding += until
        self.mark_done(item)
        fix = f"point tls.cert_path in {path} at {renewed}"
        self._add([fix], f"{cause.finding}.")
        edited: Result = yield Call(
            "edit_file",
            {"path": path, "old": f"cert_path: {bad}\n", "new": f"cert_path: {good}\n"},
            why=f"Point tls.cert_path in {path} from the expired file the error names to the "
            "renewed one.",
        )
        if not (yield from self._check_edit(edited, path, f"cert_path: {good}")):
            return False
        cause.fixed = f"pointed tls.cert_path at {renewed}"
        self.mark_done(fix)
        return True

    def _fix_env(self, cause: Cause, error: str, item: str) -> Phase:
        name, path, var = cause.service, cause.fault["path"], cause.fault["var"]
        backup = f"{path}.bak"
        read: Result = yield Call(
            "read_file",
            {"path": backup},
            why=f"{name} stops on '{short(error, 100)}'. The deploy pipeline keeps a backup of "
            f"the .env from before the deploy; see what {var} was.",
        )
        value = env_value(text_of(read.data), var) if read.ok else None
        if not value:
            yield self._fail(f"{backup} does not say what {var} should be")
            return False
        cause.finding = f"{path} lost {var} in the last deploy (the backup has {var}={value})"
        self.mark_done(item)
        fix = f"restore {var} in {path}"
        self._add([fix], f"{cause.finding}.")
        appended: Result = yield Call(
            "append_to_file",
            {"path": path, "text": f"{var}={value}"},
            why=f"Add {var} back to {path} with the value from before the deploy.",
        )
        if not appended.ok:
            yield self._fail(f"adding {var} to {path} failed ({appended.error})")
            return False
        cause.fixed = f"restored {var}"
        self.mark_done(fix)
        return True

    def _plan_rollback(self, cause: Cause, error: str, item: str) -> Phase:
        f = cause.fault
        name, bad, good = cause.service, f["bad_version"], f["good_version"]
        releases: Result = yield Call(
            "list_releases",
            {"name": name},
            why=f"{name} {bad} fails with '{short(error, 100)}', an error in its own code: see "
            "when that release went out and what ran before it.",
            fallbacks=[
                Call(
                    "read_file",
                    {"path": f"/srv/{name}/deploy/releases.log"},
                    why="The deploy log lists the same releases with their times.",
                )
            ],
        )
        times = release_times(releases.data) if releases.ok else {}
        if good not in times or bad not in times:
            yield self._fail(f"I could not find {good} in the release history of {name}")
            return False
        onset = onset_in(self.task.instruction or "")
        cause.finding = f"{name} {bad}, deployed at {clock_time(times[bad])}"
        cause.finding += f" shortly before the first alerts ({onset})" if onset else ""
        cause.finding += f", {'crashes' if cause.status == 'crashed' else 'fails'} in its own code "
        cause.finding += f"('{short(error, 90)}'); {good} ran before it"
        self.mark_done(item)
        items = [self._approval_item(name), f"roll back {name} to {good}"]
        restart = f"restart {name}"
        if restart in self._items and restart not in self._done:
            at = self._items.index(restart)
            self._items[at : at + 1] = items
            if self._cursor == restart:
                self._cursor = items[0]
            self.plan(self._items, reason=f"{cause.finding}. Rolling back instead of restarting.")
        else:
            self._add(items, f"{cause.finding}. Rolling back to {good}.")
        return True

    # -- helpers -----------------------------------------------------------------------------------

    def _status_call(self, name: str, why: str) -> Call:
        level = "FATAL" if self._status.get(name) == "crashed" else "ERROR"
        return Call(
            "service_status",
            {"name": name},
            why=why,
            fallbacks=[
                Call(
                    "search_logs",
                    {"service": name, "pattern": level},
                    why="service_status is gone; the log's latest errors say the same.",
                )
            ],
        )

    def _check_edit(self, edited: Result, path: str, line: str) -> Phase:
        """An edit whose reply was cut off, or that found no match (it may have gone through
        already): read the file to be sure."""
        if edited.ok and edited.kind != "partial":
            return True
        if edited.kind in ("partial", "no_match"):
            read: Result = yield Call(
                "read_file",
                {"path": path},
                why=f"The edit's reply was cut off; check that {path} has the change instead of "
                "editing it twice."
                if edited.ok
                else f"The edit found no match; check whether {path} already has the change.",
            )
            if read.ok and line in text_of(read.data):
                return True
        yield self._fail(
            f"editing {path} failed ({edited.error or 'the change is not in the file'})"
        )
        return False

    def _read_back_restart(self, name: str) -> Generator[Move, Any, Result]:
        """What a restart whose reply was cut off did, from the service's status (restarting it
        again would act twice): the status and error its reply would have given."""
        status: Result = yield self._status_call(
            name,
            f"The restart's reply was cut off; reading {name}'s status instead of restarting it "
            "twice.",
        )
        if not status.ok:
            return status
        data = {
            "status": field(status.data, "status", "unknown"),
            "error": field(status.data, "last_error"),
        }
        return Result(ok=True, data=data)

    def _add(self, items: list[str], reason: str, before: str = "") -> None:
        before = before or self._cursor
        at = self._items.index(before) if before in self._items else -1
        self._items[at:at] = items
        self.plan(self._items, reason=reason)

    def _assume_for(self, name: str, assumption: str) -> None:
        """An assumption about one service, dropped once its restart confirms or refutes it."""
        self._assumed[name] = assumption
        self.assume(assumption)

    def _find_item(self, cause: Cause) -> str:
        return f"find out why {cause.service} is {cause.status}"

    def _approval_item(self, name: str) -> str:
        if self._production:
            return f"get the rollback of {name} approved"
        return f"check whether rolling back {name} needs approval"

    def _drain_item(self, drains: list[str]) -> str:
        return f"agree on draining {join(drains)}"

    def _findings(self) -> str:
        found = [c.finding for c in self._causes if c.finding]
        return "; ".join(found) + "." if found else "nothing conclusive yet."

    def _fail(self, reason: str) -> Done:
        done = [c.fixed for c in self._causes if c.fixed]
        return Done(
            f"I'm sorry, I could not finish: {reason}. Found: {self._findings()} "
            f"Done: {'; '.join(done) if done else 'nothing changed yet'}.",
            completed=False,
            why=f"{reason}; stopping honestly rather than guessing.",
        )
