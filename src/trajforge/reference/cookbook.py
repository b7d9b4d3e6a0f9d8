"""The cookbook (``docs/cookbook.md``), from the example pipelines in ``examples/``: each
config's opening comment is its recipe, its indented lines the commands that run it, and the
config follows whole."""

from __future__ import annotations

from pathlib import Path

from trajforge.reference.markdown import GENERATED

#: The marker of a command that needs an OpenAI-compatible endpoint (``$ENDPOINT``, ``$MODEL``).
ENDPOINT_MARK = "<!-- docs-test: endpoint -->"


def cookbook(examples: Path) -> str:
    """The cookbook of every pipeline config in ``examples`` (curation configs aside)."""
    lines = [GENERATED, "", "# Cookbook", "", _INTRO, ""]
    for path in sorted(examples.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        if "[generate]" not in text and "[source]" not in text:
            continue  # a curation config, not a pipeline
        lines += _recipe(path.name, text)
    return "\n".join(lines).rstrip() + "\n"


_INTRO = (
    "Each recipe is a pipeline config in [`examples/`](../examples/), run from the repository "
    "with `trajforge run` (see [the pipeline](pipeline.md)). Run them as they are, then copy "
    "one and change it: `--dry-run` shows what a change will rerun."
)


def _recipe(name: str, text: str) -> list[str]:
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line[1:])
    title = header[0].strip() if header else name
    prose = " ".join(line.strip() for line in header[1:] if not line.startswith("   "))
    commands = [line[3:].rstrip() for line in header if line.startswith("   ")]
    lines = [f"## {title}", "", prose.strip(), ""]
    if commands:
        script = "\n".join(commands)
        if "$ENDPOINT" in script:
            lines += [ENDPOINT_MARK]
        lines += ["```bash", script, "```", ""]
    lines += [f"[`examples/{name}`](../examples/{name}):", "", "```toml", text.rstrip(), "```", ""]
    return lines
