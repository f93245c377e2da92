#!/usr/bin/env bash
# Peak memory and wall time of `tollgate ledger export` and
# `tollgate ledger verify --bundle` on a ledger of N entries (default
# 1,000,000, about 174 bytes of event each, one signed checkpoint per batch
# of 10,000), before and after streaming, beside named baselines:
#   export: `cat ledger.db > /dev/null` (reading what is exported)
#   verify: `cat bundle > /dev/null` and Python's json.load of the bundle
#
#   bench/memory/ledger.sh            # 1M entries: several minutes
#   N=100000 bench/memory/ledger.sh   # a bounded first run
# Env: N, BATCH, TIMEOUT (per command), AFTER, BEFORE (binaries), KEEP=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/memory/common.sh"
find_binaries "$root"
N=${N:-1000000}
BATCH=${BATCH:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-mem-ledger.XXXXXX")
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT

"$AFTER" keys gen --out "$work/k" >/dev/null
echo "building a ledger of $N entries in batches of $BATCH ..."
start=$(date +%s)
python3 - "$N" "$BATCH" "$work" <<'PY'
import json, sys
n, batch, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for b, first in enumerate(range(0, n, batch)):
    with open(f"{work}/batch-{b:05d}.jsonl", "w") as f:
        for i in range(first, min(n, first + batch)):
            f.write(json.dumps({"type": "bench.event", "time": "2026-12-03T12:00:00Z", "actor": f"svc-{i % 97}",
                                "subject": f"{i:040x}", "payload": {"n": i, "ok": i % 3 == 0, "note": "x" * 24}},
                               separators=(",", ":")) + "\n")
PY
for f in "$work"/batch-*.jsonl; do
  "$AFTER" ledger append --ledger "$work/l.db" --key "$work/k" <"$f" >/dev/null
  rm -f "$f"
done
echo "built in $(( $(date +%s) - start )) s: $(du -m "$work/l.db" | cut -f1) MB of SQLite"
echo
printf '%-44s %12s  %10s\n' "case ($N entries)" "peak RSS" "wall"
measure "baseline: cat ledger.db" cat "$work/l.db"
[[ -n $BEFORE ]] && measure "before: ledger export" "$BEFORE" ledger export --ledger "$work/l.db" --output "$work/before.json"
measure "after:  ledger export" "$AFTER" ledger export --ledger "$work/l.db" --output "$work/after.json"
if [[ -n $BEFORE && -f $work/before.json ]]; then
  cmp -s "$work/before.json" "$work/after.json" && echo "  (the two bundles are the same bytes)" ||
    echo "  WARNING: the bundles differ"
  rm -f "$work/before.json"
fi
echo "  bundle: $(du -m "$work/after.json" | cut -f1) MB"
measure "baseline: cat bundle" cat "$work/after.json"
measure "baseline: python3 json.load(bundle)" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/after.json"
[[ -n $BEFORE ]] && measure "before: ledger verify --bundle" "$BEFORE" ledger verify --bundle "$work/after.json"
measure "after:  ledger verify --bundle" "$AFTER" ledger verify --bundle "$work/after.json" --trusted-key "$work/k.pub"
