#!/usr/bin/env bash
# Peak memory and time of `tollgate event import` of a large JSON Lines file,
# beside named baselines over the same file in the same run:
#
#   wc -l              reads the file once (the floor of any import)
#   sqlite3 .import    stores the same lines as rows of one SQLite table in
#                      one transaction (what a bare durable store costs)
#   tollgate import    checks every event against the history and appends
#                      them to a new ledger in one transaction
#   event deploy       records one deploy onto that ledger (checked against
#                      all of its history), beside the same deploy onto an
#                      empty ledger
#
#   bench/import-run.sh BUILD_DIR [EVENTS]      (EVENTS defaults to 1,000,000)
#
# The file is generated (deterministic): 90% deploys of 50 services, one in
# nine carrying one change, and incidents opened and resolved, about 174
# bytes a line. Peak memory is /usr/bin/time's "Maximum resident set size".
# The goal (issue 14) is a peak under 256 MB for any file size; it is
# reported, not enforced: the exit status is non-zero only if a step fails.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [EVENTS]" >&2
  exit 2
fi
build=$1
events=${2:-1000000}
bin=$build/src/tollgate
if [[ ! -x $bin ]]; then
  echo "$0: $bin not found; build it first: cmake --build $build --target tollgate" >&2
  exit 2
fi
for tool in /usr/bin/time sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is needed" >&2; exit 2; }
done
scratch=$(mktemp -d /tmp/tollgate-import-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
file=$scratch/events.jsonl

python3 - "$file" "$events" <<'PY'
import random, sys
from datetime import datetime, timezone
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
start = 1735689600  # 2025-01-01T00:00:00Z
step = 30
def ts(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
incidents = max(1, n // 20)
deploys = n - 2 * incidents
change_every = 9
incident_every = max(1, deploys // incidents)
with open(path, "w") as out:
    t = start
    deploy_no = incident_no = 0
    last = {}
    pending = None
    due = False
    for i in range(n):
        if pending:
            svc, iid = pending
            pending = None
            out.write('{"type":"incident","action":"resolve","id":"%s","service":"%s","time":"%s"}\n' % (iid, svc, ts(t)))
        elif due and incident_no < incidents:
            due = False
            s = rng.randrange(50)
            svc = "service-%d" % s
            if svc not in last:
                svc = "service-%d" % ((deploy_no - 1) % 50)
            iid = "inc-%d" % incident_no
            incident_no += 1
            cause = ',"caused_by":"%s"' % last[svc] if incident_no % 3 == 0 else ""
            out.write('{"type":"incident","action":"open","id":"%s","service":"%s","time":"%s"%s}\n' % (iid, svc, ts(t), cause))
            pending = (svc, iid)
        else:
            svc = "service-%d" % (deploy_no % 50)
            sha = "%032x%08x" % (rng.getrandbits(128), deploy_no)
            status = "failure" if rng.randrange(20) == 0 else "success"
            changes = "[]"
            if deploy_no % change_every == 0:
                changes = '[{"commit":"%s","time":"%s"}]' % (sha, ts(t - rng.randrange(72 * 3600)))
            did = "dep-%d" % deploy_no
            out.write('{"type":"deploy","id":"%s","service":"%s","env":"prod","commit":"%s","status":"%s","time":"%s","changes":%s}\n'
                      % (did, svc, sha, status, ts(t), changes))
            last[svc] = did
            deploy_no += 1
            if deploy_no % incident_every == 0:
                due = True
        t += step
PY
lines=$(wc -l <"$file")
bytes=$(stat -c %s "$file")
echo "generated $lines events, $((bytes / 1000000)) MB of JSON Lines ($scratch)"

# measure NAME CMD...: wall seconds and peak RSS (MB) of one command.
declare -A wall rss
measure() {
  local name=$1
  shift
  local log=$scratch/time-$name.txt
  if ! /usr/bin/time -v -o "$log" "$@" >"$scratch/out-$name.txt" 2>"$scratch/err-$name.txt"; then
    echo "$name failed:" >&2
    cat "$scratch/err-$name.txt" "$log" >&2
    exit 1
  fi
  rss[$name]=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
  wall[$name]=$(awk '/Elapsed \(wall clock\)/ {n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$log")
}

measure wc wc -l "$file"
measure sqlite3 sqlite3 "$scratch/baseline.db" '.mode ascii' '.separator "\037" "\n"' \
  'CREATE TABLE t(body TEXT);' ".import $file t"
measure tollgate env TOLLGATE_LEDGER_KEY= "$bin" event import "$file" --ledger "$scratch/ledger.db"
echo "tollgate: $(cat "$scratch/out-tollgate.txt")"
one_deploy=(event deploy --service service-1 --env prod --commit 0123456789abcdef0123456789abcdef01234567)
measure deploy_empty env TOLLGATE_LEDGER_KEY= "$bin" "${one_deploy[@]}" --ledger "$scratch/empty.db"
measure deploy_history env TOLLGATE_LEDGER_KEY= "$bin" "${one_deploy[@]}" --ledger "$scratch/ledger.db"

printf '\n%-34s %10s %12s\n' "step ($lines events)" "wall (s)" "peak RSS (MB)"
printf '%-34s %10s %12s\n' "baseline: wc -l" "${wall[wc]}" "${rss[wc]}"
printf '%-34s %10s %12s\n' "baseline: sqlite3 .import" "${wall[sqlite3]}" "${rss[sqlite3]}"
printf '%-34s %10s %12s\n' "tollgate event import" "${wall[tollgate]}" "${rss[tollgate]}"
printf '%-34s %10s %12s\n' "baseline: event deploy, no history" "${wall[deploy_empty]}" "${rss[deploy_empty]}"
printf '%-34s %10s %12s\n' "event deploy onto the history" "${wall[deploy_history]}" "${rss[deploy_history]}"
ratio=$(awk -v a="${wall[tollgate]}" -v b="${wall[sqlite3]}" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
echo
echo "tollgate event import takes ${ratio}x the time of sqlite3 .import of the same lines"
for step in tollgate deploy_history; do
  if ((${rss[$step]} < 256)); then
    echo "goal: peak memory under 256 MB ($step): met (${rss[$step]} MB)"
  else
    echo "goal: peak memory under 256 MB ($step): NOT met (${rss[$step]} MB) (reported only; not a failure)"
  fi
done
