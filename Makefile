# imagent: `make setup` once, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test lint format bench demo clean

setup:  ## create .venv and install imagent with the embedded model, OCR and dev tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install -e ".[local,ocr,dev]"

test: lint  ## lint and type checks, then the whole test suite (network blocked, loopback only)
	$(BIN)/pytest

lint:  ## ruff lint + format check + mypy strict
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench:  ## the agent's own overhead with zero-latency fakes
	$(BIN)/python benchmarks/overhead/run.py --out out/bench-overhead

demo:  ## the main job, offline, on the embedded defaults
	$(BIN)/imagent generate "A chalkboard showing the result of 17 x 23, written large"

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
