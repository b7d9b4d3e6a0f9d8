"""Reading and wording for the itops expert: tool results, config edits, causes, questions.

Pure functions over tool results and the task's ground truth, so the expert's script stays about
the incident. Results may arrive drifted (CSV rows with string values, a one-item list where an
object was), so every reader here accepts strings where booleans or numbers were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from trajforge.envs.itops.catalog import ROLE_ORDER

_TOKEN: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")
#: Words of a connection error: the service failed on a dependency, not on itself.
_CONNECTION: Final = (
    "connection refused",
    "lost connection",
    "could not translate",
    "not found in",
)
KIND_WORDS: Final = {
    "dependency_down": "was killed",
    "disk_full": "has a full log volume",
    "bad_config": "has a bad config value",
    "cert_expired": "serves an expired certificate",
    "env_missing": "misses an environment variable",
    "bad_release": "runs a bad release",
}


@dataclass
class Cause:
    """One root cause of the incident, as the expert works through it."""

    fault: dict[str, Any]
    role: str
    status: str
    deferred: bool = False
    finding: str = ""
    fixed: str = ""

    @property
    def kind(self) -> str:
        """The cause's kind (bad_config, disk_full...)."""
        return str(self.fault["kind"])

    @property
    def service(self) -> str:
        """The service the cause lives in."""
        return str(self.fault["service"])

    @property
    def variant(self) -> str:
        """The kind of bad config value (typo, pool, conn_host, conn_port, upstream)."""
        return str(self.fault.get("variant", ""))


def field(data: Any, key: str, default: Any = None) -> Any:
    """A field of an object result (None when the result is no object)."""
    return data.get(key, default) if isinstance(data, dict) else default


def truthy(value: Any) -> bool:
    """A boolean as JSON or CSV gives it."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def rows(data: Any) -> list[dict[str, Any]]:
    """The objects of a list result."""
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def text_of(data: Any) -> str:
    """A file's text as read_file gave it."""
    return data if isinstance(data, str) else ""


def short(text: str, limit: int = 140) -> str:
    """A long message cut to a readable length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def join(names: list[str]) -> str:
    """Names joined as in prose: a; a and b; a, b and c."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def role_rank(role: str) -> int:
    """Position of a role in the boot order (datastores first)."""
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def last_error(data: Any) -> str:
    """The error a service last reported: service_status's last_error or the last log match."""
    error = field(data, "last_error")
    if isinstance(error, str):
        return error
    matches = field(data, "matches")
    if isinstance(matches, list) and matches:
        return str(matches[-1])
    return ""


def explains(cause: Cause, error: str) -> bool:
    """Whether a service's error shows this cause (rather than a dependency that is down)."""
    e = error.lower()
    fault = cause.fault
    kind = cause.kind
    if kind == "dependency_down":
        return "signal 9" in e or "out of memory" in e
    if kind == "disk_full":
        return "no space left" in e or "enospc" in e
    if kind == "cert_expired":
        return "expired" in e
    if kind == "env_missing":
        return str(fault["var"]).lower() in e
    if kind == "bad_release":
        return bool(e) and not any(w in e for w in _CONNECTION)
    if cause.variant == "pool":
        return "too many" in e
    if cause.variant == "conn_port":
        return f":{fault['bad']}".lower() in e
    return str(fault["bad"]).lower() in e


def config_edit(text: str, key: str, bad: str, good: str) -> tuple[str, str] | None:
    """The (old, new) texts that replace a config line, with just enough context to be unique."""
    lines = text.split("\n")
    section, _, leaf = key.rpartition(".")
    if section and f"{section}:" not in lines:
        return None
    start = lines.index(f"{section}:") + 1 if section else 0
    index = next(
        (
            i
            for i in range(start, len(lines))
            if lines[i].split("  #")[0].strip() == f"{leaf}: {bad}"
        ),
        None,
    )
    if index is None:
        return None
    # the line's end is part of the match, so the edit cannot apply twice when the fixed value
    # starts with the broken one (a host "db" fixed to "db.internal")
    end = "\n" if index + 1 < len(lines) else ""
    first = index
    while text.count("\n".join(lines[first : index + 1]) + end) > 1 and first > 0:
        first -= 1
    old = "\n".join(lines[first : index + 1]) + end
    new = "\n".join([*lines[first:index], f"{'  ' if section else ''}{leaf}: {good}"]) + end
    return old, new


def config_note(text: str, key: str) -> str:
    """The trailing comment on a config key's line, if any."""
    leaf = key.rpartition(".")[2]
    for line in text.splitlines():
        head, sep, comment = line.partition("  #")
        if sep and head.strip().startswith(f"{leaf}:"):
            return comment.strip()
    return ""


def env_value(text: str, var: str) -> str | None:
    """A variable's value in a dotenv text."""
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() == var:
            return value.strip().strip('"').strip("'")
    return None


def not_after(text: str) -> str:
    """A certificate's notAfter date as read_file shows it."""
    for line in text.splitlines():
        if line.startswith("notAfter="):
            return line.partition("=")[2].strip()
    return ""


def entry_names(data: Any) -> dict[str, Any]:
    """A list_dir result's entries by name, with their sizes."""
    entries = field(data, "entries")
    return {str(e.get("name")): e.get("size") for e in rows(entries)}


def human(size: Any) -> str:
    """A byte count as du -h prints it."""
    try:
        value = float(size)
    except (TypeError, ValueError):
        return "a lot of space"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}GiB"


def healthy(data: Any) -> bool:
    """Whether a health check (or, as its fallback, a service status) says the service is fine."""
    if "healthy" in (data if isinstance(data, dict) else {}):
        return truthy(data["healthy"])
    status = field(data, "status")
    if status is None:
        return True  # nothing to go on: the check was not made
    return status == "running" and not truthy(field(data, "draining", False))


def failing_checks(data: Any) -> str:
    """The failing checks of a health check, or the status of a service status."""
    failed = [
        f"{c.get('check')}: {c.get('detail')}"
        for c in rows(field(data, "checks"))
        if not truthy(c.get("ok"))
    ]
    if failed:
        return short("; ".join(failed), 200)
    return f"status {field(data, 'status', 'unknown')}"


def allows_drain(answer: str, services: list[str]) -> bool:
    """Whether the user's answer says draining every one of ``services`` is acceptable."""
    text = answer.lower()
    if "acceptable" not in text or re.search(r"\bnot\b|n't|\bno\b", text):
        return False
    named = {t.rstrip(".") for t in _TOKEN.findall(text)}
    return all(s.lower() in named for s in services)


def needs_no_approval(answer: str) -> bool:
    """Whether the user's answer says rollbacks need nobody's approval here."""
    text = answer.lower()
    return any(w in text for w in ("don't need", "do not need", "no approval", "not needed"))


def approver_in(answer: str) -> str:
    """The approver the user named ("X is the on-call lead..."), or ""."""
    match = re.match(r"\s*([A-Z][\w.'-]*(?: [A-Z][\w.'-]*)+) is\b", answer)
    return match.group(1) if match else ""


def drain_question(db: str, services: list[str]) -> str:
    """Ask whether draining the database's writers is acceptable (the user's call)."""
    return (
        f"Before I restart {db} I need to take {join(services)} out of service so no writes are "
        f"cut off mid-flight. Is draining {'these apps' if len(services) > 1 else 'it'} briefly "
        "acceptable right now?"
    )


def approval_question(service: str, bad: str, good: str, production: bool) -> str:
    """Ask who approves the rollback (production) or whether it needs approval (staging)."""
    if production:
        return (
            f"{service} {bad} looks like the culprit and I'd like to roll it back to {good}. "
            "Who approves production rollbacks here?"
        )
    return (
        f"{service} {bad} looks like the culprit and I'd like to roll it back to {good}. "
        "Does a rollback here need approval, or is none needed?"
    )


_RELEASE_LINE: Final = re.compile(r"^(\S+) deployed \S+ (\S+)", re.MULTILINE)


def release_times(data: Any) -> dict[str, str]:
    """When each release was deployed: from list_releases, or from the deploy log's text."""
    listed = {
        str(r.get("version")): str(r.get("deployed_at", ""))
        for r in rows(field(data, "releases"))
        if r.get("version")
    }
    if listed:
        return listed
    return {version: at for at, version in _RELEASE_LINE.findall(text_of(data))}


def clock_time(stamp: str) -> str:
    """The HH:MM UTC of an ISO timestamp, or the stamp itself."""
    match = re.search(r"T(\d{2}:\d{2})", stamp)
    return f"{match.group(1)} UTC" if match else stamp


def onset_in(instruction: str) -> str:
    """The time of the first alert as the request states it ("14:23 UTC"), or ""."""
    match = re.search(r"\b(\d{2}:\d{2}) UTC", instruction)
    return f"{match.group(1)} UTC" if match else ""
