# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_DB ?= sqlite:///mentorflow-demo.db

.PHONY: install demo test lint typecheck browser pytest bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mentorflow --db $(DEMO_DB) demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

# One test process per core, at most four: each has its own PostgreSQL schema and temporary files, and more would
# only crowd the server with the concurrency tests' own processes.
pytest: $(STAMP)
	$(BIN)/pytest --numprocesses auto --maxprocesses 4 --cov --cov-report=term

# The HTML report's browser test renders it in Debian's chromium: installed here when missing. Where apt cannot
# install it (no root, not Debian) the test is skipped with its reason, except on CI (CI=true), where it fails.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  (command -v apt-get >/dev/null 2>&1 && export DEBIAN_FRONTEND=noninteractive && \
	    (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium))) || \
	  echo "chromium could not be installed: tests/admin/test_report_browser.py will be skipped"

test: lint typecheck browser pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

docs: $(STAMP)
	$(BIN)/python -m mentorflow.cli._docs --write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov dist build
