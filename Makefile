# mailscreen: `make run` starts the relay on 127.0.0.1:2525, `make test` runs the tests.
# Both create .venv as needed (Python 3.11+, libmagic1 from the system).
PYTHON ?= python3
VENV ?= .venv
CONFIG ?= $(or $(MAILSCREEN_CONFIG),)
STAMP := $(VENV)/.installed

.PHONY: run test bench check-config clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/mailscreen serve $(if $(CONFIG),--config $(CONFIG),)

test: $(STAMP)
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(VENV)/bin/python bench/relay_bench.py

check-config: $(STAMP)
	$(VENV)/bin/mailscreen check-config $(if $(CONFIG),--config $(CONFIG),)

clean:
	rm -rf $(VENV) build *.egg-info
