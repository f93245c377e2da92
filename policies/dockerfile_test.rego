package tollgate.iac.dockerfile_test

import rego.v1

import data.tollgate.iac.dockerfile

ins(cmd, value, args, line, stage) := {"cmd": cmd, "value": value, "args": args, "line": line, "stage": stage}

doc(stages, instructions) := {"format": "dockerfile", "file": "Dockerfile", "stages": stages, "instructions": instructions}

base := [{"index": 0, "image": "debian:12", "name": "", "line": 1}]

ids(d) := {v.id | some v in dockerfile.deny with input as d}

test_no_user_denied if "TG-DF-001" in ids(doc(base, [ins("from", "debian:12", ["debian:12"], 1, 0)]))

test_user_allowed if count(ids(doc(base, [ins("from", "debian:12", ["debian:12"], 1, 0), ins("user", "app", ["app"], 2, 0)]))) == 0

test_root_user_denied if "TG-DF-002" in ids(doc(base, [ins("user", "app", ["app"], 2, 0), ins("user", "root", ["root"], 3, 0)]))

test_user_in_build_stage_only_denied if {
	stages := [{"index": 0, "image": "golang:1.22", "name": "build", "line": 1}, {"index": 1, "image": "debian:12", "name": "", "line": 3}]
	"TG-DF-001" in ids(doc(stages, [ins("user", "app", ["app"], 2, 0)]))
}

test_add_url_denied if "TG-DF-003" in ids(doc(base, [ins("add", "https://x/y.tgz /opt/", ["https://x/y.tgz", "/opt/"], 2, 0), ins("user", "app", ["app"], 3, 0)]))

test_add_local_allowed if not "TG-DF-003" in ids(doc(base, [ins("add", "y.tgz /opt/", ["y.tgz", "/opt/"], 2, 0)]))

test_latest_base_denied if "TG-DF-004" in ids(doc([{"index": 0, "image": "ubuntu", "name": "", "line": 1}], []))

test_stage_reference_allowed if {
	stages := [{"index": 0, "image": "golang:1.22", "name": "build", "line": 1}, {"index": 1, "image": "build", "name": "", "line": 3}]
	not "TG-DF-004" in ids(doc(stages, []))
}
