# METADATA
# title: Terraform Azure checks
# description: Built-in checks over input.resources of a Terraform file or plan (docs/iac-model.md); azurerm resources.
package tollgate.iac.azure

import rego.v1

import data.tollgate.iac.lib

# METADATA
# title: Azure storage account allows public blob access
# description: With nested items allowed to be public (the azurerm 3.x default when unset) any container can be switched to anonymous read access.
# custom:
#   id: TG-AZ-001
#   severity: high
#   resources: [azurerm_storage_account]
#   pci: ["1.3.1", "7.2.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 3.7]
#   nist: [AC-3, SC-7]
#   remediation: Set allow_nested_items_to_be_public = false (allow_blob_public_access = false on azurerm 2.x).
deny contains f if {
	some r in lib.resources({"azurerm_storage_account"})
	public_blobs(r.values)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows public access to blobs", [r.address]))
}

public_blobs(v) if v.allow_nested_items_to_be_public == true

public_blobs(v) if v.allow_blob_public_access == true

public_blobs(v) if {
	lib.unset(v, "allow_nested_items_to_be_public")
	lib.unset(v, "allow_blob_public_access")
}

# METADATA
# title: Azure storage account accepts plain HTTP
# description: Turning off secure transfer lets clients read and write data and shared keys over unencrypted HTTP.
# custom:
#   id: TG-AZ-002
#   severity: high
#   resources: [azurerm_storage_account]
#   pci: ["4.2.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 3.1]
#   nist: [SC-8]
#   remediation: Remove enable_https_traffic_only = false / https_traffic_only_enabled = false (both default to true).
deny contains f if {
	some r in lib.resources({"azurerm_storage_account"})
	some k in ["enable_https_traffic_only", "https_traffic_only_enabled"]
	lib.is_false(r.values, k)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets %s = false", [r.address, k]))
}

# METADATA
# title: Azure storage account allows TLS below 1.2
# description: TLS 1.0 and 1.1 are deprecated protocols with known weaknesses.
# custom:
#   id: TG-AZ-003
#   severity: medium
#   resources: [azurerm_storage_account]
#   pci: ["4.2.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 3.15]
#   nist: [SC-8, SC-13]
#   remediation: Set min_tls_version = "TLS1_2".
deny contains f if {
	some r in lib.resources({"azurerm_storage_account"})
	r.values.min_tls_version in {"TLS1_0", "TLS1_1"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets min_tls_version = %s", [r.address, r.values.min_tls_version]))
}

# METADATA
# title: Azure database server allows public network access
# description: A database server reachable from public networks depends only on its firewall rules; cardholder-data stores belong behind private endpoints.
# custom:
#   id: TG-AZ-004
#   severity: high
#   resources: [azurerm_mssql_server, azurerm_postgresql_server, azurerm_mysql_server, azurerm_postgresql_flexible_server, azurerm_mysql_flexible_server]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 4.1.2]
#   nist: [AC-4, SC-7]
#   remediation: Set public_network_access_enabled = false and connect through a private endpoint or VNet integration.
deny contains f if {
	some r in lib.resources({"azurerm_mssql_server", "azurerm_postgresql_server", "azurerm_mysql_server", "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"})
	public_db(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows public network access", [r.address]))
}

# Flexible servers are public unless delegated to a subnet.
public_db(r) if {
	r.type in {"azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"}
	r.values.public_network_access_enabled == true
}

public_db(r) if {
	r.type in {"azurerm_mssql_server", "azurerm_postgresql_server", "azurerm_mysql_server"}
	lib.not_false(r.values, "public_network_access_enabled")
}

# METADATA
# title: Azure database firewall rule allows the whole internet
# description: A firewall rule from 0.0.0.0 to 255.255.255.255 admits every address on the internet to the database endpoint.
# custom:
#   id: TG-AZ-005
#   severity: critical
#   resources: [azurerm_mssql_firewall_rule, azurerm_sql_firewall_rule, azurerm_postgresql_firewall_rule, azurerm_mysql_firewall_rule, azurerm_postgresql_flexible_server_firewall_rule, azurerm_mysql_flexible_server_firewall_rule]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 4.1.2]
#   nist: [SC-7]
#   remediation: Allow only the client ranges that need access, or use private endpoints.
deny contains f if {
	some r in lib.resources({
		"azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule", "azurerm_postgresql_firewall_rule", "azurerm_mysql_firewall_rule",
		"azurerm_postgresql_flexible_server_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule",
	})
	r.values.start_ip_address == "0.0.0.0"
	r.values.end_ip_address == "255.255.255.255"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows 0.0.0.0-255.255.255.255", [r.address]))
}

# METADATA
# title: Azure database does not enforce TLS 1.2
# description: Connections without enforced TLS (or with TLS 1.0/1.1) expose queries, results and credentials on the network.
# custom:
#   id: TG-AZ-006
#   severity: high
#   resources: [azurerm_mssql_server, azurerm_postgresql_server, azurerm_mysql_server]
#   pci: ["4.2.1", "2.2.7"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 4.3.1, CIS Microsoft Azure Foundations 2.0.0 4.4.1]
#   nist: [SC-8, SC-13]
#   remediation: Set minimum_tls_version = "1.2" (SQL) or ssl_enforcement_enabled = true with ssl_minimal_tls_version_enforced = "TLS1_2" (PostgreSQL/MySQL).
deny contains f if {
	some r in lib.resources({"azurerm_mssql_server", "azurerm_postgresql_server", "azurerm_mysql_server"})
	some problem in weak_db_tls(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: %s", [r.address, problem]))
}

weak_db_tls(r) := {sprintf("minimum_tls_version = %s", [r.values.minimum_tls_version]) |
	r.type == "azurerm_mssql_server"
	r.values.minimum_tls_version in {"1.0", "1.1", "Disabled"}
} | {"ssl_enforcement_enabled = false" |
	r.type != "azurerm_mssql_server"
	lib.is_false(r.values, "ssl_enforcement_enabled")
} | {sprintf("ssl_minimal_tls_version_enforced = %s", [r.values.ssl_minimal_tls_version_enforced]) |
	r.type != "azurerm_mssql_server"
	r.values.ssl_minimal_tls_version_enforced in {"TLS1_0", "TLS1_1", "TLSEnforcementDisabled"}
}

internet_sources := {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}

# Inbound allow rules of an NSG or NSG rule resource.
nsg_rules(r) := r.values.security_rule if {
	r.type == "azurerm_network_security_group"
	is_array(r.values.security_rule)
}

nsg_rules(r) := [r.values] if r.type == "azurerm_network_security_rule"

from_internet(rule) if lower(object.get(rule, "source_address_prefix", "")) in internet_sources

from_internet(rule) if {
	some p in object.get(rule, "source_address_prefixes", [])
	lower(p) in internet_sources
}

nsg_port(rule, port) if lib.port_spec_covers(object.get(rule, "destination_port_range", ""), port)

nsg_port(rule, port) if {
	some spec in object.get(rule, "destination_port_ranges", [])
	lib.port_spec_covers(spec, port)
}

# METADATA
# title: Azure network security group allows SSH or RDP from the internet
# description: SSH and RDP open to any source expose administrative interfaces to brute force and exploits from anywhere.
# custom:
#   id: TG-AZ-007
#   severity: critical
#   resources: [azurerm_network_security_group, azurerm_network_security_rule]
#   pci: ["1.3.1", "1.2.5", "2.2.7"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 6.1, CIS Microsoft Azure Foundations 2.0.0 6.2]
#   nist: [AC-17, SC-7]
#   remediation: Restrict source_address_prefix to administrative ranges, or use Azure Bastion or just-in-time access.
deny contains f if {
	some r in lib.resources({"azurerm_network_security_group", "azurerm_network_security_rule"})
	some rule in nsg_rules(r)
	lower(object.get(rule, "direction", "")) == "inbound"
	lower(object.get(rule, "access", "")) == "allow"
	from_internet(rule)
	some port, name in {22: "SSH", 3389: "RDP"}
	nsg_port(rule, port)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s (port %d) from the internet", [r.address, name, port]))
}

# METADATA
# title: Azure Key Vault has no purge protection
# description: Without purge protection a deleted vault and its keys can be purged immediately, destroying the keys that decrypt stored data.
# custom:
#   id: TG-AZ-008
#   severity: medium
#   resources: [azurerm_key_vault]
#   pci: ["3.6.1", "3.7.2"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 8.5]
#   nist: [SC-12, CP-9]
#   remediation: Set purge_protection_enabled = true (soft delete stays on).
deny contains f if {
	some r in lib.resources({"azurerm_key_vault"})
	lib.not_true(r.values, "purge_protection_enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set purge_protection_enabled = true", [r.address]))
}

aks := {"azurerm_kubernetes_cluster"}

# METADATA
# title: AKS API server is reachable from the whole internet
# description: A cluster that is neither private nor limited to authorized IP ranges exposes the Kubernetes API to credential attacks and API exploits from anywhere.
# custom:
#   id: TG-AZ-009
#   severity: high
#   resources: [azurerm_kubernetes_cluster]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Azure Kubernetes Service 1.4.0 5.4.1]
#   nist: [AC-17, SC-7]
#   remediation: Set private_cluster_enabled = true, or api_server_access_profile { authorized_ip_ranges = [administrative ranges] }.
deny contains f if {
	some r in lib.resources(aks)
	lib.not_true(r.values, "private_cluster_enabled")
	ranges := authorized_ranges(r.values)
	is_array(ranges)
	open_ranges(ranges)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s lets the whole internet reach its API server", [r.address]))
}

# The authorized IP ranges: api_server_access_profile (provider 3.x and 4.x) or
# the older api_server_authorized_ip_ranges; an unknown when either is unknown.
authorized_ranges(v) := x if {
	p := lib.block(v, "api_server_access_profile")
	lib.unknown(p)
	x := p
} else := x if {
	x := lib.block(v, "api_server_access_profile").authorized_ip_ranges
	x != null
} else := object.get(v, "api_server_authorized_ip_ranges", [])

open_ranges(ranges) if ranges == []

open_ranges(ranges) if {
	some x in ranges
	x in {"0.0.0.0/0", "*"}
}

# METADATA
# title: AKS Kubernetes RBAC is disabled
# description: Without Kubernetes RBAC every authenticated user and service account is effectively unrestricted inside the cluster.
# custom:
#   id: TG-AZ-010
#   severity: high
#   resources: [azurerm_kubernetes_cluster]
#   pci: ["7.2.1", "7.2.2"]
#   cis: [CIS Azure Kubernetes Service 1.4.0 5.5.1]
#   nist: [AC-3, AC-6]
#   remediation: Remove role_based_access_control_enabled = false (RBAC cannot be turned on for an existing cluster; recreate it).
deny contains f if {
	some r in lib.resources(aks)
	lib.is_false(r.values, "role_based_access_control_enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets role_based_access_control_enabled = false", [r.address]))
}

# METADATA
# title: AKS local accounts are enabled
# description: The local clusterAdmin credential is a shared account outside Entra ID; it cannot be tied to a person, needs no MFA and survives people leaving.
# custom:
#   id: TG-AZ-011
#   severity: medium
#   resources: [azurerm_kubernetes_cluster]
#   pci: ["8.2.2", "8.4.1"]
#   cis: [CIS Azure Kubernetes Service 1.4.0 5.5.2]
#   nist: [AC-2, IA-2]
#   remediation: Set local_account_disabled = true with azure_active_directory_role_based_access_control (Entra ID integration).
deny contains f if {
	some r in lib.resources(aks)
	lib.not_true(r.values, "local_account_disabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set local_account_disabled = true", [r.address]))
}

# METADATA
# title: AKS cluster does not enforce network policies
# description: Without a network policy engine every pod can reach every other pod, so a compromised workload reaches the cardholder-data workloads directly.
# custom:
#   id: TG-AZ-012
#   severity: medium
#   resources: [azurerm_kubernetes_cluster]
#   pci: ["1.2.1", "1.3.1"]
#   cis: [CIS Azure Kubernetes Service 1.4.0 5.4.4]
#   nist: [AC-4, SC-7]
#   remediation: Set network_profile { network_plugin = "azure", network_policy = "azure" (or "calico" or "cilium") }, then add NetworkPolicies per namespace.
deny contains f if {
	some r in lib.resources(aks)
	np := lib.block(r.values, "network_profile")
	lib.known(np)
	policy := object.get(np, "network_policy", null)
	lib.known(policy)
	policy in {null, "", "none"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no network_policy engine", [r.address]))
}

# METADATA
# title: AKS secrets are not encrypted with a Key Vault key
# description: Without KMS etcd encryption Kubernetes Secrets are protected only by platform-managed storage keys, not by a key you control, rotate and audit.
# custom:
#   id: TG-AZ-013
#   severity: low
#   resources: [azurerm_kubernetes_cluster]
#   pci: ["3.5.1", "3.6.1"]
#   nist: [SC-12, SC-28]
#   remediation: Add key_management_service with key_vault_key_id of a Key Vault key (key_vault_network_access Private where possible).
deny contains f if {
	some r in lib.resources(aks)
	lib.block(r.values, "key_management_service") == {}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no key_management_service (KMS etcd encryption)", [r.address]))
}

web_apps := {"azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_app_service", "azurerm_function_app"}

# METADATA
# title: Azure App Service accepts plain HTTP
# description: Unless https_only is set, the app answers plain HTTP and session cookies and card data can cross the network unencrypted.
# custom:
#   id: TG-AZ-014
#   severity: high
#   resources: [azurerm_linux_web_app, azurerm_windows_web_app, azurerm_linux_function_app, azurerm_windows_function_app, azurerm_app_service, azurerm_function_app]
#   pci: ["4.2.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 9.2]
#   nist: [SC-8]
#   remediation: Set https_only = true.
deny contains f if {
	some r in lib.resources(web_apps)
	lib.not_true(r.values, "https_only")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set https_only = true", [r.address]))
}

# METADATA
# title: Azure App Service allows TLS below 1.2
# description: A minimum TLS version of 1.0 or 1.1 lets clients negotiate deprecated protocol versions with known weaknesses.
# custom:
#   id: TG-AZ-015
#   severity: medium
#   resources: [azurerm_linux_web_app, azurerm_windows_web_app, azurerm_linux_function_app, azurerm_windows_function_app, azurerm_app_service, azurerm_function_app]
#   pci: ["4.2.1"]
#   cis: [CIS Microsoft Azure Foundations 2.0.0 9.3]
#   nist: [SC-8, SC-13]
#   remediation: Set site_config { minimum_tls_version = "1.2" } (min_tls_version on azurerm_app_service).
deny contains f if {
	some r in lib.resources(web_apps)
	sc := lib.block(r.values, "site_config")
	some k in ["minimum_tls_version", "min_tls_version", "scm_minimum_tls_version"]
	sprintf("%v", [object.get(sc, k, "")]) in {"1.0", "1.1"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets %s = %v", [r.address, k, sc[k]]))
}
