# 诚信码 — developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi:app

.PHONY: run test install db demo translations bench bench-crash clean

# Two stamps: `make run` needs only the application; `make test` adds the test tools
# (Playwright's driver alone is ~50 MB, so a first `make run` stays quick).
$(VENV)/.installed-app: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml $(VENV)/.installed-app
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

# Development server on the embedded SQLite database under instance/, with demo data when empty, and the
# daily jobs' output the pages read (the QR pages' 12-month figures, /stats, /open-data). `make run PORT=5108`.
PORT ?= 5000
# Outside a request (the demo's printed links, the open-data export) the development address is this port's.
run: export FLASK_RUN_PORT = $(PORT)
run: $(VENV)/.installed-app
	REGISTRY_ENV=development $(BIN)/flask db upgrade
	REGISTRY_ENV=development $(BIN)/flask calendar seed
	REGISTRY_ENV=development $(BIN)/flask demo load --if-empty
	REGISTRY_ENV=development $(BIN)/flask complaints refresh-figures
	REGISTRY_ENV=development $(BIN)/flask reports snapshot
	REGISTRY_ENV=development $(BIN)/flask opendata export
	@REGISTRY_ENV=development $(BIN)/flask demo logins
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C to stop); SMS outbox: http://127.0.0.1:$(PORT)/dev/outbox"
	@# With JOBS_REDIS_URL set, a jobs worker runs beside the server and stops with it; without it jobs run in the request.
	export REGISTRY_ENV=development; \
	if [ -n "$$JOBS_REDIS_URL" ]; then $(BIN)/flask jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; fi; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The suite runs on every core (pytest-xdist; at most 4 workers), each worker on its own database
# (tests/database.py). PYTEST_WORKERS=0 runs it in one process; PYTEST_ARGS adds options.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

# Refresh the English catalog after strings change: extract -> update -> compile (babel.cfg explains).
# Then translate what update left empty or marked "#, fuzzy" in registry/translations/en/LC_MESSAGES/messages.po
# and run it again to compile; tests/test_translations.py fails while anything is missing, fuzzy or stale.
# Extraction must run on "." (babel.cfg's paths are relative to the project root).
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
		--ignore-dirs='.* ._ tests bench migrations static instance' --no-wrap --add-location=file \
		--project=chengxinma-registry --version=0.1.0 -o registry/translations/messages.pot .
	$(BIN)/pybabel -q update -i registry/translations/messages.pot -d registry/translations \
		--no-wrap --ignore-obsolete --previous
	$(BIN)/pybabel compile -d registry/translations --statistics

# Province-scale benchmark (not part of `make test`): synthetic data (cached under bench/data/), gunicorn as in
# production, bounded wrk load on 127.0.0.1 only; prints one table and writes bench/results/<timestamp>.json.
# `make bench SIZE=100000`; extra options via BENCH_ARGS (see `.venv/bin/python -m bench --help`, bench/README.md).
SIZE ?= 10000
bench: install
	$(BIN)/python -m bench --size $(SIZE) $(BENCH_ARGS)

# Crash run (bench/README.md): filings with photos + QR reads over https while two gunicorn workers are killed
# with kill -9, on SQLite and PostgreSQL; fails (exit 1) if an acknowledged complaint is lost or a 5xx is answered.
bench-crash: install
	$(BIN)/python -m bench --only crash --size $(SIZE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
