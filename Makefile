# `make run` and `make test` set up everything they need (virtualenv, dependencies, database).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUNTIME := $(VENV)/.installed-runtime
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check lint schema serve bench bench-auth soak mutate clean

# Production server: debug off, configuration from the environment only (docs/how-to/deploy-and-scale.md).
WEB_CONCURRENCY ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
BIND ?= 127.0.0.1:8000

# Rebuilt only when a requirements file changed, so a second `make run` starts in seconds.
$(INSTALLED): requirements.txt requirements-dev.txt
	@echo "==> [1/3] Python virtualenv in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] pip itself"
	$(BIN)/python -m pip install --disable-pip-version-check --upgrade pip
	@echo "==> [3/3] requirements-dev.txt (runtime and test tools)"
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME)

# A production host gets the runtime requirements only (no test, lint or benchmark tools).
$(RUNTIME): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

# HOST and PORT choose the address: `make run PORT=8001`, `make run HOST=0.0.0.0`.
run: $(INSTALLED)
	@echo "==> Database: migrate"
	@$(BIN)/python manage.py migrate --noinput
	@echo "==> Sample catalog"
	@$(BIN)/python manage.py load_sample_catalog
	@$(BIN)/python manage.py dev_welcome --host $(HOST) --port $(PORT)
	@$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Checked in a throwaway folder and an in-memory database: nothing is written into the tree.
schema: $(INSTALLED)
	@scratch=$$(mktemp -d) && export DJANGO_DEV_SECRETS_FILE=$$scratch/dev-secrets.json \
		DATABASE_URL=sqlite://:memory: && \
	$(BIN)/python manage.py makemigrations --check --dry-run && \
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null; \
	status=$$?; rm -rf $$scratch; exit $$status
	@echo "OpenAPI schema: valid, no warnings (spectacular --validate --fail-on-warn)"

test: lint schema
	$(BIN)/python -m pytest

# The everyday loop (under a minute): lint, then every test that starts no server, browser or
# fuzzer (those marked `slow` in tests/conftest.py run in `make test`).
check: lint
	$(BIN)/python -m pytest -q -m "not slow"

serve: $(RUNTIME)
	DJANGO_DEBUG=false $(BIN)/python manage.py check --deploy
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=false WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(BIN)/gunicorn config.wsgi \
		--bind $(BIND) --access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

# The authentication benchmark (bench/auth.py) first, then the scale benchmark (bench/run.py).
# `make bench-auth` runs the first only; BENCH_QUICK=1 makes it a seconds-long check of the script.
bench: bench-auth
	$(BIN)/python bench/run.py $(if $(SCALE),--scale $(SCALE))

bench-auth: $(INSTALLED)
	command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(BIN)/python bench/auth.py

# The chaos soak (bench/soak.py): two servers behind HAProxy under a mixed load while workers are
# killed, Redis restarts, the database link is cut and hangs, and a server restarts. CI runs 60 s.
SOAK_SECONDS ?= 300
soak: $(INSTALLED)
	command -v haproxy >/dev/null || { apt-get update -q && apt-get install -y -q haproxy; }
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

# Mutation testing of the auth code (tests/MUTATION.md): not part of `test` or CI. From scratch
# every time; `mutmut run` sometimes stops early with exit 0, so it resumes until no mutant is left
# unchecked, within MUTATE_SECONDS in all. Prints the score per file and the surviving mutants,
# then mutates the module-level constants that mutmut leaves alone.
MUTATE_SECONDS ?= 3600
MUTATE_CHILDREN ?= 2
mutate: $(INSTALLED)
	rm -rf mutants
	@end=$$(( $$(date +%s) + $(MUTATE_SECONDS) )); \
	for attempt in 1 2 3 4 5 6 7 8; do \
		left=$$(( end - $$(date +%s) )); \
		test $$left -gt 0 || { echo "==> mutate: out of time ($(MUTATE_SECONDS) s)"; break; }; \
		timeout $$left $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN); \
		rc=$$?; test $$rc -eq 0 || test $$rc -eq 124 || exit $$rc; \
		$(BIN)/mutmut results --all=true | grep -q ': not checked$$' || break; \
		echo "==> mutmut stopped with mutants unchecked: resuming ($$attempt)"; \
	done
	@status=0; \
	$(BIN)/mutmut results --all=true | $(BIN)/python tools/mutation_report.py || status=1; \
	echo "==> mutate: module-level constants (tools/constant_mutants.py)"; \
	$(BIN)/python tools/constant_mutants.py --jobs $(MUTATE_CHILDREN) || status=1; \
	exit $$status

clean:
	rm -rf mutants $(VENV) staticfiles .pytest_cache .ruff_cache
