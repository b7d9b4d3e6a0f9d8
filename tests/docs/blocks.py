"""The code blocks of a Markdown page, and what the docs tests do with each.

- a block headed by a file name in backticks and a colon (`` `pkg/mod.py`: ``) is a **file**:
  its text is written to that path (under the page's ``<!-- docs-test: files-under DIR -->``
  if it has one), for the blocks after it to use;
- a ``bash`` block **runs** with ``bash -eu -o pipefail``, a ``python`` block with the test's
  Python, both in the page's folder;
- ``<!-- docs-test: endpoint -->`` on the line before a block: it runs with ``$ENDPOINT`` and
  ``$MODEL`` naming a real OpenAI-compatible server (llama.cpp's, with SmolLM2-135M);
- a block headed by a link to a file of ``examples/`` (`` [`examples/x.toml`](...): ``) **shows**
  that file: its text must be the file's;
- any other block fails the test: every block of the docs is run, used or checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S)
FILE_HEAD = re.compile(r"`(?P<name>[\w./-]+)`:\s*$")
SHOWN_HEAD = re.compile(r"\[`(?P<name>examples/[\w./-]+)`\]\([^)]*\):\s*$")
ENDPOINT = "<!-- docs-test: endpoint -->"
FILES_UNDER = re.compile(r"<!-- docs-test: files-under (?P<dir>[\w./-]+) -->")
RUNNERS = ("bash", "python")

Kind = Literal["file", "run", "shown", "unknown"]


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, text, line, what to do with it and its target."""

    lang: str
    text: str
    line: int
    kind: Kind
    target: str | None = None  # the file to write, or the example shown
    endpoint: bool = False


def page_blocks(text: str) -> list[Block]:
    """Every fenced block of a page, classified."""
    under = FILES_UNDER.search(text)
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 2)
        head = before[-1] if before else ""
        line = text.count("\n", 0, match.start()) + 1
        lang, body = match.group("lang"), match.group("body")
        endpoint = head.strip() == ENDPOINT
        file, shown = FILE_HEAD.fullmatch(head.strip()), SHOWN_HEAD.fullmatch(head.strip())
        if file:
            name = file.group("name")
            target = str(Path(under.group("dir")) / name) if under else name
            blocks.append(Block(lang, body, line, "file", target))
        elif shown:
            blocks.append(Block(lang, body, line, "shown", shown.group("name")))
        elif lang in RUNNERS:
            blocks.append(Block(lang, body, line, "run", endpoint=endpoint))
        else:
            blocks.append(Block(lang, body, line, "unknown"))
    return blocks
