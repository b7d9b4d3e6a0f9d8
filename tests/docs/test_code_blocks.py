"""Every code block in ``docs/`` runs: each page's blocks in order, in an empty folder of its own
(see :mod:`tests.docs.blocks` for what each kind of block does).

The folder has ``examples/`` of the repository, as a reader's checkout does. ``pip install`` in
a page goes offline (no index, no build isolation, no dependencies) into a folder of the test's
own on ``PYTHONPATH``, so a page can install a package without changing the test environment.
Blocks marked for an endpoint run against llama.cpp's server with SmolLM2-135M on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .blocks import Block, page_blocks

REPO = Path(__file__).parents[2]
DOCS = REPO / "docs"
#: cookbook.md is generated from examples/ (tests/docs/test_generated.py keeps it so) and its
#: commands are the `trajforge run examples/...` that tests/pipeline/test_run_examples.py runs for
#: every example, the LLM one against the same local server: not run twice.
RUN_ELSEWHERE = {"cookbook.md"}
PAGES = sorted(
    name for p in DOCS.rglob("*.md") if (name := str(p.relative_to(DOCS))) not in RUN_ELSEWHERE
)
#: Pages that take minutes (a model's episodes, a Ray cluster started per command).
SLOW = {"scaling.md"}


@pytest.fixture
def endpoint(smollm2_server: str) -> str:
    """The session's OpenAI-compatible server (llama.cpp with SmolLM2-135M, tests/conftest.py)."""
    return smollm2_server


def environment(folder: Path) -> dict[str, str]:
    site = folder / ".site"
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(folder),
        "COLUMNS": "120",
        "PYTHONPATH": str(site),
        "PIP_TARGET": str(site),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_NO_DEPS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }


def run_block(block: Block, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = (["bash", "-eu", "-o", "pipefail", "-c", block.text] if block.lang == "bash"
               else [sys.executable, "-c", block.text])  # fmt: skip
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def marks(page: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if page in SLOW else []


@pytest.mark.parametrize("page", [pytest.param(p, marks=marks(p)) for p in PAGES])
def test_every_code_block_of_a_page_runs(
    page: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    (tmp_path / "examples").symlink_to(REPO / "examples")
    env = environment(tmp_path)
    for block in page_blocks((DOCS / page).read_text(encoding="utf-8")):
        where = f"docs/{page}:{block.line}"
        if block.kind == "file":
            assert block.target is not None
            path = tmp_path / block.target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
        elif block.kind == "shown":
            assert block.target is not None
            shown = (REPO / block.target).read_text(encoding="utf-8")
            assert block.text.rstrip() == shown.rstrip(), f"{where}: not {block.target} as it is"
        elif block.kind == "run":
            if block.endpoint:
                url = request.getfixturevalue("endpoint")
                env = {**env, "ENDPOINT": url, "MODEL": "smollm2-135m-instruct"}
            done = run_block(block, tmp_path, env)
            assert done.returncode == 0, f"{where} failed:\n{done.stdout}\n{done.stderr}"
        else:
            pytest.fail(f"{where}: a ```{block.lang} block that is not run, a file, nor a shown "
                        "example (see tests/docs/blocks.py)")  # fmt: skip


def test_pages_are_found() -> None:
    assert {"index.md", "concepts.md", "pipeline.md", "extending.md", "cli.md"} <= set(PAGES)
    assert os.path.isdir(DOCS / "stages")
