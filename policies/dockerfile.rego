# METADATA
# title: Dockerfile checks
# description: Built-in checks over input.stages and input.instructions of a Dockerfile (docs/iac-model.md).
package tollgate.iac.dockerfile

import rego.v1

df if input.format == "dockerfile"

v(id, title, severity, pci, msg, line) := {"id": id, "title": title, "severity": severity, "pci": pci, "msg": msg, "line": line}

last_stage := count(input.stages) - 1

final_users := [i | some i in input.instructions; i.cmd == "user"; i.stage == last_stage]

# TG-DF-001: the final stage never switches away from root.
deny contains x if {
	df
	count(input.stages) > 0
	count(final_users) == 0
	x := v("TG-DF-001", "Container runs as root", "medium", ["2.2.1", "7.2.2"],
		"the final stage has no USER instruction: the container runs as root", input.stages[last_stage].line)
}

# TG-DF-002: the last USER of the final stage is root.
deny contains x if {
	df
	count(final_users) > 0
	u := final_users[count(final_users) - 1]
	split(u.value, ":")[0] in {"root", "0"}
	x := v("TG-DF-002", "Container runs as root", "medium", ["2.2.1", "7.2.2"], "the final USER is root", u.line)
}

# TG-DF-003: ADD from a URL.
deny contains x if {
	df
	some i in input.instructions
	i.cmd == "add"
	some a in i.args
	regex.match(`^https?://`, a)
	x := v("TG-DF-003", "ADD fetches a URL", "medium", ["6.3.2"], sprintf("ADD %s: use curl/wget with a checksum or COPY", [a]), i.line)
}

# TG-DF-004: base image with :latest or without a tag.
deny contains x if {
	df
	some s in input.stages
	s.image != "scratch"
	not stage_name(s.image)
	unpinned(s.image)
	x := v("TG-DF-004", "Base image not pinned", "medium", ["6.3.2"], sprintf("FROM %s uses :latest or no tag", [s.image]), s.line)
}

stage_name(image) if {
	some s in input.stages
	s.name != ""
	lower(s.name) == lower(image)
}

unpinned(image) if endswith(image, ":latest")

unpinned(image) if {
	not contains(image, "@")
	not contains(image, "$")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}
