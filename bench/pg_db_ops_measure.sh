#!/bin/bash
# Times db check, upgrade check, db backup and a /metrics scrape on a PostgreSQL database of
# 100,000 jobs (issue 17, P8). Run from build/: ../tests/pg/with_pg.sh bash ../bench/pg_db_ops_measure.sh
set -e  # (bash: uses local and ${*:4})
B=$PWD/hypersdk
psql "$HYPERSDK_TEST_PG_URL" -qc "CREATE DATABASE m1"
U="${HYPERSDK_TEST_PG_URL%/*}/m1"
cd /tmp && mkdir -p p8m && cd p8m && : > cfg.yaml
$B --config cfg.yaml --db "$U" db migrate >/dev/null
psql "$U" -qc "INSERT INTO jobs (type, status, max_retries, retry_policy, run_at, created_at, finished_at) SELECT 'noop', CASE WHEN g % 10 = 0 THEN 'running' ELSE 'succeeded' END, 3, '{}', 0, 0, g FROM generate_series(1, 100000) g"
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; echo "$(echo "$(date +%s.%N) - $s" | bc) s: ${*:4}"; }
for i in 1 2 3; do t $B --config cfg.yaml --db "$U" db check --json; done
for i in 1 2 3; do t $B --config cfg.yaml --db "$U" upgrade check --json; done
rm -f b.dump; t $B --config cfg.yaml --db "$U" db backup /tmp/p8m/b.dump; ls -la b.dump
psql "$U" -Atc "SELECT pg_size_pretty(pg_database_size('m1'))"
$B --config cfg.yaml --db "$U" db check | head -5
$B --config cfg.yaml --db "$U" upgrade check | tail -3
P=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$B --config cfg.yaml --db "$U" serve --listen 127.0.0.1:$P > serve.log 2>&1 &
SP=$!
for i in $(seq 50); do curl -sf http://127.0.0.1:$P/api/v1/health >/dev/null && break; sleep 0.2; done
for i in 1 2 3 4 5; do curl -s -o /dev/null -w "metrics scrape %{time_total}s\n" http://127.0.0.1:$P/api/v1/metrics; done
curl -s http://127.0.0.1:$P/api/v1/metrics | grep "^hypersdk_db_"
kill $SP; wait $SP || true
