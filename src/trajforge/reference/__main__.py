"""``python -m trajforge.reference [--check] [ROOT]``: write the generated pages into
``ROOT/docs`` (ROOT: the repository, by default the current folder), or with ``--check`` exit 1
naming those that are out of date."""

from __future__ import annotations

import sys
from pathlib import Path

from trajforge.reference.pages import generated_pages


def main(argv: list[str]) -> int:
    """Write or check the pages; the exit status."""
    check = "--check" in argv
    rest = [a for a in argv if a != "--check"]
    root = Path(rest[0]) if rest else Path()
    stale = []
    for name, text in generated_pages(root).items():
        path = root / "docs" / name
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
    for name in stale:
        sys.stderr.write(f"out of date: {name} (run python -m trajforge.reference)\n")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
