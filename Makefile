# Zeren — the two commands of the README are `make run` and `make test`.
# Everything else here is what those two need: a virtualenv, the package, fonts,
# compiled translations and a catalog with a demo city.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= zeren-demo-2026
DEMO_BUREAUS ?= 8
HOST ?= 127.0.0.1
PORT ?= 5000
CJK_PACKAGES := fonts-noto-cjk fonts-lxgw-wenkai
# Fallback faces of the PDF reports: emoji and symbols (outline and colour) and CJK
# Extension B and beyond (app/reports/pdf.py, DEFAULT_FALLBACK and DEFAULT_EMOJI).
FALLBACK_PACKAGES := fonts-symbola fonts-hanazono fonts-noto-color-emoji
# WeasyPrint lays text out with Pango (system libraries, not on PyPI); a report joined from
# its parts re-subsets each font once with HarfBuzz's subsetter (app/reports/subset.py).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig poppler-utils
# The 仿宋 face of the reports' body text (GB/T 9704): FandolFang, from TeX Live's Chinese
# package (without its recommends: the fonts are what is needed, not a TeX system).  It
# lands in TeX's tree, which fontconfig does not read, so its folder is linked into
# /usr/local/share/fonts (root) or ~/.local/share/fonts.
FANG_PACKAGES := texlive-lang-chinese
FANDOL_DIR := /usr/share/texlive/texmf-dist/fonts/opentype/public/fandol
export FLASK_APP := wsgi.py

.PHONY: run test setup python-check fonts chromium translations messages catalog demo bench clean-data

run: setup catalog demo
	@echo ""
	@echo "Zeren is starting on http://$(HOST):$(PORT)/"
	@echo "  city committee:   city / $(DEMO_PASSWORD)"
	@echo "  a bureau admin:   jgswj-admin / $(DEMO_PASSWORD)   (others: czj-admin, jyj-admin, …)"
	@echo "  (only when this demo city was seeded by make run; see 'flask demo seed --help')"
	@echo "  reports and the city's figures are made by the job worker started alongside (Ctrl-C stops both)"
	@$(BIN)/flask jobs worker --workers 2 --worker-type thread & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

# The suite runs in parallel (pytest-xdist, one worker per core; PYTEST_WORKERS=0 runs
# it in this process); a module's tests stay on one worker, so its module fixtures are built once.
PYTEST_WORKERS ?= auto
test: setup chromium
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

setup: python-check $(VENV)/.installed fonts translations

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Zeren needs Python 3.11 or newer; found: $$($(PYTHON) --version 2>&1). Set PYTHON=/path/to/python3.11"; exit 1; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	@touch $@

# PDF reports and charts need CJK fonts, the fallback faces and Pango (and pdftoppm, poppler-utils, for the
# charts of the city summary's Word edition).  Installed with apt-get when running as
# root; otherwise the exact packages are named.
fonts:
	@if fc-list 2>/dev/null | grep -qi "Noto Serif CJK SC" && fc-list 2>/dev/null | grep -qi "LXGW WenKai" \
	   && fc-list 2>/dev/null | grep -qi "Symbola" && fc-list 2>/dev/null | grep -qi "HanaMinB" \
	   && fc-list 2>/dev/null | grep -qi "Noto Color Emoji" \
	   && ldconfig -p 2>/dev/null | grep -q libpangoft2 && ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing fonts and Pango: $(CJK_PACKAGES) $(FALLBACK_PACKAGES) $(PDF_PACKAGES)"; \
	  (apt-get install -y -qq $(CJK_PACKAGES) $(FALLBACK_PACKAGES) $(PDF_PACKAGES) >/dev/null 2>&1 || \
	   (apt-get update -qq && apt-get install -y -qq $(CJK_PACKAGES) $(FALLBACK_PACKAGES) $(PDF_PACKAGES) >/dev/null)) || \
	   echo "WARNING: could not install $(CJK_PACKAGES) $(FALLBACK_PACKAGES) $(PDF_PACKAGES); PDF reports need them"; \
	else \
	  echo "NOTE: fonts or Pango are missing. Install them with: sudo apt-get install $(CJK_PACKAGES) $(FALLBACK_PACKAGES) $(PDF_PACKAGES)"; \
	fi
	@if [ ! -d "$(FANDOL_DIR)" ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing the 仿宋 face (FandolFang): $(FANG_PACKAGES)"; \
	  (apt-get install -y -qq --no-install-recommends $(FANG_PACKAGES) >/dev/null 2>&1 || \
	   (apt-get update -qq && apt-get install -y -qq --no-install-recommends $(FANG_PACKAGES) >/dev/null)) || \
	   echo "WARNING: could not install $(FANG_PACKAGES); PDF reports need FandolFang"; \
	fi
	@if fc-list 2>/dev/null | grep -qi "FandolFang"; then :; \
	elif [ -d "$(FANDOL_DIR)" ]; then \
	  target=$$([ "$$(id -u)" = "0" ] && echo /usr/local/share/fonts || echo "$$HOME/.local/share/fonts"); \
	  mkdir -p "$$target" && ln -sfn "$(FANDOL_DIR)" "$$target/fandol" && fc-cache -f "$$target" >/dev/null && \
	  echo "FandolFang registered with fontconfig ($$target/fandol)"; \
	else \
	  echo "NOTE: the 仿宋 face FandolFang is missing. Install it with: sudo apt-get install --no-install-recommends $(FANG_PACKAGES); then run make fonts again"; \
	fi

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium for the browser tests"; \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) || \
	   echo "WARNING: could not install chromium; browser tests will be skipped"; \
	else \
	  echo "NOTE: browser tests are skipped without Chromium. Install it with: sudo apt-get install chromium"; \
	fi

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d app/translations

# Re-extract messages and merge them into the zh_Hans catalog (then fill the new msgstrs).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --sort-output --project Zeren .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

catalog: setup
	$(BIN)/flask catalog upgrade
	$(BIN)/flask tenants upgrade --jobs 2

demo: catalog
	$(BIN)/flask demo seed --if-empty --bureaus $(DEMO_BUREAUS) --password $(DEMO_PASSWORD)

bench: setup
	$(BIN)/python bench/bench_foundation.py

# Removes the demo data root (tenants/), keeping tenants/README.md.
clean-data:
	find tenants -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
