"""Every generated page of ``docs/``, by its file name."""

from __future__ import annotations

from pathlib import Path

from trajforge.reference.cli_reference import cli_reference
from trajforge.reference.cookbook import cookbook
from trajforge.reference.format_reference import format_reference


def generated_pages(root: Path) -> dict[str, str]:
    """The pages made from the code and from ``root/examples``."""
    return {
        "cli.md": cli_reference(),
        "formats.md": format_reference(),
        "cookbook.md": cookbook(root / "examples"),
    }
