# Recognize — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements
# Exact versions with hashes: requirements/runtime.txt is what a server needs,
# requirements/dev.txt adds the test and lint tools (same versions). Both come from
# pyproject.toml through `make lock`.
DEV_LOCK := requirements/dev.txt
PIP_COMPILE := $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-find-links --no-emit-index-url --no-emit-trusted-host
# The official Node SDK the tests drive (tests/sdk_clients/node), installed from its lock file;
# npm rewrites node_modules/.package-lock.json on every install, so make reinstalls only when
# the lock or package.json changed.
NODE_HARNESS := tests/sdk_clients/node
NODE_INSTALLED := $(NODE_HARNESS)/node_modules/.package-lock.json
# The official browser SDK the tests load in headless Chromium (tests/sdk_clients/browser).
BROWSER_HARNESS := tests/sdk_clients/browser
BROWSER_INSTALLED := $(BROWSER_HARNESS)/node_modules/.package-lock.json
# The web client's one dependency, onnxruntime-web (pinned, from its lock): the server serves
# its WASM runtime to browsers that compute the face embedding on the device.
WEB_CLIENT := clients/web
WEB_INSTALLED := $(WEB_CLIENT)/node_modules/.package-lock.json

.PHONY: setup run test bench lint worker lock

$(INSTALLED): $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r $(DEV_LOCK)
	touch $@

## setup: virtualenv, pinned packages, face models, the browser's ONNX runtime, database,
## static files
setup: $(INSTALLED) $(WEB_INSTALLED)
	$(BIN)/python manage.py fetch_models
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0

## run: the embedded default (SQLite, eager Celery) on 127.0.0.1:8000 with a demo tenant
run: setup
	@echo "Demo tenant (its secret key is in var/demo-tenant.json, mode 0600; never printed):"
	@$(BIN)/python manage.py demo_tenant
	@echo "Serving on http://127.0.0.1:8000  (admin: python manage.py createsuperuser, then /admin/)"
	$(BIN)/gunicorn -c recognize_project/gunicorn.conf.py --bind 127.0.0.1:8000 --workers 2 --access-logfile -

$(NODE_INSTALLED): $(NODE_HARNESS)/package.json $(NODE_HARNESS)/package-lock.json
	npm ci --prefix $(NODE_HARNESS) --no-audit --no-fund --loglevel=error

$(BROWSER_INSTALLED): $(BROWSER_HARNESS)/package.json $(BROWSER_HARNESS)/package-lock.json
	npm ci --prefix $(BROWSER_HARNESS) --no-audit --no-fund --loglevel=error

$(WEB_INSTALLED): $(WEB_CLIENT)/package.json $(WEB_CLIENT)/package-lock.json
	npm ci --prefix $(WEB_CLIENT) --no-audit --no-fund --loglevel=error

## test: fast suite on SQLite, then the whole suite on PostgreSQL + Redis + a Celery worker
## (the portal in a headless Chromium, and behind nginx terminating TLS; both installed with
## apt when missing); the official server SDKs (Python, and Node from the pinned lock) run
## against a served Recognize, and the browser SDK (pinned lock) in Chromium from another origin
test: $(INSTALLED) $(NODE_INSTALLED) $(BROWSER_INSTALLED) $(WEB_INSTALLED)
	$(BIN)/python manage.py fetch_models
	scripts/chromium.sh
	scripts/apt-ensure.sh /usr/sbin/nginx nginx "the TLS reverse-proxy test"
	scripts/test.sh

## bench: gunicorn + PostgreSQL + Redis (+ a Celery worker): in-app flow, face and push numbers;
## writes docs/benchmarks.md
bench: $(INSTALLED)
	scripts/services.sh ensure
	$(BIN)/python manage.py fetch_models
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.face
	$(BIN)/python -m bench.push

## lint: ruff, and the import-linter contracts of .importlinter (the app layers of STYLE.md)
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## worker: a Celery worker for the scale-out setup (needs REDIS_URL)
worker: setup
	$(BIN)/celery -A recognize_project worker -l info

## lock: re-pin both locks after a dependency changed in pyproject.toml (keeps other pins;
## `make lock PIP_COMPILE_ARGS=--upgrade` moves everything to the newest allowed versions)
lock: $(INSTALLED)
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) $(PIP_COMPILE_ARGS) \
		-o requirements/runtime.txt pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) $(PIP_COMPILE_ARGS) \
		--extra test --extra dev -c requirements/runtime.txt -o $(DEV_LOCK) pyproject.toml
