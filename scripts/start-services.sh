#!/usr/bin/env bash
# Start PostgreSQL and Redis when they are installed but not running. Idempotent; never fatal
# for the embedded default, which needs neither (their tests skip with a message when absent).
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! up 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
if ! up 6379 && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-ci.log || true
fi
for port in 5432 6379; do
  for _ in $(seq 1 20); do up "$port" && break; sleep 0.5; done
  up "$port" && echo "service on 127.0.0.1:$port is up" || echo "service on 127.0.0.1:$port is down"
done
