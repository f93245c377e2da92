# METADATA
# title: Terraform Google Cloud checks
# description: Built-in checks over input.resources of a Terraform file or plan (docs/iac-model.md); google resources.
package tollgate.iac.gcp

import rego.v1

import data.tollgate.iac.lib

public_members := {"allUsers", "allAuthenticatedUsers"}

bucket_members(r) := [r.values.member] if r.type == "google_storage_bucket_iam_member"

bucket_members(r) := r.values.members if {
	r.type == "google_storage_bucket_iam_binding"
	is_array(r.values.members)
}

bucket_members(r) := [r.values.entity] if r.type in {"google_storage_bucket_access_control", "google_storage_default_object_access_control"}

# METADATA
# title: Cloud Storage bucket is public
# description: Granting allUsers or allAuthenticatedUsers makes the bucket's objects readable (or writable) by anyone with a Google account or none.
# custom:
#   id: TG-GCP-001
#   severity: critical
#   resources: [google_storage_bucket_iam_member, google_storage_bucket_iam_binding, google_storage_bucket_access_control, google_storage_default_object_access_control]
#   pci: ["1.3.1", "7.2.1"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 5.1]
#   nist: [AC-3, AC-6]
#   remediation: Grant roles to named principals only, and set public_access_prevention = "enforced" on the bucket.
deny contains f if {
	some r in lib.resources({"google_storage_bucket_iam_member", "google_storage_bucket_iam_binding", "google_storage_bucket_access_control", "google_storage_default_object_access_control"})
	some m in bucket_members(r)
	is_string(m)
	some p in public_members
	startswith(m, p)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s grants access to %s", [r.address, m]))
}

# METADATA
# title: Cloud Storage bucket without uniform bucket-level access
# description: Object ACLs next to IAM make effective access hard to review and allow per-object public grants.
# custom:
#   id: TG-GCP-002
#   severity: medium
#   resources: [google_storage_bucket]
#   pci: ["7.2.1"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 5.2]
#   nist: [AC-3, AC-6]
#   remediation: Set uniform_bucket_level_access = true.
deny contains f if {
	some r in lib.resources({"google_storage_bucket"})
	lib.not_true(r.values, "uniform_bucket_level_access")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set uniform_bucket_level_access = true", [r.address]))
}

sql_ip(r) := lib.block(lib.block(r.values, "settings"), "ip_configuration")

# METADATA
# title: Cloud SQL instance has a public IP address
# description: A public IPv4 address (the default when ipv4_enabled is unset) puts the database on the internet, guarded only by authorized networks.
# custom:
#   id: TG-GCP-003
#   severity: high
#   resources: [google_sql_database_instance]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 6.6]
#   nist: [AC-4, SC-7]
#   remediation: Set settings.ip_configuration.ipv4_enabled = false and use private_network (private IP) or the Cloud SQL Auth Proxy.
deny contains f if {
	some r in lib.resources({"google_sql_database_instance"})
	lib.not_false(sql_ip(r), "ipv4_enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has a public IPv4 address", [r.address]))
}

# METADATA
# title: Cloud SQL instance is open to the internet
# description: An authorized network of 0.0.0.0/0 lets every address on the internet connect to the database.
# custom:
#   id: TG-GCP-004
#   severity: critical
#   resources: [google_sql_database_instance]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 6.5]
#   nist: [SC-7]
#   remediation: Remove 0.0.0.0/0 from authorized_networks; list specific client ranges or use private IP.
deny contains f if {
	some r in lib.resources({"google_sql_database_instance"})
	some n in object.get(sql_ip(r), "authorized_networks", [])
	n.value in {"0.0.0.0/0", "::/0"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s authorizes %s", [r.address, n.value]))
}

# METADATA
# title: Cloud SQL instance does not require SSL/TLS
# description: Without ssl_mode ENCRYPTED_ONLY (or require_ssl) clients may connect unencrypted and send credentials and data in the clear.
# custom:
#   id: TG-GCP-005
#   severity: high
#   resources: [google_sql_database_instance]
#   pci: ["4.2.1", "2.2.7"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 6.4]
#   nist: [SC-8]
#   remediation: Set settings.ip_configuration.ssl_mode = "ENCRYPTED_ONLY" or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED".
deny contains f if {
	some r in lib.resources({"google_sql_database_instance"})
	ip := sql_ip(r)
	lib.not_true(ip, "require_ssl")
	mode := object.get(ip, "ssl_mode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED")
	lib.known(mode)
	not mode in {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s accepts unencrypted connections", [r.address]))
}

from_internet(r) if {
	some s in object.get(r.values, "source_ranges", [])
	s in {"0.0.0.0/0", "::/0"}
}

allows_port(r, port) if {
	some a in object.get(r.values, "allow", [])
	object.get(a, "protocol", "") in {"tcp", "all", "6"}
	port_in(a, port)
}

port_in(a, _) if count(object.get(a, "ports", [])) == 0

port_in(a, port) if {
	some spec in a.ports
	lib.port_spec_covers(spec, port)
}

# METADATA
# title: GCP firewall allows SSH or RDP from the internet
# description: SSH and RDP open to 0.0.0.0/0 expose administrative interfaces to brute force and exploits from anywhere.
# custom:
#   id: TG-GCP-006
#   severity: critical
#   resources: [google_compute_firewall]
#   pci: ["1.3.1", "1.2.5", "2.2.7"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 3.6, CIS Google Cloud Platform Foundation 2.0.0 3.7]
#   nist: [AC-17, SC-7]
#   remediation: Restrict source_ranges to administrative ranges or use Identity-Aware Proxy TCP forwarding (35.235.240.0/20).
deny contains f if {
	some r in lib.resources({"google_compute_firewall"})
	upper(object.get(r.values, "direction", "INGRESS")) == "INGRESS"
	not r.values.disabled == true
	from_internet(r)
	some port, name in {22: "SSH", 3389: "RDP"}
	allows_port(r, port)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s (port %d) from the internet", [r.address, name, port]))
}

# METADATA
# title: Cloud KMS key is not rotated within 90 days
# description: Without a rotation period of at most 90 days one key version protects data indefinitely.
# custom:
#   id: TG-GCP-007
#   severity: medium
#   resources: [google_kms_crypto_key]
#   pci: ["3.6.1", "3.7.4"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 1.10]
#   nist: [SC-12]
#   remediation: Set rotation_period = "7776000s" (90 days) or shorter.
deny contains f if {
	some r in lib.resources({"google_kms_crypto_key"})
	object.get(r.values, "purpose", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
	slow_rotation(object.get(r.values, "rotation_period", null))
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s is not rotated within 90 days", [r.address]))
}

slow_rotation(p) if p == null

slow_rotation(p) if {
	is_string(p)
	regex.match(`^[0-9]+(\.[0-9]+)?s$`, p)
	to_number(trim_suffix(p, "s")) > 7776000
}
