# Shared by bench/memory/*.sh: run a command under /usr/bin/time -v, bounded in
# time, and print one row: peak RSS (MB), wall time (s), the label.
# Source it; set TIMEOUT (seconds per command, default 900).

TIMEOUT=${TIMEOUT:-900}

# measure LABEL COMMAND...: prints "LABEL  peak MB  wall s  exit" and leaves the
# command's output in $work/LABEL.out / .err.
measure() {
  local label=$1
  shift
  local log=$work/${label//[^A-Za-z0-9_.-]/_}
  local code=0
  /usr/bin/time -v -o "$log.time" timeout "$TIMEOUT" "$@" >"$log.out" 2>"$log.err" || code=$?
  local kb wall
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.time")
  local note=""
  [[ $code -eq 124 ]] && note=" (stopped after ${TIMEOUT}s)"
  printf '%-44s %9.1f MB  %10s  exit %d%s\n' "$label" "$(echo "${kb:-0} / 1024" | bc -l)" "$wall" "$code" "$note"
}

# The binaries to compare: AFTER (default: this tree's release build) and
# BEFORE (default: build/before/tollgate, a copy of main's binary from before
# the streaming change; skipped when absent).
find_binaries() {
  local root=$1
  AFTER=${AFTER:-$root/build/release/src/tollgate}
  BEFORE=${BEFORE:-$root/build/before/tollgate}
  [[ -x $AFTER ]] || { echo "$0: $AFTER not found: build it (cmake --build --preset release)" >&2; exit 2; }
  [[ -x $BEFORE ]] || { echo "$0: no 'before' binary at $BEFORE: only 'after' is measured" >&2; BEFORE=; }
}
