# The two Quick start commands: `make demo` and `make test`. Each creates the
# virtual environment (.venv) and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit browser slurm clean

$(STAMP): pyproject.toml requirements/frameworks.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/frameworks.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seedwise demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/seedwise

# tests/report/test_browser.py renders the HTML report in a real headless
# Chromium: Debian's package, installed here when no Chromium is on PATH (as
# root, or through sudo). `make demo` does not need it and does not install it.
BROWSERS := chromium-headless-shell chromium chromium-browser google-chrome
browser:
	@for name in $(BROWSERS); do command -v $$name >/dev/null 2>&1 && exit 0; done; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "no Chromium and no apt-get: install Chromium to run the browser test"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	echo "installing Chromium for the browser test (apt-get install chromium)"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium

# tests/runner/test_slurm.py submits to a real single-node Slurm (munged,
# slurmctld, slurmd) that .ci/slurm/start.sh starts: Debian's packages,
# installed here when sbatch is not on PATH (as root, or through sudo).
slurm:
	@command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "no Slurm and no apt-get: install slurm-wlm and munge to run the Slurm tests"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	echo "installing Slurm for the Slurm tests (apt-get install slurm-wlm munge)"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends slurm-wlm munge

unit: $(STAMP) browser slurm
	$(BIN)/python -m pytest -n 2 tests

test: lint typecheck unit

clean:
	rm -rf $(VENV) .seedwise .pytest_cache .mypy_cache .ruff_cache
