"""The pipeline behind ``trajforge demo`` (``data/demo.toml``, also ``examples/demo.toml``), its
reduced form (``--small``) and its LLM-agent episodes (``--with-llm``), and the bundled example
data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Final

from trajforge.config import read_toml
from trajforge.pipeline.config import PipelineConfig, pipeline_config

#: ``--small``: episodes per environment, and process-label continuations per step.
SMALL_TASKS: Final = 4
SMALL_ROLLOUTS: Final = 1
#: ``--with-llm``: the LLM agent's support episodes, and its sampling (a 135M model: short).
LLM_TASKS: Final = 2
LLM_SETTINGS: Final = {"temperature": 0.7, "max_tokens": 48, "tool_mode": "prompt",
                       "api_key_env": None, "max_retries": 2, "timeout_s": 120.0}  # fmt: skip


def demo_config_path() -> Path:
    """The demo's pipeline config, as shipped."""
    return Path(str(resources.files("trajforge") / "data" / "demo.toml"))


def demo_config(*, small: bool = False, llm: tuple[str, str] | None = None) -> PipelineConfig:
    """The demo pipeline; ``small`` scales it down (for tests), ``llm`` (base URL, model) adds
    LLM-agent episodes on that endpoint."""
    path = demo_config_path()
    data = read_toml(path, what="the demo config")
    generate: dict[str, Any] = data["generate"]
    if small:
        for mix in generate["mix"]:
            mix["tasks"] = SMALL_TASKS
        data["grade"]["rollouts"] = SMALL_ROLLOUTS
    if llm is not None:
        base_url, model = llm
        generate["mix"].append({"env": "support", "tasks": LLM_TASKS, "agent": "llm"})
        generate["llm"] = {"base_url": base_url, "model": model, **LLM_SETTINGS}
    return pipeline_config(data, file=str(path), base=path.parent)


def example_path() -> Path:
    """The bundled example: OpenAI-style chat records with tool calls."""
    return Path(str(resources.files("trajforge") / "data" / "example_chats.jsonl"))
