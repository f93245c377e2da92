#!/usr/bin/env bash
# The secrets engine in memory against its named baselines, with ratios:
#   bench/secrets_engine_run.sh [BUILD_DIR] [CORPUS_DIR]   (defaults build/release, /usr/include)
# BM_SecretsEngineFullRuleSet: Scanner::Scan with every built-in rule (matching, confirmation, line numbers).
# BM_Baseline_VectorscanMatcherOnly: the same Vectorscan expressions in one database, nothing else.
# BM_Baseline_MemchrLines: one memchr pass (memory bandwidth). Never fails on timing.
set -euo pipefail
build=${1:-build/release}
bin=$build/bench/secrets_bench
[[ -x $bin ]] || { echo "$0: $bin not found; build it first: cmake --build $build --target secrets_bench" >&2; exit 2; }
json=$build/bench/secrets_bench.json
TOLLGATE_BENCH_CORPUS=${2:-/usr/include} "$bin" --benchmark_format=json >"$json"
python3 - "$json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rate = {}
for b in doc["benchmarks"]:
    if b.get("error_occurred"):
        print(f'{b["name"]}: error: {b.get("error_message")}'); continue
    rate[b["name"].split("/")[0]] = b["bytes_per_second"] / 1e6
    if "rules" in b:
        print(f'corpus {b["MB"]:.0f} MB in memory, {b["rules"]:.0f} rules, 1 thread')
for name, r in rate.items():
    print(f"  {name:36s} {r:8.0f} MB/s")
e = rate.get("BM_SecretsEngineFullRuleSet")
if e:
    for base in ("BM_Baseline_VectorscanMatcherOnly", "BM_Baseline_MemchrLines"):
        if base in rate:
            print(f"  engine / {base}: {e / rate[base]:.2f}x")
    print(f"  goal 1 GB/s per core: {'met' if e >= 1000 else 'not met'} ({e:.0f} MB/s)")
PY
