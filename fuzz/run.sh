#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: fuzz/run.sh BUILD_DIR SECONDS
# Seeds come from fuzz/seeds/<name>/; new corpus entries go to a scratch dir.
set -euo pipefail
dir=${1:?build dir}; secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in config yaml event sarif secrets slo lockfiles versions delivery webhook rego graphql hcl dockerfile admission; do
  bin="$dir/fuzz_$t"
  work=$(mktemp -d)
  cp -r "$here/seeds/$t/." "$work/" 2>/dev/null || true
  echo "fuzz_$t: ${secs}s"
  if ! "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$work" 2>"$work.log"; then
    tail -40 "$work.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
  fi
  rm -rf "$work" "$work.log"
done
exit $status
