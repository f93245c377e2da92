#!/usr/bin/env python3
"""validate_sbom.py SCHEMA_DIR cyclonedx|spdx FILE: validate an SBOM against the official JSON schema,
offline (every $ref resolves to a file in SCHEMA_DIR). Exit 0 valid, 1 invalid (errors printed)."""
import json, os, sys
import jsonschema

schema_dir, kind, path = sys.argv[1:4]
if kind == "cyclonedx":
    d = os.path.join(schema_dir, "cyclonedx-1.5")
    main = "bom-1.5.schema.json"
else:
    d = os.path.join(schema_dir, "spdx-2.3")
    main = "spdx-schema.json"
store = {}
for f in os.listdir(d):
    if f.endswith(".json"):
        s = json.load(open(os.path.join(d, f)))
        store[s.get("$id", f)] = s
        store[f] = s
schema = json.load(open(os.path.join(d, main)))
resolver = jsonschema.RefResolver(base_uri=schema.get("$id", ""), referrer=schema, store=store)
validator = jsonschema.Draft7Validator(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
for e in errors[:10]:
    print("/".join(str(p) for p in e.path), e.message)
sys.exit(1 if errors else 0)
