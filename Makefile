# imagent: `make setup` once, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test test-fast lint format bench bench-planner demo clean

setup:  ## create .venv and install imagent with the embedded model, OCR and dev tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install -e ".[local,ocr,dev]"

test: lint  ## lint and type checks, then the whole test suite (network blocked, loopback only)
	$(BIN)/pytest

test-fast:  ## everything but the tests that run the real embedded model and OCR
	$(BIN)/pytest -m "not slow"

lint:  ## ruff lint + format check + mypy strict
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench:  ## the agent's own overhead with zero-latency fakes
	$(BIN)/python benchmarks/overhead/run.py --out out/bench-overhead

bench-planner:  ## where the embedded planner's seconds go on this machine (a few minutes)
	$(BIN)/python benchmarks/planner-speed/run.py --variant no-early-load:ENTRY=app --out out/planner-speed

demo:  ## the main job, offline, on the embedded defaults
	$(BIN)/imagent generate "A chalkboard showing the result of 17 x 23, written large"

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
