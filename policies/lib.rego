# METADATA
# title: Shared helpers of the built-in IaC checks
# description: >-
#   Every built-in check is one deny rule with a METADATA block: title, description
#   (the rationale) and custom fields id, severity, resources, pci, cis, nist and
#   remediation. finding() turns that block into the deny result that scan iac
#   converts to a finding; tollgate policy docs lists the same blocks in docs/policies.md.
package tollgate.iac.lib

import rego.v1

# The deny result of a check: the rule's metadata plus what was found where.
finding(meta, r, msg) := {
	"id": meta.custom.id,
	"title": meta.title,
	"severity": meta.custom.severity,
	"pci": meta.custom.pci,
	"cis": object.get(meta.custom, "cis", []),
	"nist": object.get(meta.custom, "nist", []),
	"remediation": meta.custom.remediation,
	"msg": msg,
	"line": object.get(r, "line", 0),
	"address": object.get(r, "address", ""),
}

tf if input.format in {"terraform", "terraform-plan"}

k8s if input.format == "kubernetes"

dockerfile if input.format == "dockerfile"

# The Terraform resources of the given types.
resources(types) := [r | tf; some r in input.resources; r.type in types]

# An expression the loader could not evaluate (docs/iac-model.md): never a violation.
unknown(x) if {
	is_object(x)
	x.unknown == true
}

known(x) if not unknown(x)

# The attribute is not true, and not unknown either (absent, null or false);
# the object holding it is known too.
not_true(o, key) if {
	known(o)
	v := object.get(o, key, null)
	v != true
	known(v)
}

# The attribute is set to false (explicitly).
is_false(o, key) if object.get(o, key, null) == false

# The attribute is absent or null.
unset(o, key) if object.get(o, key, null) == null

# The first of a nested block (nested blocks are arrays of objects), {} when
# there is none, or an unknown when the block (or o) is unknown.
block(o, key) := o if {
	unknown(o)
} else := b if {
	bs := object.get(o, key, [])
	is_array(bs)
	count(bs) > 0
	b := bs[0]
} else := bs if {
	bs := object.get(o, key, null)
	unknown(bs)
} else := {}

# A plain string (not unknown, not empty).
literal_string(x) if {
	is_string(x)
	x != ""
}

# Whether a Terraform reference expression or literal names the resource:
# `aws_s3_bucket.logs.id` names aws_s3_bucket.logs; a literal names the
# resource whose `name_attr` (e.g. bucket) has that value.
refers_to(x, r, _) if {
	unknown(x)
	contains(sprintf("%s.", [x.expr]), sprintf("%s.", [r.address]))
}

refers_to(x, r, name_attr) if {
	is_string(x)
	x == r.values[name_attr]
}

# The resources of the module (all .tf files of the directory, or the whole
# plan) of the given types: input.module.types (docs/iac-model.md), or the
# file's own resources when the input carries no module view.
module_resources(types) := [r | tf; some t in types; some r in input.module.types[t]] if {
	input.module.types
} else := resources(types)

# Some resource of `types` in the module refers to r through attribute `attr`,
# or one refers to something the module cannot resolve (then it may be r: no
# guess). In plan JSON a reference to a value known only after apply is
# absent (null) from the companion's values: unresolvable too (in HCL a
# companion without the attribute is invalid and does not count). With the
# module view the candidates come from its indexes (referrers of r, literals,
# unresolved resources); without it from this file's resources.
companion(types, attr, r, name_attr) if {
	some c in referrers(r)
	c.type in types
	refers_to(c.values[attr], r, name_attr)
}

companion(types, attr, r, name_attr) if {
	some c in literal_users(r.values[name_attr])
	c.type in types
	c.values[attr] == r.values[name_attr]
}

companion(types, attr, _, _) if {
	input.format == "terraform-plan"
	some c in module_resources(types)
	object.get(c.values, attr, null) == null
}

companion(types, attr, _, name_attr) if {
	some c in unresolved_resources
	c.type in types
	unresolvable(object.get(c.values, attr, null), name_attr)
}

# The resources whose unknown expressions may name r.
referrers(r) := object.get(input.module.referrers, r.address, []) if {
	input.module.referrers
} else := [c | tf; some c in input.resources; some v in c.values; unknown(v)]

# The resources with a top-level attribute set to the string.
literal_users(v) := object.get(input.module.literals, v, []) if {
	is_string(v)
	input.module.literals
} else := input.resources if is_string(v)

# The resources with an unknown expression that names no declared resource.
unresolved_resources := [c | some c in input.module.unresolved] if {
	input.module.unresolved
} else := input.resources

unresolvable(x, _) if x == null

unresolvable(x, name_attr) if {
	unknown(x)
	not names_any_resource(x, name_attr)
}

# With the module view: an address named in the expression (`type.name` or
# `data.type.name`) is declared in the module (input.module.addresses, one
# lookup per name instead of a walk over every resource).
names_any_resource(x, _) if {
	input.module.addresses
	some a in regex.find_n(`(data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`, x.expr, -1)
	input.module.addresses[a]
}

names_any_resource(x, name_attr) if {
	not input.module.addresses
	some o in input.resources
	refers_to(x, o, name_attr)
}

# A port range [from, to] covers the port.
covers(from, to, port) if {
	is_number(from)
	is_number(to)
	from <= port
	port <= to
}

# IAM policy statements of a policy document given as a JSON string or object.
statements(doc) := s if {
	is_string(doc)
	json.is_valid(doc)
	s := as_array(json.unmarshal(doc).Statement)
} else := s if {
	is_object(doc)
	known(doc)
	s := as_array(doc.Statement)
} else := []

as_array(x) := x if is_array(x)

as_array(x) := [x] if not is_array(x)

# Credential-like names: PASSWORD, SECRET, TOKEN, *_KEY, API_KEY, ... but not
# names of a file, path, URL or other pointer to one (SECRET_FILE, TOKEN_URL).
credential_name(name) if {
	regex.match(`(?i)(passw(or)?d|secret|token|credential|api_?key|access_?key|private_?key|(^|_)key$)`, name)
	not regex.match(`(?i)(file|files|path|dir|url|uri|name|header|ref|ttl|expiry|length)$`, name)
}

# A literal that looks like a credential rather than a reference or placeholder.
credential_value(v) if {
	is_string(v)
	count(v) >= 8
	not placeholder(v)
}

# References, paths, numbers, and values with whitespace.
placeholder(v) if regex.match(`^\$[({]|^\$[A-Za-z_][A-Za-z0-9_]*$|^[~.]?/|^[0-9]+$|\s`, v)

# Substitutions anywhere in the value: ${VAR}, $(cmd), {{ .Values.x }}, <your-token>,
# #{Token}# and %{x}.
placeholder(v) if regex.match(`\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^<>]+>|#\{[^}]*\}|%\{[^}]*\}`, v)

# Well-known dummy words, as the value or its start (changeme123, your_token_here).
placeholder(v) if regex.match(`^(?i:none|null|true|false|password|secret)$`, v)

placeholder(v) if regex.match(`^(?i:change[_-]?me|replace[_-]?me|your[_-]|placeholder|dummy|example|sample|redacted|todo|fixme|xxx|insert[_-])`, v)

# Names standing for a value: DB_PASSWORD_VAL, API_KEY_VALUE, TOKEN_HERE, __TOKEN__.
placeholder(v) if regex.match(`^[A-Z][A-Z0-9_]*_(VAL|VALUE|HERE|PLACEHOLDER)$|^__[A-Za-z0-9_.-]+__$`, v)

# Masks: ********, xxxxxxxx, ........
placeholder(v) if regex.match(`^(\*+|[xX]+|\.+|-+|_+)$`, v)

# The attribute is not false, and not unknown (absent, null or true); the
# object holding it is known too.
not_false(o, key) if {
	known(o)
	v := object.get(o, key, null)
	v != false
	known(v)
}

# A port spec ("*", "22", "20-25", a number) covers the port.
port_spec_covers(spec, _) if spec in {"*", "all"}

port_spec_covers(spec, port) if spec == port

port_spec_covers(spec, port) if {
	is_string(spec)
	regex.match(`^[0-9]+$`, spec)
	to_number(spec) == port
}

port_spec_covers(spec, port) if {
	is_string(spec)
	regex.match(`^[0-9]+-[0-9]+$`, spec)
	bounds := split(spec, "-")
	covers(to_number(bounds[0]), to_number(bounds[1]), port)
}

# An image reference with :latest or no tag (a digest pins it; a build
# argument like $BASE cannot be known).
unpinned_image(image) if endswith(image, ":latest")

unpinned_image(image) if {
	is_string(image)
	not contains(image, "@")
	not contains(image, "$")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}
