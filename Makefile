# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install system-deps lint format worker beat messages clean bench

# The demo prints e-mail (password reset by mail) to the console; EMAIL_URL= turns it off.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Compound Portal: http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	EMAIL_URL=$${EMAIL_URL-consolemail://} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

install: system-deps $(STAMP) locale/en/LC_MESSAGES/django.mo

system-deps:
	@scripts/system-deps.sh

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

locale/en/LC_MESSAGES/django.mo: locale/en/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv

messages:
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --no-obsolete

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker:
	$(BIN)/celery -A portal worker -Q default,pdf --loglevel=INFO

beat:
	$(BIN)/celery -A portal beat --loglevel=INFO

bench: install
	@scripts/system-deps.sh wrk
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cp_bench} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/14} \
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 var
