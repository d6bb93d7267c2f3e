# crosslink: `make up` runs the whole system, `make test` runs the whole suite. Both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system-packages up test lint typecheck unit integration chaos bench lock contracts messages clean

$(VENV)/.installed: requirements.lock pyproject.toml harness/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e ./harness
	$(BIN)/crosslink fetch-broker
	touch $@

install: $(VENV)/.installed

system-packages:  ## Debian's PostgreSQL, Prometheus, Chromium and chromedriver, which the tests run for real
	deploy/ensure-system-packages.sh

NODES ?= 1
up: install  ## broker, intake, matcher, notifier and the demo receiver, until Ctrl-C (NODES=3: a three-node Kafka cluster)
	$(BIN)/crosslink up --nodes $(NODES)

test: lint typecheck system-packages  ## the whole suite, against a broker, PostgreSQL and Prometheus the tests start
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

unit: install  ## pure logic, and the services in-process over fakes: no broker, no network (under a minute)
	$(BIN)/pytest tests/unit

integration: install system-packages
	$(BIN)/pytest -m integration

CHAOS_RUNS := docs/chaos/runs.jsonl
chaos: install  ## the fault-injection scenarios at full size (short versions run in `make test`); rewrites docs/reliability.md's table
	mkdir -p $(dir $(CHAOS_RUNS))
	CROSSLINK_CHAOS_SCALE=full CROSSLINK_CHAOS_RESULTS=$(CHAOS_RUNS) $(BIN)/pytest -m chaos -s --timeout 3600; \
	  status=$$?; $(BIN)/python -m tests.chaos.results $(CHAOS_RUNS) docs/reliability.md; exit $$status

QUIX_VENV := .venv-quix
$(QUIX_VENV)/.installed: bench/quix/requirements.lock
	$(PYTHON) -m venv $(QUIX_VENV)
	$(QUIX_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r bench/quix/requirements.lock
	touch $@

bench: install $(QUIX_VENV)/.installed  ## benchmarks against bare baselines; rewrites docs/benchmarks.md and docs/bench/ (not part of `make test`)
	$(BIN)/python -m bench

lock:  ## re-resolve both locks from pyproject.toml (needs `make install` once)
	$(BIN)/uv pip compile pyproject.toml harness/pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -c requirements.lock -o requirements-runtime.lock
	$(BIN)/uv pip compile bench/quix/requirements.in --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o bench/quix/requirements.lock

contracts: install  ## regenerate docs/api/ (AsyncAPI of the topics, OpenAPI of intake and notifier)
	$(BIN)/crosslink contracts

LOCALE := crosslink/locale
messages: install  ## extract every text people read into $(LOCALE)/messages.pot and merge it into each language's catalog
	$(BIN)/pybabel --quiet extract -F $(LOCALE)/babel.cfg --add-location=file --sort-output \
		--project=crosslink --copyright-holder="crosslink" -o $(LOCALE)/messages.pot cli crosslink services
	for language in en hi mr; do \
		if [ -f $(LOCALE)/$$language/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date \
				-i $(LOCALE)/messages.pot -d $(LOCALE) -l $$language; \
		else $(BIN)/pybabel --quiet init -i $(LOCALE)/messages.pot -d $(LOCALE) -l $$language; fi; \
	done

clean:
	rm -rf $(VENV) $(QUIX_VENV) .crosslink .mypy_cache .ruff_cache .pytest_cache
