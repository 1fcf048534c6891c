# The two commands of the README: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-lowest lint bench clean lock screenshots

# requirements.lock pins every package (the dev extra included) for reproducible installs; pyproject.toml
# keeps ranges, whose lower bounds `make test-lowest` tests. Refresh the lock: `make lock`.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# pip-tools in a venv of its own (not a dependency of the bot): the newest versions the ranges allow.
lock:
	test -x .venv-tools/bin/pip-compile || ($(PYTHON) -m venv .venv-tools && .venv-tools/bin/pip install --quiet pip-tools)
	.venv-tools/bin/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev --output-file requirements.lock pyproject.toml

run: $(STAMP)
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's pictures of the web view, taken by its browser tests (docs/screenshots/).
screenshots: $(STAMP)
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e/web -n 0 -q $(PYTEST_ARGS)

# The suite once more with every runtime dependency at the lower bound that pyproject.toml allows.
LOWEST := .venv-lowest
test-lowest: pyproject.toml
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(PYTHON) .ci/lowest_constraints.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet -c $(LOWEST)/constraints.txt -e '.[dev]'
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(LOWEST) .venv-tools .pytest_cache .mypy_cache .ruff_cache
