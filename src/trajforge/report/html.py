"""The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched)
about a dataset, or two side by side.

:func:`write_report` reads the data once, streaming (:func:`profile_dataset`), reads the
reference (``--reference``) once for drift, looks in the run folder for curation reports,
audits and export cards, and renders the page with Jinja2 (autoescaped: every text from the
data shows as text). :func:`write_comparison` puts two datasets side by side, with the drift of
the second from the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from jinja2 import Environment, PackageLoader, select_autoescape

from trajforge import __version__
from trajforge.curate.drift import DriftReport, Profile, compare
from trajforge.formats.registry import get_reader
from trajforge.io import ReadChecks, with_checks
from trajforge.io.atomic import atomic_write
from trajforge.report import data_sections, label_sections, run_sections
from trajforge.report.blocks import Block, Section
from trajforge.report.profile import DatasetProfile, profile_dataset
from trajforge.report.run_dir import RunArtifacts, find_artifacts

DataSection = Callable[[DatasetProfile], list[Block]]
#: The sections drawn from each dataset, by anchor: title and builder.
DATA_SECTIONS: Final[dict[str, tuple[str, DataSection]]] = {
    "overview": ("Overview", data_sections.overview),
    "outcomes": ("Outcomes and scores per environment", data_sections.outcomes),
    "steps": ("Steps per trajectory", data_sections.steps),
    "tools": ("Tool usage and tool-vs-no-tool balance", data_sections.tools),
    "faults": ("Fault kinds and recovery rates", data_sections.faults),
    "labels": ("Step-label mix by source", label_sections.label_mix),
    "process": ("Process-label curves", label_sections.process_curves),
    "agreement": ("Agreement of automatic graders with human labels", label_sections.agreement),
    "examples": ("Example trajectories", label_sections.examples),
}
#: Where the sections from beyond the data go: before this data section.
RUN_SECTIONS_BEFORE: Final = "agreement"


def _paths(data: Path | Sequence[Path]) -> list[Path]:
    return [data] if isinstance(data, Path) else list(data)


def _name(paths: Sequence[Path]) -> str:
    return ", ".join(map(str, paths))


def reference_profile(
    reference: Path, *, from_format: str | None = None, verify_hashes: bool = True
) -> Profile:
    """The drift profile of the reference dataset (one streaming pass)."""
    read = with_checks(
        get_reader(from_format or "trajforge"), ReadChecks(shard_hashes=verify_hashes)
    )
    profile = Profile()
    for trajectory in read(str(reference), None):
        profile.add(trajectory)
    return profile


def _sections(
    profiles: Sequence[DatasetProfile],
    run: RunArtifacts | None,
    drift: DriftReport | None,
    reference: str | None,
) -> list[Section]:
    extra = [
        Section("curation", "Curation funnel", [run_sections.curation(run)]),
        Section("drift", "Drift against a reference", [run_sections.drift(drift, reference)]),
        Section("audit", "Human audit", [run_sections.audits(run)]),
        Section("exports", "Exports", [run_sections.cards(run)]),
    ]
    sections = []
    for anchor, (title, build) in DATA_SECTIONS.items():
        if anchor == RUN_SECTIONS_BEFORE:
            sections += extra
        sections.append(Section(anchor, title, [build(p) for p in profiles]))
    return sections


def render(title: str, profiles: Sequence[DatasetProfile], sections: Sequence[Section]) -> str:
    """The page."""
    env = Environment(
        loader=PackageLoader("trajforge.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        title=title, datasets=[p.name for p in profiles], sections=sections, version=__version__
    )


def _write(out: Path, page: str) -> Path:
    with atomic_write(out) as f:
        f.write(page.encode())
    return out


def write_report(
    data: Path | Sequence[Path],
    out: Path,
    *,
    run_dir: Path | None = None,
    reference: Path | None = None,
    from_format: str | None = None,
    verify_hashes: bool = True,
) -> Path:
    """Write one self-contained HTML report about the trajectories in `data` to `out`."""
    paths = _paths(data)
    profile = profile_dataset(paths, from_format=from_format, verify_hashes=verify_hashes)
    drift = None
    if reference is not None:
        ref = reference_profile(reference, from_format=from_format, verify_hashes=verify_hashes)
        drift = compare(ref, profile.drift)
    run = find_artifacts(run_dir) if run_dir is not None else None
    sections = _sections([profile], run, drift, None if reference is None else str(reference))
    return _write(out, render(f"trajforge report: {profile.name}", [profile], sections))


def write_comparison(
    a: Path | Sequence[Path],
    b: Path | Sequence[Path],
    out: Path,
    *,
    from_format: str | None = None,
    verify_hashes: bool = True,
) -> Path:
    """Write one HTML report showing datasets ``a`` and ``b`` side by side, with the drift of
    ``b`` from ``a``."""
    profiles = [
        profile_dataset(_paths(d), from_format=from_format, verify_hashes=verify_hashes)
        for d in (a, b)
    ]
    drift = compare(profiles[0].drift, profiles[1].drift)
    sections = _sections(profiles, None, drift, profiles[0].name)
    title = f"trajforge report: {profiles[0].name} and {profiles[1].name}"
    return _write(out, render(title, profiles, sections))
