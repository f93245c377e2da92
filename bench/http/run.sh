#!/usr/bin/env bash
# Rebuild and rerun the HTTP-layer comparison for `tollgate serve` (bench/http/README.md): Boost.Beast/Asio vs
# cpp-httplib, both on 127.0.0.1 only, every run bounded in time.
#
#   bench/http/run.sh [--quick]
#
# Environment: BUILD (build dir, default build/http-bench), PORT (default: a free port, new for every server), DURATION (wrk seconds, 10), REPS
# (repetitions of every configuration, 2), CONNS (wrk connections, 32). --quick: DURATION=3, REPS=1, short
# hostile-client runs (a smoke test, not figures to quote).
# Output: a table per section on stdout; raw rows in $BUILD/results.csv and $BUILD/hostile.txt.
# Full run: about 18 minutes. Needs wrk and python3 (Debian packages wrk, python3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build/http-bench}
port_fixed=${PORT:-}
port=0
duration=${DURATION:-10}
reps=${REPS:-2}
conns=${CONNS:-32}
hostile_s=20
if [[ ${1:-} == --quick ]]; then
  duration=3 reps=1 hostile_s=8
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--quick]" >&2
  exit 2
fi
command -v wrk >/dev/null || { echo "$0: wrk not found (apt-get install wrk)" >&2; exit 2; }

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 >/dev/null

scratch=$(mktemp -d /tmp/http-bench.XXXXXX)
pid=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# Configurations: name -> server binary and flags. Every server: 1 MiB body limit, 10 s timeouts.
declare -A cfg=(
  [beast-1]="beast_server --threads 1 --blocking 2"
  [beast-2]="beast_server --threads 2 --blocking 2"
  [beast-1-b1]="beast_server --threads 1 --blocking 1"
  [httplib-2]="httplib_server --threads 2"
  [httplib-4]="httplib_server --threads 4"
  [httplib-def]="httplib_server"
  [httplib-def-ka5]="httplib_server --keepalive-max 5"
  [httplib-def-nagle]="httplib_server --no-nodelay"
  [httplib-def-guard]="httplib_server --guard"
)
main_cfgs=(beast-1 beast-2 httplib-2 httplib-4 httplib-def)
# config:route pairs: what httplib's default keep-alive count (5) and Nagle cost on /static, and what a single
# blocking thread (parse and commit serial) costs Beast on /events.
variants=(httplib-def-ka5:static httplib-def-nagle:static beast-1-b1:events)
latency_cfgs=(beast-1 beast-2 httplib-def)
hostile_cfgs=(beast-1 httplib-def httplib-def-guard)
routes=(static report events admission)

start_server() {  # config name
  local bin args
  read -r bin args <<<"${cfg[$1]}"
  rm -f "$scratch"/events.db*
  port=${port_fixed:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  # shellcheck disable=SC2086
  "$build/$bin" --port "$port" --db "$scratch/events.db" --max-body 1048576 --timeout 10 $args \
    >"$scratch/server.out" 2>"$scratch/server.err" &
  pid=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$0: $1 did not start: $(cat "$scratch/server.err")" >&2
  exit 1
}

stop_server() {  # sets acked, stored, rss from the server's exit line
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
  read -r acked stored rss <<<"$(sed -n 's/^acked_events=\([0-9]*\) stored_events=\([0-9-]*\) peak_rss_kib=\([0-9-]*\)$/\1 \2 \3/p' \
    "$scratch/server.out")"
}

to_ms() {  # wrk latency (123.00us, 1.23ms, 1.23s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000;
                         else if (v ~ /m$/) n *= 60000; printf "%.3f", n }'
}

run_wrk() {  # route connections -> wrk output file
  local route=$1 n=$2 out=$scratch/wrk.out threads=2
  local method=GET body="" ctype=""
  case $route in
    events) method=POST body=$here/data/events.jsonl ctype=application/x-ndjson ;;
    admission) method=POST body=$here/data/admission.json ctype=application/json ;;
  esac
  [[ $n -lt 2 ]] && threads=1
  WRK_METHOD=$method WRK_BODY=$body WRK_CTYPE=$ctype \
    wrk -t"$threads" -c"$n" -d"${duration}s" --timeout 5s --latency -s "$here/wrk.lua" "http://127.0.0.1:$port/$route" >"$out"
  echo "$out"
}

results=$build/results.csv
echo "rep,config,route,rps,p50_ms,p99_ms,ok,other,socket_errors,seconds,events_per_s,acked,stored,peak_rss_kib,cpu_us_per_req" >"$results"
echo "# http bench: $(nproc) cores, $(uptime), wrk -t2 -c$conns -d${duration}s, reps=$reps"

measure() {  # rep config route [connections: default $conns with 2 wrk threads; 1 = one connection, one thread]
  local rep=$1 c=$2 route=$3 n=${4:-$conns} label=$2 out rps p50 p99 ok other errs secs eps acked stored rss ticks reqs cpu
  [[ $n != "$conns" ]] && label="$c@c$n"
  start_server "$c"
  out=$(run_wrk "$route" "$n")
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")  # server CPU (user + system), whole life
  stop_server
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  ok=$(sed -n 's/^STATUS ok=\([0-9]*\) other=.*/\1/p' "$out")
  other=$(sed -n 's/^STATUS ok=[0-9]* other=\([0-9]*\)/\1/p' "$out")
  errs=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
  secs=$(awk '/requests in/ {v = $4; sub(/,$/, "", v); n = v + 0; if (v ~ /ms$/) n /= 1000; else if (v ~ /m$/) n *= 60; print n}' "$out")
  reqs=$(awk '/requests in/ {print $1}' "$out")
  cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
  eps=0
  [[ $route == events ]] && eps=$(awk -v ok="$ok" -v s="$secs" 'BEGIN { printf "%.0f", ok * 50 / s }')
  echo "$rep,$label,$route,$rps,$p50,$p99,$ok,$other,${errs:-0},$secs,$eps,$acked,$stored,$rss,$cpu" | tee -a "$results" >&2
}

# Interleaved: each repetition runs every route on every configuration, so background load hits all alike.
for rep in $(seq "$reps"); do
  for route in "${routes[@]}"; do
    for c in "${main_cfgs[@]}"; do measure "$rep" "$c" "$route"; done
  done
  for v in "${variants[@]}"; do measure "$rep" "${v%%:*}" "${v#*:}"; done
  # Latency without queueing: one client, one connection (the admission goal is a latency, not a throughput).
  for route in static admission; do
    for c in "${latency_cfgs[@]}"; do measure "$rep" "$c" "$route" 1; done
  done
done

hostile=$build/hostile.txt
: >"$hostile"
for rep in $(seq "$reps"); do
  for c in "${hostile_cfgs[@]}"; do
    for mode in idle trickle; do
      start_server "$c"
      line=$(python3 "$here/probe.py" slowloris "$port" --mode "$mode" --conns 200 --seconds "$hostile_s")
      after=$(python3 "$here/probe.py" get "$port")
      stop_server
      echo "rep=$rep config=$c $line after: $after peak_rss_kib=$rss" | tee -a "$hostile" >&2
    done
    for mode in length chunked; do
      start_server "$c"
      line=$(timeout 120 python3 "$here/probe.py" bigbody "$port" --mode "$mode" --mb 100 --timeout 30 || echo "bigbody mode=$mode (client timed out)")
      after=$(python3 "$here/probe.py" get "$port")
      stop_server
      echo "rep=$rep config=$c $line after: $after peak_rss_kib=$rss" | tee -a "$hostile" >&2
    done
  done
done
echo "# finished: $(uptime)"

python3 "$here/summarize.py" "$results" "$hostile"
