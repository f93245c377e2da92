#!/usr/bin/env bash
# Rego engine figures: bench/rego_run.sh BUILD_DIR [google-benchmark flags...]
# Prints corpus parse+compile time, evaluations per second of 50 deny rules
# over 200 Kubernetes resources, and allocations per evaluation.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
shift
bin=$build/bench/rego_bench
[[ -x $bin ]] || { echo "$0: $bin not found; build it: cmake --build $build --target rego_bench" >&2; exit 2; }
"$bin" --benchmark_min_time=2 "$@"
