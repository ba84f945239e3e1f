# `make run` and `make test` set up everything they need (virtualenv, dependencies, database).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint schema serve bench clean

# Production server: debug off, configuration from the environment only (README, "Deploy").
WEB_CONCURRENCY ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
BIND ?= 127.0.0.1:8000

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_sample_catalog
	$(BIN)/python manage.py ensure_dev_admin
	@echo "API:        http://$(HOST):$(PORT)/api/movies/"
	@echo "Swagger UI: http://$(HOST):$(PORT)/api/docs/"
	@echo "Redoc:      http://$(HOST):$(PORT)/api/redoc/"
	@echo "Admin:      http://$(HOST):$(PORT)/admin/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

schema: $(INSTALLED)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	@echo "OpenAPI schema: valid, no warnings (spectacular --validate --fail-on-warn)"

test: lint schema
	$(BIN)/python -m pytest

serve: $(INSTALLED)
	DJANGO_DEBUG=false $(BIN)/python manage.py check --deploy
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=false WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(BIN)/gunicorn config.wsgi \
		--bind $(BIND) --access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

bench: $(INSTALLED)
	command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
