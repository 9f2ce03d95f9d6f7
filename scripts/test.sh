#!/usr/bin/env bash
# The test command behind `make test`:
#  0. the web client's unit tests (Node's built-in runner, no packages to install);
#  1. the fast suite on the embedded default (SQLite, eager Celery);
#  2. the whole suite again on PostgreSQL + Redis, with the integration tests that start a real
#     Celery worker process and a local SMTP server. Without those services it is skipped with
#     the reason; with CI=true it must run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export RECOGNIZE_DATA_DIR=${RECOGNIZE_DATA_DIR:-$(cd .. && pwd)/shared/data}

echo "== web client (clients/web): node --test, shared vectors in tests/vectors =="
node --test clients/web/test/

echo "== 1/2 fast suite: SQLite, Celery eager =="
env -u DATABASE_URL -u REDIS_URL "$BIN/pytest" -q -m "not integration" -p no:cacheprovider

echo "== 2/2 whole suite: PostgreSQL, Redis, a Celery worker process, SMTP =="
if reason=$(scripts/services.sh ensure 2>&1); then
  DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/recognize} \
  REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
    "$BIN/pytest" -q -p no:cacheprovider
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: the integration suite must run in CI, but: $reason" >&2
  exit 1
else
  echo "SKIPPED the PostgreSQL/Redis/worker suite: $reason"
fi
