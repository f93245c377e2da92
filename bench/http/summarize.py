#!/usr/bin/env python3
"""Tables for bench/http/run.sh: summarize.py results.csv hostile.txt (Markdown on stdout).

Per configuration and route: requests/s as the mean of the runs with the spread (min-max), p50 and p99 of every
run, the ratio of the mean to the same configuration's /static mean, acknowledged events/s, peak RSS, and
whether the server's stored row count matched what it acknowledged. Goals from issue 16 are shown beside."""
import csv
import sys
from collections import defaultdict

GOALS = {
    "events": "goal >= 5,000 acked events/s",
    "report": "goal >= 20,000 req/s",
    "admission": "goal p99 < 5 ms",
}


def fmt_list(values, digits=2):
    return " / ".join(f"{v:.{digits}f}" for v in values)


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    runs = defaultdict(list)
    order = []
    for r in rows:
        key = (r["config"], r["route"])
        if key not in runs:
            order.append(key)
        runs[key].append(r)
    static_mean = {}
    for (c, route), rs in runs.items():
        if route == "static":
            static_mean[c] = sum(float(r["rps"]) for r in rs) / len(rs)

    print("| route | config | req/s mean (min-max) | vs /static | p50 ms (each run) | p99 ms (each run) | "
          "acked events/s (each run) | server CPU µs/req (each run) | non-2xx / socket errors | peak RSS MiB | "
          "stored = acked |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for route in ["static", "report", "events", "admission"]:
        for (c, r_) in order:
            if r_ != route:
                continue
            rs = runs[(c, route)]
            rps = [float(r["rps"]) for r in rs]
            mean = sum(rps) / len(rps)
            ratio = f"{mean / static_mean[c]:.2f}" if static_mean.get(c) else "-"
            eps = fmt_list([float(r["events_per_s"]) for r in rs], 0) if route == "events" else ""
            bad = f'{sum(int(r["other"] or 0) for r in rs)} / {sum(int(r["socket_errors"] or 0) for r in rs)}'
            rss = max(int(r["peak_rss_kib"] or 0) for r in rs) / 1024
            stored = "yes" if all(r["acked"] == r["stored"] for r in rs) else "NO"
            print(f"| /{route} | {c} | {mean:,.0f} ({min(rps):,.0f}-{max(rps):,.0f}) | {ratio} | "
                  f"{fmt_list([float(r['p50_ms']) for r in rs])} | {fmt_list([float(r['p99_ms']) for r in rs])} | "
                  f"{eps} | {fmt_list([float(r.get('cpu_us_per_req') or 'nan') for r in rs], 0)} | {bad} | {rss:.1f} | {stored} |")
    print()
    print("Goals (issue 16): " + "; ".join(f"/{k}: {v}" for k, v in GOALS.items()))
    if len(sys.argv) > 2:
        print()
        print("Hostile clients (one line per run):")
        print()
        print("```")
        print(open(sys.argv[2]).read().rstrip())
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
