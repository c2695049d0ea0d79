# Burgerberaad: `make demo` and `make test` need only python3 and make.
PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The tested versions of every dependency (make lock rewrites it).
CONSTRAINTS := constraints.txt
PO := translations/nl/LC_MESSAGES/messages.po
MO := translations/nl/LC_MESSAGES/messages.mo
DEMO_DB := instance/demo.db
DEMO_ENV := BURGERBERAAD_ENV=development BURGERBERAAD_DATABASE_URL=sqlite:///$(CURDIR)/$(DEMO_DB) \
	BURGERBERAAD_HUEY_PATH=$(CURDIR)/instance/demo-jobs.db BURGERBERAAD_DEV_OUTBOX=true \
	BURGERBERAAD_JOBS_IN_PROCESS=true BURGERBERAAD_BASE_URL=http://127.0.0.1:$(PORT)

.PHONY: demo test test-browser lint install translations clean lock

install: $(STAMP) $(MO)

# Reinstall only when the dependencies change.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,postgres]'
	touch $(STAMP)

# After changing the dependencies: install the newest allowed versions in a fresh
# environment and record them.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test,postgres,production,redis,bench]'
	( echo "# The tested versions (make lock). make installs with pip -c $(CONSTRAINTS)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable ) > $(CONSTRAINTS)
	rm -rf .venv-lock

# Compiled catalogues are built here, never committed.
$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm instance/demo-jobs.db*
	$(DEMO_ENV) $(BIN)/flask --app app db upgrade
	$(DEMO_ENV) $(BIN)/flask --app app demo
	@echo "Open http://127.0.0.1:$(PORT)/ and log in with an account printed above."
	$(DEMO_ENV) $(BIN)/flask --app app run --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Tests run in parallel processes (pytest-xdist), one database each; WORKERS=0 runs them in one.
# The browser tests then run in one process of their own: they share one server and one
# walk of the journey, which xdist would split over its processes. BROWSER=no leaves them out.
WORKERS ?= auto
BROWSER ?= yes
test: install lint
	$(BIN)/python -m pytest -n $(WORKERS) -m "not browser" tests
ifneq ($(BROWSER),no)
	$(MAKE) --no-print-directory test-browser
endif

# The journey in a real browser and the accessibility audit alone (Debian's chromium;
# screenshots in test-artifacts/browser/, or BROWSER_ARTIFACTS).
test-browser: install
	$(BIN)/python -m pytest -p no:xdist -m browser tests/browser

# After changing texts: extract them and merge into the Dutch catalogue, then translate.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 100

clean:
	rm -rf $(VENV) $(DEMO_DB)* instance/demo-jobs.db*
