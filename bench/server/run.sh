#!/usr/bin/env bash
# Load on `tollgate serve`, loopback only, bounded: bench/server/run.sh [BUILD_DIR] [SECONDS]
# Prints requests/s, p50 and p99 per route and the ratio to a static baseline
# served by the same HTTP stack in the same run (GET /api/v1/openapi.json, a
# precomputed document): durable event ingestion in batches, cached DORA
# report reads, ledger proofs, and admission reviews over HTTPS.
#
# The ledger and server state are SQLite files in a temporary directory, or,
# with POSTGRES set, PostgreSQL: POSTGRES=local starts a throwaway cluster
# with fsync on (.ci/postgres.sh, PG_DURABLE=1); POSTGRES=postgres://... uses
# that database, in a schema of its own dropped at the end (needs psql).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); export BENCH_DIR="$here"
build=${1:-build/release}; secs=${2:-10}
tg=$(realpath "$build/src/tollgate")
work=$(mktemp -d); pid=; pgdir=; schema=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  [ -n "$schema" ] && psql "$POSTGRES" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
  [ -n "$pgdir" ] && "$here/../../.ci/postgres.sh" stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
ledger="$work/ledger.db"; backend=sqlite
if [ "${POSTGRES:-}" = local ]; then
  pgdir=$(mktemp -d)
  eval "$(PG_DURABLE=1 "$here/../../.ci/postgres.sh" start "$pgdir")"
  ledger=$TOLLGATE_PG_URL; backend="postgresql (local cluster, fsync on)"
elif [ -n "${POSTGRES:-}" ]; then
  command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql-client)"; exit 2; }
  schema=tollgate_bench_$$
  psql "$POSTGRES" -qc "CREATE SCHEMA $schema" >/dev/null
  case "$POSTGRES" in *\?*) sep='&' ;; *) sep='?' ;; esac
  ledger="$POSTGRES${sep}options=-csearch_path%3D$schema"; backend="postgresql (schema $schema)"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
# The per-principal rate limit is off here: the benchmark is one principal.
printf 'version: 1\nlimits: { rate_per_second: 0 }\n' > "$work/server.yaml"
"$tg" serve --config "$work/server.yaml" --listen 127.0.0.1:0 --ledger "$ledger" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --threads "${THREADS:-64}" >"$work/serve.log" 2>"$work/serve.err" & pid=$!
for i in $(seq 1 100); do grep -q '^listening on' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.log"); token=$(sed -n 's/^admin token: //p' "$work/serve.log")
[ -n "$url" ] || { echo "server did not start"; cat "$work/serve.err"; exit 1; }
echo "server $url, ledger and state on $backend, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${secs}s per run"

run() {  # run NAME SCRIPT [env...]
  local name=$1 script=$2; shift 2
  local out; out=$(env "$@" wrk -t2 -c"${CONNS:-16}" -d"${secs}s" --latency -s "$here/$script" "$url" 2>&1 | grep '^RESULT' || true)
  [ -n "$out" ] || { echo "$name: wrk failed"; return; }
  eval "$(echo "$out" | sed 's/^RESULT //')"
  local rps=$(( requests * 1000000 / duration_us ))
  printf '%-26s %9d req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d non-2xx %d\n' "$name" "$rps" \
    "$(awk -v v="$p50_us" 'BEGIN{print v/1000}')" "$(awk -v v="$p99_us" 'BEGIN{print v/1000}')" "$errors" "$non2xx"
  last_rps=$rps
}

run "static baseline" get.lua PATH_Q=/api/v1/openapi.json; base=$last_rps
# Seed some history so reports have work to do.
for b in $(seq 1 20); do
  python3 - "$b" > "$work/seed.jsonl" <<'PY'
import sys
b=int(sys.argv[1])
for i in range(100):
    print('{"type":"deploy","id":"seed-%d-%d","service":"payments-api","env":"prod","commit":"c%d-%d","status":"success","time":"2026-%02d-%02dT%02d:%02d:00Z","changes":[{"commit":"x%d-%d","time":"2026-01-01T00:00:00Z"}]}' % (b, i, b, i, 1 + b % 11, 1 + i % 27, i % 24, b, b, i))
PY
  curl -sk -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/x-ndjson" --data-binary @"$work/seed.jsonl" "$url/api/v1/events"
done
run "dora report (cached)" get.lua TOKEN="$token" PATH_Q="/api/v1/reports/dora?window=3650d"; dora=$last_rps
run "ledger head" get.lua TOKEN="$token" PATH_Q=/api/v1/ledger/head
run "inclusion proof" get.lua TOKEN="$token" PATH_Q="/api/v1/ledger/proof/inclusion?index=100"
run "events, batches of 100" events.lua TOKEN="$token" BATCH=100; ev=$last_rps
echo "durable events/s: $(( ev * 100 )) (each request one transaction, fsync'd before the answer)"
cat > "$work/review.json" <<'J'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"payments","name":"p","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"payments"},"spec":{"containers":[{"name":"c","image":"registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000","securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true},"resources":{"limits":{"cpu":"1","memory":"256Mi"}}}]}}}}
J
run "admission review" post.lua PATH_Q=/admission/validate BODY_FILE="$work/review.json"
awk -v d="$dora" -v e="$ev" -v b="$base" 'BEGIN{printf "ratios to the static baseline: dora report %.2f, event batches %.2f\n", d/b, e/b}'
"$tg" ledger verify --ledger "$ledger" | tail -1
