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

gke := {"google_container_cluster"}

# METADATA
# title: GKE control plane is reachable from the whole internet
# description: A cluster without a private endpoint and without master authorized networks (or with 0.0.0.0/0 among them) exposes the Kubernetes API to credential attacks and API exploits from anywhere.
# custom:
#   id: TG-GCP-008
#   severity: high
#   resources: [google_container_cluster]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Google Kubernetes Engine 1.5.0 5.6.3]
#   nist: [AC-17, SC-7]
#   remediation: Add master_authorized_networks_config with the administrative CIDR ranges, or set private_cluster_config.enable_private_endpoint = true.
deny contains f if {
	some r in lib.resources(gke)
	pc := lib.block(r.values, "private_cluster_config")
	lib.not_true(pc, "enable_private_endpoint")
	man := lib.block(r.values, "master_authorized_networks_config")
	lib.known(man)
	open_master(man)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s lets the whole internet reach its control plane", [r.address]))
}

open_master(man) if man == {}

open_master(man) if {
	some c in object.get(man, "cidr_blocks", [])
	c.cidr_block in {"0.0.0.0/0", "::/0"}
}

# METADATA
# title: GKE secrets are not encrypted with a Cloud KMS key
# description: Without application-layer secrets encryption Kubernetes Secrets in etcd are protected only by Google's default storage encryption, not by a key you control, rotate and audit.
# custom:
#   id: TG-GCP-009
#   severity: medium
#   resources: [google_container_cluster]
#   pci: ["3.5.1", "3.6.1"]
#   cis: [CIS Google Kubernetes Engine 1.5.0 5.3.1]
#   nist: [SC-12, SC-28]
#   remediation: Add database_encryption with state = "ENCRYPTED" and key_name of a Cloud KMS key.
deny contains f if {
	some r in lib.resources(gke)
	de := lib.block(r.values, "database_encryption")
	lib.known(de)
	state := object.get(de, "state", "DECRYPTED")
	lib.known(state)
	state != "ENCRYPTED"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not encrypt secrets with a Cloud KMS key (database_encryption)", [r.address]))
}

# METADATA
# title: GKE legacy ABAC is enabled
# description: Legacy attribute-based access control grants broad static permissions outside Kubernetes RBAC, so least privilege cannot be enforced or reviewed.
# custom:
#   id: TG-GCP-010
#   severity: high
#   resources: [google_container_cluster]
#   pci: ["7.2.1", "7.2.2"]
#   cis: [CIS Google Kubernetes Engine 1.5.0 5.8.3]
#   nist: [AC-3, AC-6]
#   remediation: Remove enable_legacy_abac = true and grant access with Kubernetes RBAC and IAM.
deny contains f if {
	some r in lib.resources(gke)
	r.values.enable_legacy_abac == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets enable_legacy_abac = true", [r.address]))
}

# METADATA
# title: GKE cluster does not enforce network policies
# description: Without network policy enforcement every pod can reach every other pod, so a compromised workload reaches the cardholder-data workloads directly.
# custom:
#   id: TG-GCP-011
#   severity: medium
#   resources: [google_container_cluster]
#   pci: ["1.2.1", "1.3.1"]
#   cis: [CIS Google Kubernetes Engine 1.5.0 5.6.7]
#   nist: [AC-4, SC-7]
#   remediation: Use Dataplane V2 (datapath_provider = "ADVANCED_DATAPATH") or set network_policy { enabled = true }, then add NetworkPolicies per namespace.
deny contains f if {
	some r in lib.resources(gke)
	not r.values.enable_autopilot == true
	lib.known(object.get(r.values, "enable_autopilot", false))
	dp := object.get(r.values, "datapath_provider", "")
	lib.known(dp)
	dp != "ADVANCED_DATAPATH"
	lib.not_true(lib.block(r.values, "network_policy"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s enforces no network policies", [r.address]))
}

# METADATA
# title: GKE node auto-upgrade is disabled
# description: Nodes that are not upgraded automatically keep running kernels and kubelets with known vulnerabilities after Google publishes the fixes.
# custom:
#   id: TG-GCP-012
#   severity: medium
#   resources: [google_container_node_pool]
#   pci: ["6.3.3"]
#   cis: [CIS Google Kubernetes Engine 1.5.0 5.5.3]
#   nist: [SI-2]
#   remediation: Set management { auto_upgrade = true } (and use a release channel).
deny contains f if {
	some r in lib.resources({"google_container_node_pool"})
	lib.is_false(lib.block(r.values, "management"), "auto_upgrade")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets auto_upgrade = false", [r.address]))
}

# METADATA
# title: VPC subnet has no flow logs
# description: Flow logs record the connections of a subnet's VMs and nodes; without them network intrusions and data exfiltration cannot be investigated.
# custom:
#   id: TG-GCP-013
#   severity: low
#   resources: [google_compute_subnetwork]
#   pci: ["10.2.1"]
#   cis: [CIS Google Cloud Platform Foundation 2.0.0 3.8]
#   nist: [AU-12, SI-4]
#   remediation: Add log_config with aggregation_interval INTERVAL_5_SEC, flow_sampling 1 and metadata INCLUDE_ALL_METADATA.
deny contains f if {
	some r in lib.resources({"google_compute_subnetwork"})
	purpose := object.get(r.values, "purpose", "PRIVATE")
	purpose in {"PRIVATE", "PRIVATE_RFC_1918"}
	lib.block(r.values, "log_config") == {}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no log_config (flow logs)", [r.address]))
}
