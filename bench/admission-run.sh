#!/usr/bin/env bash
# Admission latency (issue 15 §3): bench/admission-run.sh [BUILD_DIR]
# 1. admission::Decide in one process over the built-in library grown to 50
#    constraints: p50/p99/max per request (admission_bench).
# 2. The baselines, for the same kind of request: a fresh `tollgate policy eval`
#    process evaluating one template's violation rule, and a fresh
#    `tollgate admission review` process (loads and compiles every template).
# Prints the ratios. Never gates CI.
set -euo pipefail
build=${1:-build/release}
bench=$build/bench/admission_bench
tg=$build/src/tollgate
[[ -x $bench && -x $tg ]] || { echo "$0: build first: cmake --build $build --target admission_bench tollgate" >&2; exit 2; }
out=$("$bench" --benchmark_min_time=1)
echo "$out"
p50=$(echo "$out" | sed -n 's/.*p50 \([0-9]*\) us.*/\1/p')
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys, yaml, os
w = sys.argv[1]
t = yaml.safe_load(open("policies/gatekeeper/templates/no_privileged.yaml"))
target = t["spec"]["targets"][0]
open(os.path.join(w, "t.rego"), "w").write(target["rego"])
for i, lib in enumerate(target.get("libs", [])):
    open(os.path.join(w, f"lib{i}.rego"), "w").write(lib)
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "payments"},
       "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "securityContext": {"privileged": True}}]}}
json.dump({"review": {"kind": {"group": "", "version": "v1", "kind": "Pod"}, "name": "p", "namespace": "payments",
                      "operation": "CREATE", "object": pod}, "parameters": {}}, open(os.path.join(w, "input.json"), "w"))
json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
           "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "name": "p",
                       "namespace": "payments", "operation": "CREATE", "object": pod}}, open(os.path.join(w, "review.json"), "w"))
open(os.path.join(w, "pkg"), "w").write(target["rego"].split("package", 1)[1].split()[0])
PY
pkg=$(cat "$work/pkg")
runs=20
t0=$(date +%s%N)
for _ in $(seq $runs); do "$tg" policy eval -d "$work" -i "$work/input.json" "data.$pkg.violation" >/dev/null; done
eval_us=$(( ($(date +%s%N) - t0) / runs / 1000 ))
t0=$(date +%s%N)
for _ in $(seq $runs); do "$tg" admission review < "$work/review.json" >/dev/null || true; done
review_us=$(( ($(date +%s%N) - t0) / runs / 1000 ))
echo "baseline: fresh 'tollgate policy eval' of one template: ${eval_us} us per request"
echo "baseline: fresh 'tollgate admission review' (14 templates compiled per process): ${review_us} us per request"
if [[ -n $p50 && $p50 -gt 0 ]]; then
  echo "ratio: in-process p50 is $(( eval_us / p50 ))x faster than a fresh policy eval, $(( review_us / p50 ))x faster than a fresh admission review"
fi
