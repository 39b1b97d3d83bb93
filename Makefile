# Black January Memorial — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DJANGO_ENV ?= development

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000

# The newest Python >= 3.12 on this machine: pyenv's versions first, then what is on PATH.
PYTHON ?= $(shell for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -Vr) \
	$$(command -v python3.14 python3.13 python3.12 python3 2>/dev/null); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: help run test venv db stop migrate content superuser static messages makemessages browser services lint bench stack stack-stop mutation serve-prod clean

help:
	@echo "make run    set everything up and serve the memorial on http://$(HOST):$(PORT)"
	@echo "make test   set everything up and run ruff and the whole test suite"
	@echo "make stop   stop the project's own PostgreSQL"
	@echo "make bench  run the benchmarks (see bench/README.md)"
	@echo "make stack  nginx, two gunicorns, Redis, a read replica and an S3 bucket on 127.0.0.1 (make stack-stop)"
	@echo "make mutation  mutation testing of the modules that hold the rules (slow; docs/testing.md)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.12 or newer was found. Django 6.1 needs it. Install one (for example"; \
	  echo "'pyenv install 3.13', or your system's python3.13 package) and run make again,"; \
	  echo "or name it: make run PYTHON=/path/to/python3.13"; exit 1; fi
	@echo "Creating the virtualenv with $(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

# The project's own PostgreSQL, unless DATABASE_URL names another server.
db: venv
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m common.localdb start; fi

stop: venv
	$(PY) -m common.localdb stop

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v 0

# After changing translatable strings: refresh the catalogues (no source locations, so that
# parallel work merges entry by entry), then translate the new entries in az and ru.
makemessages: venv
	$(PY) manage.py makemessages -l az -l ru -l en --no-location --ignore=.venv --ignore=var --ignore=bench -v 0
	@sed -i "/^\"POT-Creation-Date: /d" locale/*/LC_MESSAGES/django.po  # a date in every run: a conflict in every merge

migrate: db messages
	$(PY) manage.py migrate --no-input -v 1

content: migrate
	$(PY) manage.py load_initial_content

superuser: migrate
	$(PY) manage.py ensure_local_superuser --site-url http://$(HOST):$(PORT)

static: venv
	$(PY) manage.py collectstatic --no-input -v 0

# Debian's Chromium for the browser tests; Playwright never downloads a browser of its own.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's Chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; fi

# Debian's Redis and nginx for the several-server stack and its tests.
services:
	@if ! command -v redis-server >/dev/null || ! { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; then \
	  echo "Installing Debian's redis-server and nginx for the stack and its tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx >/dev/null; fi; fi

stack: content services
	$(PY) -m stack up

stack-stop: venv
	$(PY) -m stack down

# The links the site builds (canonical, sitemap, feeds, the dataset's) point at the address served,
# unless SITE_URL is set.
RUN_SITE_URL = $(or $(SITE_URL),http://$(HOST):$(PORT))

run: content superuser static
	SITE_URL=$(RUN_SITE_URL) $(PY) manage.py publish_dataset
	@echo "Serving the memorial on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/); Ctrl-C stops it."
	SITE_URL=$(RUN_SITE_URL) DJANGO_DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(VENV)/bin/ruff check .

test: lint db messages browser services
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(VENV)/bin/pytest

# Its own database (memorial_bench) and static root (var/bench): never the development ones.
# make bench ARGS="--size 100000"   or   ARGS="--only search,queries"
bench: db messages
	$(PY) -m bench $(ARGS)

# Mutation testing with mutmut (configuration in pyproject.toml; docs/testing.md). Not part of make
# test: at the lowest priority, one test process, for at most MUTATION_MINUTES; a second run goes on
# where the first stopped (rm -rf mutants to start again). Its own test database, beside the
# developer's. Report: var/mutation/report.md.
MUTATION_MINUTES ?= 30
mutation: db messages
	@mkdir -p var/mutation
	-export TEST_DATABASE_NAME=test_memorial_mutation \
	  DATABASE_URL="$${DATABASE_URL:-$$($(PY) -m common.localdb url)}"; \
	  timeout $(MUTATION_MINUTES)m nice -n 19 $(VENV)/bin/mutmut run --max-children 1
	$(VENV)/bin/mutmut results --all true > var/mutation/results.txt
	$(PY) -m tests.mutation_report var/mutation/results.txt > var/mutation/report.md
	@head -20 var/mutation/report.md

clean: stop
	rm -rf var staticfiles $(VENV)
