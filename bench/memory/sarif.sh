#!/usr/bin/env bash
# Peak memory and wall time of `tollgate scan import` of a SARIF report of
# SIZE_MB (default 551) of distinct results, shaped as CodeQL writes them
# (rule and artifact indexes, region, partial fingerprints, a 4-step code
# flow; about 1.2 KB per result), before and after streaming, beside named
# baselines: `cat report > /dev/null` and Python's json.load of the report.
#
#   bench/memory/sarif.sh               # 551 MB: several minutes
#   SIZE_MB=60 bench/memory/sarif.sh    # a bounded first run
# Env: SIZE_MB, TIMEOUT (per command), AFTER, BEFORE (binaries), KEEP=1,
# SKIP_PYTHON=1 (no json.load baseline: it takes minutes and 4 GB).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/memory/common.sh"
find_binaries "$root"
SIZE_MB=${SIZE_MB:-551}
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-mem-sarif.XXXXXX")
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT

python3 - "$SIZE_MB" "$work/report.sarif" <<'PY'
import json, sys
limit, path = int(sys.argv[1]) << 20, sys.argv[2]
rules = [{"id": f"js/rule-{r}", "shortDescription": {"text": f"Rule {r}"},
          "help": {"text": f"Rule {r}: use a safe API. " + "Explanation. " * 40},
          "properties": {"tags": ["security", f"external/cwe/cwe-{70 + r:03d}"], "security-severity": f"{r % 10}.5"}}
         for r in range(60)]
artifacts = [{"location": {"uri": f"src/module{a}/file{a % 7}.js"}} for a in range(2000)]
with open(path, "w") as out:
    head = json.dumps({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
                       "runs": [{"tool": {"driver": {"name": "CodeQL", "rules": rules}}, "artifacts": artifacts,
                                 "results": []}]}, separators=(",", ":"))
    out.write(head[:-4])  # up to and including "results":[
    size, i = len(head), 0
    while size < limit:
        rule, art = i % 60, (i * 7919) % 2000
        loc = {"physicalLocation": {"artifactLocation": {"uri": artifacts[art]["location"]["uri"], "index": art},
                                    "region": {"startLine": i % 5000 + 1, "startColumn": 5, "endColumn": 40}}}
        result = {"ruleId": f"js/rule-{rule}", "ruleIndex": rule,
                  "message": {"text": f"Tainted value number {i} reaches a sink."}, "locations": [loc],
                  "partialFingerprints": {"primaryLocationLineHash": f"{(i * 2654435761) & 0xffffffffffff:012x}:1"},
                  "codeFlows": [{"threadFlows": [{"locations": [{"location": loc}] * 4}]}]}
        text = ("," if i else "") + json.dumps(result, separators=(",", ":"))
        out.write(text)
        size += len(text)
        i += 1
    out.write("]}]}\n")
print(f"report: {i} results")
PY
echo "  $(du -m "$work/report.sarif" | cut -f1) MB"
echo
printf '%-44s %12s  %10s\n' "case (${SIZE_MB} MB SARIF)" "peak RSS" "wall"
measure "baseline: cat report" cat "$work/report.sarif"
[[ ${SKIP_PYTHON:-0} == 1 ]] || measure "baseline: python3 json.load(report)" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/report.sarif"
args=(scan import "$work/report.sarif" --gate sast --fail-on none)
# Text to stdout (a file): reading, converting, holding and sorting the
# findings, and printing them. JSON to a file (-o) also prints the text to
# stdout, and writes the JSON finding by finding through an atomic file.
[[ -n $BEFORE ]] && measure "before: scan import (text to stdout)" "$BEFORE" "${args[@]}"
measure "after:  scan import (text to stdout)" "$AFTER" "${args[@]}"
if [[ -n $BEFORE ]]; then
  cmp -s "$work/before__scan_import__text_to_stdout_.out" "$work/after___scan_import__text_to_stdout_.out" &&
    echo "  (the same text, byte for byte)" || echo "  WARNING: the text outputs differ"
fi
[[ -n $BEFORE ]] && measure "before: scan import --format json -o" "$BEFORE" "${args[@]}" --format json --output "$work/before.json"
measure "after:  scan import --format json -o" "$AFTER" "${args[@]}" --format json --output "$work/after.json"
if [[ -n $BEFORE && -f $work/before.json ]]; then
  cmp -s "$work/before.json" "$work/after.json" && echo "  (the same findings, byte for byte)" ||
    echo "  WARNING: the outputs differ"
fi
echo "  findings written as JSON: $(du -m "$work/after.json" | cut -f1) MB"
# SARIF and JUnit out: both need a pass for their header (rules; suite
# totals) before the findings, so a report beyond the memory budget is read
# back from disk twice.
for fmt in sarif junit; do
  [[ -n $BEFORE ]] && measure "before: scan import --format $fmt -o" "$BEFORE" "${args[@]}" --format $fmt --output "$work/before.$fmt"
  measure "after:  scan import --format $fmt -o" "$AFTER" "${args[@]}" --format $fmt --output "$work/after.$fmt"
  if [[ -n $BEFORE && -f $work/before.$fmt ]]; then
    cmp -s "$work/before.$fmt" "$work/after.$fmt" && echo "  (the same $fmt, byte for byte)" ||
      echo "  WARNING: the $fmt outputs differ"
  fi
done
