# tessera: `make demo` runs the whole seed flow; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-browser test lint bench bench-full install system-deps dist clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Debian packages the tests need: chromium for the browser tests, PostgreSQL 15.
system-deps:
	@./scripts/system-deps

## The whole seed flow over real HTTP, each step printed; exits non-zero if one fails.
demo: $(STAMP)
	$(BIN)/tessera demo --trace
	@echo "To walk through it yourself in a browser: make demo-browser"

## The same participants kept running for a browser (Ctrl-C stops them).
demo-browser: $(STAMP)
	$(BIN)/tessera demo

## The tests, then every branch of core, crypto and resource must have run.
test: $(STAMP) system-deps
	TESSERA_TEST_REQUIRE_POSTGRES=1 $(BIN)/coverage run -m pytest
	$(BIN)/coverage report

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy src
	$(BIN)/mypy tests
	$(BIN)/lint-imports

## The sdist and the wheel in dist/, as a release ships them.
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .

bench: $(STAMP)
	$(BIN)/python -m bench.quick

## The README's numbers: concurrency 1, 8, 32 and 64, then memory over 100k flows.
bench-full: $(STAMP)
	$(BIN)/python -m bench.full
	$(BIN)/python -m bench.memory

clean:
	rm -rf $(VENV) var dist build .pytest_cache .mypy_cache .ruff_cache
