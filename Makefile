# Everything a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Canonical, feed and Open Graph URLs follow the port `make run` serves on, unless SITE_URL is given.
SITE_URL ?= http://127.0.0.1:$(PORT)
MANAGE := $(BIN)/python manage.py

.PHONY: run urls editor install migrate demo test lint format bench test-deps clean

# Where to go once `make run` serves: `make run` and `make urls` print this list, and README.md
# ("What you are looking at") names the same URLs; tests/test_newcomer.py keeps the two in step.
# 77042 (Houston) has demo providers after `seed_providers --count 2000 --seed 1`.
define WHERE_TO_GO
  Home page        http://127.0.0.1:$(PORT)/
  An article       http://127.0.0.1:$(PORT)/blog/checking-provider-credentials
  Find a provider  http://127.0.0.1:$(PORT)/find-provider?location=77042
  Newsletter       http://127.0.0.1:$(PORT)/newsletter
  About, Contact   http://127.0.0.1:$(PORT)/about  http://127.0.0.1:$(PORT)/contact
  Practitioners    http://127.0.0.1:$(PORT)/accounts/signup/  then /provider-directory/apply
  Consultation     http://127.0.0.1:$(PORT)/consultation?zip=77042
  Editorial        http://127.0.0.1:$(PORT)/editor/  (the demo editorial team is printed below)
  Admin            http://127.0.0.1:$(PORT)/admin/  (make editor creates an account)
endef
export WHERE_TO_GO

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

migrate: install
	$(MANAGE) migrate --noinput -v0

demo: migrate
	$(MANAGE) demo_reviewer
	$(MANAGE) import_articles demo/articles demo/pages --images demo/images
	@$(MANAGE) shell -v 0 -c "from ketamine_association.directory.models import Provider as P; raise SystemExit(0 if P.objects.exists() else 3)" \
	  || $(MANAGE) seed_providers --count 2000 --seed 1

# The demo practitioner's password: $DEMO_PRACTITIONER_PASSWORD, the demo editorial team's
# $DEMO_EDITORIAL_PASSWORD; else a new one printed each run.
# The task worker (transactional mail: core/mail.py) runs beside the server and stops with it.
run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with the task worker (Ctrl-C stops both). Where to go:"
	@echo "$$WHERE_TO_GO"
	@SITE_URL=$(SITE_URL) $(MANAGE) demo_practitioner
	@SITE_URL=$(SITE_URL) $(MANAGE) demo_editorial
	@$(MANAGE) daily_jobs --schedule
	@SITE_URL=$(SITE_URL) $(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; true' EXIT; trap 'exit 130' INT TERM; \
	SITE_URL=$(SITE_URL) $(MANAGE) runserver 127.0.0.1:$(PORT)

urls:
	@echo "$$WHERE_TO_GO"

# An editor account for /admin/. Asks for a name, email and password; with
# DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD set, asks nothing.
editor: migrate
	$(MANAGE) createsuperuser $(if $(DJANGO_SUPERUSER_PASSWORD),--noinput)

# Debian's chromium drives the browser tests (never `playwright install`); nginx serves the
# static export in its test; libcairo2 lets CairoSVG draw social cards from SVG pictures
# (without it the import draws the generated card instead). Installed when missing and we are
# root; otherwise those tests skip or say what is missing.
TEST_PACKAGES := chromium nginx libcairo2
test-deps:
	@missing=""; for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Install$$missing (sudo apt-get install$$missing) for the browser and export tests"; fi; fi

test: install test-deps
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Each script prints its figures as ratios against its anchor (see bench/README.md);
# BENCH_QUICK=1 make bench runs smaller sizes.
bench: install test-deps
	@for p in hugo wrk nginx; do command -v $$p >/dev/null 2>&1 || [ -x /usr/sbin/$$p ] || \
	  { [ "$$(id -u)" = 0 ] && apt-get install -y -qq $$p >/dev/null; }; done
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cards.py
	$(BIN)/python bench/blog.py
	$(BIN)/python bench/directory.py
	$(BIN)/python bench/newsletter.py
	$(BIN)/python bench/consultations.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var .pytest_cache
