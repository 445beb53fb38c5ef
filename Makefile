# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
SUDO    = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install install-test system browser bench-tools demo test serve clean messages translations

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

install: $(VENV)/bin/activate system
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(MAKE) translations

install-test: $(VENV)/bin/activate system
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(MAKE) translations

# Languages (README "Languages"): `make messages` after marking new strings, then translate
# the empty entries in buurtkaart/translations/*/LC_MESSAGES/messages.po; `make translations`
# compiles them (the app also compiles stale catalogues when it starts).
CATALOGUES = buurtkaart/translations
messages:
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k Msg --no-location --sort-output \
	  --project buurtkaart -o $(CATALOGUES)/messages.pot .
	$(VENV)/bin/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) \
	  --no-fuzzy-matching --ignore-obsolete -w 100
	$(PY) -m buurtkaart.i18n fill-source

translations:
	$(VENV)/bin/pybabel compile -d $(CATALOGUES) --statistics

# Debian's pango and fonts, which WeasyPrint draws the PDF guides and reports with.
system:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && fc-list | grep -qi dejavu; } || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }

# Debian's Chromium for the browser tests (never `playwright install`: it downloads).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# What the benchmarks compare with, beyond the test dependencies (never needed by the tests):
# Debian's wrk (bench_load.py --client wrk) and pandana (bench_scale.py's comparison).
bench-tools: install-test
	@command -v wrk >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	$(PY) -m pip install --quiet pandana

# The demo builds its own database under var/ so it never touches a real one.
demo: export BUURTKAART_DATABASE ?= $(CURDIR)/var/demo.db
demo: install
	$(VENV)/bin/buurtkaart demo
	$(VENV)/bin/buurtkaart serve --host $(HOST) --port $(PORT)

test: install-test browser
	$(PY) -m pytest

clean:
	rm -rf var .pytest_cache .hypothesis
