# mailscreen: `make run` starts the relay on 127.0.0.1:2525, `make test` runs the tests
# (`make check-model`: the committed sentence heads are exactly what training gives here).
# Both create .venv as needed (Python 3.11+, libmagic1 from the system).
PYTHON ?= python3
VENV ?= .venv
CONFIG ?= $(or $(MAILSCREEN_CONFIG),)
STAMP := $(VENV)/.installed

.PHONY: run test check-model bench check-config clean install uninstall

# One build at a time: `make run` and `make test` started together in a fresh clone both
# want .venv; the second waits for the lock, then finds it built (flock: util-linux).
$(STAMP): pyproject.toml
	flock $(VENV).lock sh -c 'if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ]; then \
		$(PYTHON) -m venv $(VENV) && \
		$(VENV)/bin/pip install --quiet --upgrade pip && \
		$(VENV)/bin/pip install --quiet -e ".[dev]" && \
		touch $(STAMP); fi' 

run: $(STAMP)
	$(VENV)/bin/mailscreen serve $(if $(CONFIG),--config $(CONFIG),)

# ARGS go to pytest: `make test ARGS='-m "not slow" -x'` runs the unit tier
test: $(STAMP)
	$(VENV)/bin/pytest -q --durations=25 $(ARGS)

# retrains the sentence heads and compares them with the committed ones exactly (minutes;
# not part of `make test`, which allows another CPU's last bits)
check-model: $(STAMP)
	$(VENV)/bin/python tests/check_model.py

bench: $(STAMP)
	$(VENV)/bin/python bench/relay_bench.py

check-config: $(STAMP)
	$(VENV)/bin/mailscreen check-config $(if $(CONFIG),--config $(CONFIG),)

clean:
	rm -rf $(VENV) build *.egg-info

# The system install (README "Running it as a service"), as root; `make uninstall PURGE=1`
# also removes the config, the data, the service user and the admin group.
install:
	install/install.sh

uninstall:
	install/uninstall.sh $(if $(PURGE),--purge,)
