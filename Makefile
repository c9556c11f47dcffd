# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    run the bot on config.example.toml (SQLite file, console output)
#   make test   run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml

.PHONY: run test lint bench fuzz install clean

$(BIN)/vigie: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/vigie

run: install
	$(BIN)/vigie run --config $(CONFIG)

test: install
	$(BIN)/python -m pytest -q

# The fuzz tests run in `make test` too, with few examples; here for long
# (VIGIE_FUZZ_EXAMPLES per test, default 5000).
fuzz: install
	VIGIE_FUZZ=1 $(BIN)/python -m pytest -q -m fuzz

# The container files too, offline: hadolint on the Dockerfile, and the compose
# file against the Compose specification's schema (vendored in check-jsonschema).
lint: install
	$(BIN)/ruff check bot adapters tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

bench: install
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_parser.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_websub.py

clean:
	rm -rf $(VENV) vigie.db vigie.db-wal vigie.db-shm
