"""What a pipeline run's folder holds beyond the data: curation reports (``*.curation.json``,
written by ``trajforge curate``), audit summaries (``*audit*.json``, as ``trajforge audit
summary --json`` prints them) and export dataset cards (``*.card.md``, or a dataset folder's
``README.md``). The report shows what it finds and says "not available" for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.curate.audit_summary import AuditSummary
from trajforge.errors import InputError

#: The phrase every card trajforge writes has in its title.
CARD_TITLE: Final = "training data from trajforge"


@dataclass(frozen=True)
class Card:
    """An export's dataset card: where it is, its title and its Markdown."""

    path: Path
    title: str
    text: str


@dataclass
class RunArtifacts:
    """The reports found in a run folder, each with its path."""

    curations: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    audits: list[tuple[Path, AuditSummary]] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


def find_artifacts(run_dir: Path | None) -> RunArtifacts:
    """The curation reports, audit summaries and cards under ``run_dir`` (none without one);
    a curation report that is not JSON is an InputError naming it."""
    found = RunArtifacts()
    if run_dir is None:
        return found
    if not run_dir.is_dir():
        raise InputError("not a directory", file=str(run_dir), hint="--run-dir takes a run folder")
    for path in sorted(run_dir.rglob("*.curation.json")):
        found.curations.append((path, _json(path)))
    for path in sorted(run_dir.rglob("*audit*.json")):
        summary = _audit(path)
        if summary is not None:
            found.audits.append((path, summary))
    for path in sorted([*run_dir.rglob("*.card.md"), *run_dir.rglob("README.md")]):
        card = _card(path)
        if card is not None:
            found.cards.append(card)
    return found


def _json(path: Path) -> dict[str, Any]:
    try:
        document = msgspec.json.decode(path.read_bytes())
    except msgspec.DecodeError as exc:
        raise InputError(f"not a curation report: {exc}", file=str(path)) from None
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
        raise InputError("not a curation report (no steps)", file=str(path))
    return document


def _audit(path: Path) -> AuditSummary | None:
    try:
        return msgspec.json.decode(path.read_bytes(), type=AuditSummary)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # another JSON file whose name mentions an audit


def _card(path: Path) -> Card | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), "")
    return Card(path, title, text) if CARD_TITLE in title else None
