"""Judge rubrics: versioned prompt templates with ``---`` front matter, and their registry.

A rubric file starts with ``key: value`` lines between ``---`` (``rubric``, ``version``,
``scope`` step or trajectory, ``verdicts``, optionally ``system``), then the template, whose
``{{ placeholders }}`` are filled with what the judge reads (see ``_FIELDS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from trajforge.errors import ConfigError
from trajforge.pipeline.registry import Registry

Scope = Literal["step", "trajectory"]

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_FIELDS: dict[str, frozenset[str]] = {
    "step": frozenset({"task", "tools", "history", "step", "step_index"}),
    "trajectory": frozenset({"task", "tools", "transcript", "outcome"}),
}
_REQUIRED_KEYS = ("rubric", "version", "scope", "verdicts")


class RubricError(ConfigError):
    """A rubric file is missing or malformed."""


@dataclass(frozen=True)
class Rubric:
    """A versioned prompt template for the judge (see the module docstring)."""

    name: str
    version: str
    scope: Scope
    verdicts: tuple[str, ...]
    system: str
    template: str
    source: str = "<string>"

    def render(self, values: Mapping[str, str]) -> str:
        """The template with every placeholder replaced by its value."""
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)


def parse_rubric(text: str, source: str = "<string>") -> Rubric:
    """A rubric from a file's text: ``---`` front matter of ``key: value`` lines, then the body."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise RubricError("a rubric starts with a '---' front matter", file=source, line=1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise RubricError("the front matter has no closing '---'", file=source) from None
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise RubricError(f"expected 'key: value', got {line!r}", file=source, line=number)
        meta[key.strip()] = value.strip()
    missing = [k for k in _REQUIRED_KEYS if not meta.get(k)]
    if missing:
        raise RubricError(f"the front matter lacks {', '.join(missing)}", file=source)
    scope = meta["scope"]
    if scope not in _FIELDS:
        raise RubricError(f"scope must be step or trajectory, not {scope!r}", file=source)
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    unknown = sorted(set(_PLACEHOLDER.findall(body)) - _FIELDS[scope])
    if unknown:
        raise RubricError(
            f"unknown placeholders for a {scope} rubric: {', '.join(unknown)}",
            file=source,
            hint=f"available: {', '.join(sorted(_FIELDS[scope]))}",
        )
    verdicts = tuple(v.strip().lower() for v in meta["verdicts"].split(",") if v.strip())
    return Rubric(
        name=meta["rubric"],
        version=meta["version"],
        scope=scope,  # type: ignore[arg-type]  # checked against _FIELDS above
        verdicts=verdicts,
        system=meta.get("system", ""),
        template=body,
        source=source,
    )


def builtin_rubrics() -> list[str]:
    """The names of the rubrics shipped with trajforge (``step_v1``...)."""
    folder = resources.files("trajforge.grade").joinpath("rubrics")
    return sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".md"))


def shipped_rubric(name: str) -> Rubric:
    """A rubric shipped with trajforge, by name."""
    resource = resources.files("trajforge.grade").joinpath("rubrics", f"{name}.md")
    return parse_rubric(resource.read_text(encoding="utf-8"), f"trajforge/grade/rubrics/{name}.md")


def _checked(obj: Any) -> Rubric:
    if isinstance(obj, str):
        return parse_rubric(obj, "<entry point>")
    if not isinstance(obj, Rubric):
        raise TypeError(f"expected a Rubric or a rubric's text, got {type(obj).__name__}")
    return obj


#: Rubrics by name: the shipped ones, and those of outside packages (entry-point group
#: ``trajforge.rubrics``, pointing at a :class:`Rubric` or a rubric's text).
RUBRICS: Registry[Rubric] = Registry("rubric", "trajforge.rubrics", check=_checked)
for _name in builtin_rubrics():
    RUBRICS.add_lazy(_name, partial(shipped_rubric, _name))


def load_rubric(spec: str | Path) -> Rubric:
    """A registered rubric by name (``step_v1``) or a rubric file by path."""
    path = Path(spec)
    if path.suffix == ".md" or path.exists():
        try:
            return parse_rubric(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise RubricError(f"cannot read the rubric: {exc.strerror}", file=str(path)) from None
    name = str(spec)
    if name not in RUBRICS:
        raise RubricError(
            f"no rubric named {name!r}",
            hint=f"registered: {', '.join(RUBRICS.names())}; or give a .md file",
        )
    return RUBRICS.get(name)
