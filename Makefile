# Gongzhi — two commands: `make demo` (set up and serve the demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo serve install install-dev test test-fast fuzz lint format messages clean lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Gongzhi needs Python 3.11 or newer"' \
		|| { echo "Python 3.11+ is required (set PYTHON=python3.12 for another interpreter)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base: $(BIN)/python requirements/base.lock pyproject.toml
	$(BIN)/pip install -q --require-hashes -r requirements/base.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.base requirements/dev.lock
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	@touch $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

## make demo: install, migrate, load the three demo communities (once), serve web + worker.
demo: install
	$(BIN)/gongzhi migrate --noinput -v 0
	$(BIN)/gongzhi demo
	$(BIN)/gongzhi serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/gongzhi serve --host $(HOST) --port $(PORT)

## make test: every test (browser tests need Debian's chromium; CI installs it), in a random
## order: pytest-randomly prints the seed; PYTEST_ARGS=--randomly-seed=N repeats that order,
## PYTEST_ARGS="-p no:randomly" runs in file order. No test needs to share a worker with
## another (no xdist_group marks), so xdist's default `--dist load` spreads them.
## Then the bounded fuzz run (`make fuzz`). `make test-fast` is the first part alone.
test: test-fast fuzz

test-fast: install-dev
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

## make fuzz: schemathesis over /api/v1/ and Hypothesis over /open311/v2/ (a minute or two;
## GONGZHI_FUZZ_SCALE=10 for a longer hunt). Its own FUZZ_ARGS, not PYTEST_ARGS.
fuzz: install-dev
	$(BIN)/pytest -n 2 -m fuzz $(FUZZ_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/gongzhi makemigrations --check --dry-run
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: refresh the translation catalogue (needs GNU gettext) and compile it.
messages: install-dev
	cd gongzhi && ../$(BIN)/gongzhi makemessages -l zh_Hans --no-obsolete --add-location file
	cd gongzhi && ../$(BIN)/gongzhi compilemessages -l zh_Hans

## make lock: re-pin every dependency (after editing pyproject.toml).
lock: install-dev
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q --no-header -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q --no-header -o requirements/dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
