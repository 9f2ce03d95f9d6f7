#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the integration suite and benchmarks.
# `services.sh ensure` starts them when they are down (installing them with apt when they are
# missing and we are root) and creates the `recognize` database. Exit 1 with the reason if not.
set -uo pipefail

PGHOST=127.0.0.1
PGPORT=5432
PGUSER=${PGUSER:-postgres}
REDIS_PORT=6379

say() { echo "services: $*" >&2; }

can_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  can_root && command -v apt-get >/dev/null || return 1
  say "installing $* with apt-get"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null 2>&1
}

postgres_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

ensure_postgres() {
  postgres_up && return 0
  command -v pg_ctlcluster >/dev/null || apt_install postgresql || {
    say "PostgreSQL is not installed and cannot be installed here"; return 1; }
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || { say "no PostgreSQL cluster found in /etc/postgresql"; return 1; }
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do postgres_up && return 0; sleep 1; done
  say "PostgreSQL did not come up on $PGHOST:$PGPORT"; return 1
}

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

ensure_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null || apt_install redis-server || {
    say "Redis is not installed and cannot be installed here"; return 1; }
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do redis_up && return 0; sleep 0.5; done
  say "Redis did not come up on 127.0.0.1:$REDIS_PORT"; return 1
}

ensure_database() {
  local exists
  exists=$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'recognize'" 2>/dev/null) || {
    say "cannot connect to PostgreSQL as $PGUSER"; return 1; }
  [ "$exists" = 1 ] || createdb -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" recognize
}

case "${1:-ensure}" in
  ensure) ensure_postgres && ensure_redis && ensure_database ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
