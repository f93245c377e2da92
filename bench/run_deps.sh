#!/usr/bin/env bash
# Dependency scanning benchmark: bench/run_deps.sh BUILD_DIR [SHARED_DIR]
# Prints import and scan figures, the index/naive ratio and the goals.
set -euo pipefail
build=${1:?usage: bench/run_deps.sh BUILD_DIR [SHARED_DIR]}
bin=$build/bench/deps_bench
[[ -x $bin ]] || { echo "$0: $bin not found; build it: cmake --build $build --target deps_bench" >&2; exit 2; }
exec "$bin" "${@:2}"
