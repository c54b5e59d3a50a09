# The developer contract (README): `make run` serves the whole stack with demo data on
# http://127.0.0.1:5000, `make test` runs the whole suite against real services.
.PHONY: run test stop status install bench i18n test-cloud cloud-up cloud-down bench-cloud

run:
	tools/stack.sh run

test:
	tools/stack.sh test $(ARGS)

stop:
	tools/stack.sh stop

status:
	tools/stack.sh status

install:
	tools/stack.sh install

# QUICK=1: small sizes, same metric names; ONLY=harvest,load: some benchmarks (see bench/run.py)
bench:
	tools/stack.sh up && QUICK=$(QUICK) ONLY=$(ONLY) .venv/bin/python bench/run.py

# Extract strings into the template, merge them into the ja catalog, compile it.
i18n:
	.venv/bin/pybabel extract -F i18n/babel.cfg -o i18n/ckanext-tdpf.pot --no-location \
	  --project ckanext-tdpf --copyright-holder "ckanext-tdpf" -k _ -k ngettext -k N_ ckanext
	.venv/bin/pybabel update -i i18n/ckanext-tdpf.pot -d i18n -D ckanext-tdpf -l ja --no-fuzzy-matching
	.venv/bin/pybabel compile -d i18n -D ckanext-tdpf -l ja --statistics

# Cloud mode (README "Scale-out"): SolrCloud, 2 web processes behind nginx, 2 job workers,
# gather + 2 fetch consumers on this machine; its own test suite (not part of `make test`).
test-cloud:
	tools/stack.sh cloud-test $(ARGS)

cloud-up:
	tools/stack.sh cloud-up

cloud-down:
	tools/stack.sh cloud-down

# Cloud mode against the standalone engines in one run (bench/cloud.py, README "Scale-out")
bench-cloud:
	tools/stack.sh cloud-up && ONLY=$(ONLY) .venv/bin/python bench/cloud.py
