# The two Quick start commands: `make demo` and `make test`. Each creates the
# virtual environment (.venv) and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit clean

$(STAMP): pyproject.toml requirements/frameworks.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/frameworks.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seedwise demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/seedwise

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

test: lint typecheck unit

clean:
	rm -rf $(VENV) .seedwise .pytest_cache .mypy_cache .ruff_cache
