# 诚信码 — developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi:app

.PHONY: run test install db demo translations bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Development server on the embedded SQLite database under instance/, with demo data when empty.
run: install
	REGISTRY_ENV=development $(BIN)/flask db upgrade
	REGISTRY_ENV=development $(BIN)/flask demo load --if-empty
	@echo "Serving on http://127.0.0.1:5000  (Ctrl-C to stop)"
	REGISTRY_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o registry/translations/messages.pot registry templates
	$(BIN)/pybabel update -i registry/translations/messages.pot -d registry/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d registry/translations

clean:
	rm -rf $(VENV) .pytest_cache
