# METADATA
# title: Terraform (HCL and plan JSON) checks
# description: Built-in checks over input.resources of a Terraform file or plan (docs/iac-model.md).
package tollgate.iac.terraform

import rego.v1

tf if input.format in {"terraform", "terraform-plan"}

violation(r, id, title, severity, pci, msg) := {
	"id": id, "title": title, "severity": severity, "pci": pci,
	"msg": msg, "line": r.line, "address": r.address,
}

public_acls := {"public-read", "public-read-write", "authenticated-read"}

# TG-TF-001: S3 bucket with a public canned ACL.
deny contains v if {
	tf
	some r in input.resources
	r.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	r.values.acl in public_acls
	v := violation(r, "TG-TF-001", "S3 bucket has a public ACL", "critical", ["1.3.1", "7.2.1"],
		sprintf("%s grants a public ACL (%s)", [r.address, r.values.acl]))
}

# TG-TF-002: RDS instance or cluster without storage encryption.
deny contains v if {
	tf
	some r in input.resources
	r.type in {"aws_db_instance", "aws_rds_cluster"}
	not r.values.storage_encrypted == true
	not is_unknown(r.values.storage_encrypted)
	v := violation(r, "TG-TF-002", "RDS storage is not encrypted", "high", ["3.5.1"],
		sprintf("%s does not set storage_encrypted = true", [r.address]))
}

# TG-TF-003: RDS instance publicly accessible.
deny contains v if {
	tf
	some r in input.resources
	r.type == "aws_db_instance"
	r.values.publicly_accessible == true
	v := violation(r, "TG-TF-003", "RDS instance is publicly accessible", "critical", ["1.3.1", "1.4.1"],
		sprintf("%s sets publicly_accessible = true", [r.address]))
}

admin_ports := {22: "SSH", 3389: "RDP"}

open_cidr(rule) if "0.0.0.0/0" in rule.cidr_blocks

open_cidr(rule) if "::/0" in rule.ipv6_cidr_blocks

open_cidr(rule) if rule.cidr_ipv4 == "0.0.0.0/0"

open_cidr(rule) if rule.cidr_ipv6 == "::/0"

covers(rule, port) if {
	is_number(rule.from_port)
	is_number(rule.to_port)
	rule.from_port <= port
	port <= rule.to_port
}

# Ingress rules of a resource: inline ingress blocks, or the resource itself.
ingress_rules(r) := r.values.ingress if {
	r.type == "aws_security_group"
	is_array(r.values.ingress)
}

ingress_rules(r) := [r.values] if {
	r.type == "aws_security_group_rule"
	r.values.type == "ingress"
}

ingress_rules(r) := [r.values] if r.type == "aws_vpc_security_group_ingress_rule"

# TG-TF-003/4: security group open to the internet on SSH or RDP.
deny contains v if {
	tf
	some r in input.resources
	some rule in ingress_rules(r)
	open_cidr(rule)
	some port, name in admin_ports
	covers(rule, port)
	v := violation(r, "TG-TF-010", "Security group allows administrative access from the internet", "critical", ["1.3.1", "1.2.5"],
		sprintf("%s allows %s (port %d) from anywhere", [r.address, name, port]))
}

is_unknown(x) if x.unknown == true
