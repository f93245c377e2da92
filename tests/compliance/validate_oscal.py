#!/usr/bin/env python3
"""Validates `tollgate report compliance --format oscal` against NIST's official
OSCAL 1.1.3 assessment-results JSON schema (../shared/corpora/schemas/oscal).

Usage:
  validate_oscal.py TOLLGATE SHARED_DIR            records delivery events in a fresh
                                                   ledger and validates a report of
                                                   every framework
  validate_oscal.py --file REPORT.json SHARED_DIR  validates one report

The schema's patterns use \\p{L} and \\p{N}, which Python's `re` does not know:
patterns are matched with the `regex` module (python3-regex). Formats are
checked with jsonschema's FormatChecker.

Exit 0 when valid, 1 when not. A missing schema skips (exit 77) unless
TOLLGATE_REQUIRE_CORPORA is set, then it fails.
"""
import json
import os
import subprocess
import sys
import tempfile

SCHEMA = os.path.join("corpora", "schemas", "oscal", "v1.1.3", "oscal_assessment-results_schema.json")
FRAMEWORKS = ["pci-dss", "sox", "soc2", "gdpr", "nist-csf", "ffiec"]


def corpora_required():
    v = os.environ.get("TOLLGATE_REQUIRE_CORPORA", "")
    return v not in ("", "0")


def validator(schema_path):
    import jsonschema
    import regex

    def pattern(v, patrn, instance, schema):
        if isinstance(instance, str) and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": pattern})
    return cls(schema, format_checker=base.FORMAT_CHECKER)


def check(v, doc, name):
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:10]:
        print(f"{name}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}")
    uuids = []

    def collect(node):
        if isinstance(node, dict):
            for k, val in node.items():
                if k == "uuid":
                    uuids.append(val)
                collect(val)
        elif isinstance(node, list):
            for val in node:
                collect(val)

    collect(doc)
    if len(uuids) != len(set(uuids)):
        print(f"{name}: duplicate uuids")
        return False
    return not errors


def generated_reports(tollgate):
    """Reports of every framework over a ledger of delivery events."""
    with tempfile.TemporaryDirectory(prefix="tollgate-oscal-") as d:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
        env["TOLLGATE_LEDGER"] = os.path.join(d, "ledger.db")

        def tg(*args):
            r = subprocess.run([tollgate, *args], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"tollgate {' '.join(args)}: exit {r.returncode}: {r.stderr}")
            return r.stdout

        tg("ledger", "init")
        tg("event", "change", "--service", "payments", "--commit", "a" * 40, "--time", "2026-10-02T09:00:00Z")
        tg("event", "deploy", "--service", "payments", "--env", "prod", "--commit", "a" * 40, "--status", "success",
           "--time", "2026-10-02T12:00:00Z")
        tg("event", "incident", "open", "--service", "payments", "--id", "INC-7", "--time", "2026-10-03T00:00:00.25Z")
        for fw in FRAMEWORKS:
            for period in (("2026-10-01", "2026-11-01"), ("2025-01-01", "2025-02-01")):
                out = tg("report", "compliance", "--framework", fw, "--from", period[0], "--to", period[1],
                         "--format", "oscal")
                yield f"{fw} {period[0]}", json.loads(out)


def main(argv):
    if len(argv) == 4 and argv[1] == "--file":
        shared, reports = argv[3], None
    elif len(argv) == 3:
        shared, reports = argv[2], None
    else:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = os.path.join(shared, SCHEMA)
    if not os.path.exists(schema_path):
        if corpora_required():
            print(f"OSCAL schema not found at {schema_path} and TOLLGATE_REQUIRE_CORPORA is set")
            return 1
        print(f"SKIP: OSCAL schema not found at {schema_path} (../shared absent)")
        return 77
    v = validator(schema_path)
    if argv[1] == "--file":
        with open(argv[2], encoding="utf-8") as f:
            reports = [(argv[2], json.load(f))]
    else:
        reports = list(generated_reports(argv[1]))
    ok = True
    observations = 0
    for name, doc in reports:
        ok = check(v, doc, name) and ok
        observations += sum(len(r.get("observations", [])) for r in doc["assessment-results"]["results"])
    if argv[1] != "--file" and observations == 0:
        print("no report had an observation")
        ok = False
    print(f"{len(reports)} OSCAL assessment results {'valid' if ok else 'INVALID'} ({observations} observations)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
