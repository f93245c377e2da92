#!/usr/bin/env bash
# Run the ledger benchmarks and print a table: each figure, its ratio against
# its named baseline, and whether the performance targets are met.
#
#   bench/run.sh BUILD_DIR [google-benchmark flags...]
#
# BUILD_DIR is a CMake build with TOLLGATE_BUILD_BENCH=ON (the binary is
# BUILD_DIR/bench/ledger_bench). Raw results go to BUILD_DIR/bench/ledger_bench.json.
# The targets are reported, not enforced: the exit status is 0 whatever the
# timings, and non-zero only if the benchmark binary fails or a benchmark
# reports an error.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [benchmark flags...]" >&2
  exit 2
fi
build=$1
shift
bin=$build/bench/ledger_bench
if [[ ! -x $bin ]]; then
  echo "$0: $bin not found; build it first: cmake --build $build --target ledger_bench" >&2
  exit 2
fi
json=$build/bench/ledger_bench.json

# Databases go in a private directory under /tmp, removed however we exit.
scratch=$(mktemp -d /tmp/tollgate-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

echo "ledger_bench: raw results -> $json (about half a minute; building the 1M-entry ledger takes ~10 s)" >&2
TMPDIR=$scratch "$bin" --benchmark_format=json "$@" >"$json"

python3 - "$json" <<'PY'
import json
import sys

# benchmark -> (named baseline, what the baseline stands for)
BASELINES = {
    "BM_AppendBatched": ("BM_Baseline_RawSqliteInsertBatch", "raw SQLite INSERT of the same bytes, one tx, no hashing"),
    "BM_AppendDurable": ("BM_Baseline_RawSqliteInsertDurable", "raw SQLite INSERT of the same bytes, one tx per row"),
    "BM_VerifyFull1M": ("BM_Baseline_Sha256Bodies1M", "SHA-256 of the same body bytes only (digest fetched once)"),
    "BM_InclusionProof1M": ("BM_Baseline_NaiveProof1M", "naive: rebuild the 1M-leaf tree in memory per proof"),
    "BM_ConsistencyProof1M": ("BM_Baseline_NaiveProof1M", "naive: rebuild the 1M-leaf tree in memory per proof"),
}
# benchmark -> (description, predicate on seconds per item)
TARGETS = {
    "BM_AppendBatched": (">= 200,000 entries/s", lambda s: 1 / s >= 200_000),
    "BM_VerifyFull1M": (">= 1,000,000 entries/s", lambda s: 1 / s >= 1_000_000),
    "BM_InclusionProof1M": ("< 1 ms per proof", lambda s: s < 1e-3),
    "BM_ConsistencyProof1M": ("< 1 ms per proof", lambda s: s < 1e-3),
}
UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def fmt_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_rate(rate):
    if rate >= 1e6:
        return f"{rate / 1e6:.3g} M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.3g} k/s"
    return f"{rate:.3g} /s"


with open(sys.argv[1]) as f:
    doc = json.load(f)

results = {}
errors = []
for b in doc.get("benchmarks", []):
    run_type = b.get("run_type", "iteration")
    if run_type == "aggregate" and b.get("aggregate_name") != "median":
        continue  # with --benchmark_repetitions=N the median stands for the runs
    name = b.get("run_name", b["name"]).split("/")[0]
    if run_type == "iteration" and results.get(name, {}).get("median"):
        continue
    if b.get("error_occurred"):
        errors.append(f"{name}: {b.get('error_message', 'error')}")
        continue
    rate = b.get("items_per_second")
    if not rate:
        continue
    iter_s = b["real_time"] * UNIT[b.get("time_unit", "ns")]
    results[name] = {"iter_s": iter_s, "rate": rate, "item_s": 1.0 / rate, "median": run_type == "aggregate",
                     "counters": {k: v for k, v in b.items() if k in ("body_bytes", "proof_hashes", "build_entries_per_s")}}

ctx = doc.get("context", {})
print()
print(f"ledger benchmarks on {ctx.get('host_name', '?')}: {ctx.get('num_cpus', '?')} CPUs, "
      f"library build {ctx.get('library_build_type', '?')}, {ctx.get('date', '')}")
if ctx.get("library_build_type") == "debug":
    print("note: Google Benchmark itself is a debug build; that does not affect the ledger code timed here")
rows = [("benchmark", "time/iter", "per item", "items/s", "vs baseline", "target", "met")]
for name, r in results.items():
    base = BASELINES.get(name)
    vs = ""
    if base and base[0] in results:
        ratio = r["item_s"] / results[base[0]]["item_s"]
        vs = f"{ratio:.2f}x cost" if ratio >= 1 else f"{round(1 / ratio):,}x faster"
    target, met = "", ""
    if name in TARGETS:
        target = TARGETS[name][0]
        met = "yes" if TARGETS[name][1](r["item_s"]) else "NO"
    rows.append((name, fmt_time(r["iter_s"]), fmt_time(r["item_s"]), fmt_rate(r["rate"]), vs, target, met))

widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
for i, row in enumerate(rows):
    print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths))).rstrip())
    if i == 0:
        print("  ".join("-" * w for w in widths))

print()
print("baselines (\"vs baseline\" = per-item time of the benchmark / per-item time of its baseline):")
for name, (base, what) in BASELINES.items():
    if name in results:
        print(f"  {name} vs {base}: {what}")
extra = []
for name, r in results.items():
    c = r["counters"]
    if "body_bytes" in c:
        extra.append(f"{name}: mean entry body {c['body_bytes']:.0f} bytes")
    if "proof_hashes" in c:
        extra.append(f"{name}: mean proof length {c['proof_hashes']:.1f} hashes")
    if "build_entries_per_s" in c:
        extra.append(f"{name}: building the 1M ledger (signed batches of 10,000) ran at {c['build_entries_per_s']:,.0f} entries/s")
if extra:
    print("details:")
    for e in extra:
        print(f"  {e}")
missed = [n for n in TARGETS if n in results and not TARGETS[n][1](results[n]["item_s"])]
print()
print("targets: " + ("all met" if not missed else "missed by " + ", ".join(missed)) + " (reported only; not a failure)")
for e in errors:
    print(f"ERROR {e}")
sys.exit(1 if errors else 0)
PY
