package tollgate.iac.azure_test

import rego.v1

import data.tollgate.iac.azure

res(type, values) := {"type": type, "address": sprintf("%s.x", [type]), "line": 1, "values": values}

ids(rs) := {v.id | some v in azure.deny with input as {"format": "terraform", "file": "main.tf", "resources": rs}}

ref(expr) := {"unknown": true, "expr": expr}

good_storage := {"allow_nested_items_to_be_public": false, "min_tls_version": "TLS1_2"}

test_az001_public_blobs_denied if "TG-AZ-001" in ids([res("azurerm_storage_account", {"allow_nested_items_to_be_public": true})])

test_az001_default_denied if "TG-AZ-001" in ids([res("azurerm_storage_account", {})])

test_az001_private_allowed if not "TG-AZ-001" in ids([res("azurerm_storage_account", good_storage)])

test_az001_unknown_not_guessed if not "TG-AZ-001" in ids([res("azurerm_storage_account", {"allow_nested_items_to_be_public": ref("var.public")})])

test_az002_http_denied if "TG-AZ-002" in ids([res("azurerm_storage_account", object.union(good_storage, {"https_traffic_only_enabled": false}))])

test_az002_default_allowed if not "TG-AZ-002" in ids([res("azurerm_storage_account", good_storage)])

test_az003_tls10_denied if "TG-AZ-003" in ids([res("azurerm_storage_account", {"min_tls_version": "TLS1_0"})])

test_az003_tls12_allowed if not "TG-AZ-003" in ids([res("azurerm_storage_account", good_storage)])

test_az004_sql_public_denied if "TG-AZ-004" in ids([res("azurerm_mssql_server", {"minimum_tls_version": "1.2"})])

test_az004_flexible_public_denied if "TG-AZ-004" in ids([res("azurerm_postgresql_flexible_server", {"public_network_access_enabled": true})])

test_az004_sql_private_allowed if not "TG-AZ-004" in ids([res("azurerm_mssql_server", {"public_network_access_enabled": false})])

test_az005_firewall_all_denied if "TG-AZ-005" in ids([res("azurerm_mssql_firewall_rule", {"start_ip_address": "0.0.0.0", "end_ip_address": "255.255.255.255"})])

test_az005_firewall_range_allowed if not "TG-AZ-005" in ids([res("azurerm_mssql_firewall_rule", {"start_ip_address": "203.0.113.0", "end_ip_address": "203.0.113.255"})])

test_az006_sql_tls10_denied if "TG-AZ-006" in ids([res("azurerm_mssql_server", {"minimum_tls_version": "1.0"})])

test_az006_postgres_no_ssl_denied if "TG-AZ-006" in ids([res("azurerm_postgresql_server", {"ssl_enforcement_enabled": false})])

test_az006_tls12_allowed if {
	found := ids([res("azurerm_mssql_server", {"minimum_tls_version": "1.2"}), res("azurerm_mysql_server", {"ssl_enforcement_enabled": true, "ssl_minimal_tls_version_enforced": "TLS1_2"})])
	not "TG-AZ-006" in found
}

ssh_rule := {"name": "ssh", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "source_address_prefix": "*", "destination_port_range": "22"}

test_az007_nsg_ssh_denied if "TG-AZ-007" in ids([res("azurerm_network_security_group", {"security_rule": [ssh_rule]})])

test_az007_rule_rdp_range_denied if "TG-AZ-007" in ids([res("azurerm_network_security_rule", object.union(ssh_rule, {"source_address_prefix": "Internet", "destination_port_range": "3000-4000"}))])

test_az007_port_list_denied if "TG-AZ-007" in ids([res("azurerm_network_security_rule", object.union(object.remove(ssh_rule, ["destination_port_range"]), {"destination_port_ranges": ["443", "22"]}))])

test_az007_internal_source_allowed if not "TG-AZ-007" in ids([res("azurerm_network_security_rule", object.union(ssh_rule, {"source_address_prefix": "10.0.0.0/8"}))])

test_az007_deny_rule_allowed if not "TG-AZ-007" in ids([res("azurerm_network_security_rule", object.union(ssh_rule, {"access": "Deny"}))])

test_az008_no_purge_protection_denied if "TG-AZ-008" in ids([res("azurerm_key_vault", {})])

test_az008_purge_protection_allowed if not "TG-AZ-008" in ids([res("azurerm_key_vault", {"purge_protection_enabled": true})])

# Issue 13 §5.1: AKS and App Service additions (TG-AZ-009 and later).
aks_good := {
	"private_cluster_enabled": true, "local_account_disabled": true,
	"network_profile": [{"network_plugin": "azure", "network_policy": "azure"}],
	"key_management_service": [{"key_vault_key_id": "https://kv.vault.azure.net/keys/k/1"}],
}

aks(values) := res("azurerm_kubernetes_cluster", object.union(aks_good, values))

test_aks_good_clean if count(ids([aks({})])) == 0

test_az009_public_api_denied if "TG-AZ-009" in ids([aks({"private_cluster_enabled": false})])

test_az009_open_range_denied if "TG-AZ-009" in ids([aks({"private_cluster_enabled": false, "api_server_access_profile": [{"authorized_ip_ranges": ["0.0.0.0/0"]}]})])

test_az009_authorized_ranges_allowed if {
	not "TG-AZ-009" in ids([aks({"private_cluster_enabled": false, "api_server_access_profile": [{"authorized_ip_ranges": ["203.0.113.0/24"]}]})])
	not "TG-AZ-009" in ids([aks({"private_cluster_enabled": false, "api_server_authorized_ip_ranges": ["203.0.113.0/24"]})])
}

test_az009_unknown_not_guessed if {
	not "TG-AZ-009" in ids([aks({"private_cluster_enabled": ref("var.private")})])
	not "TG-AZ-009" in ids([aks({"private_cluster_enabled": false, "api_server_access_profile": [{"authorized_ip_ranges": ref("var.ranges")}]})])
	not "TG-AZ-009" in ids([aks({"private_cluster_enabled": false, "api_server_access_profile": ref("local.profile")})])
}

test_az010_rbac_off_denied if "TG-AZ-010" in ids([aks({"role_based_access_control_enabled": false})])

test_az010_default_allowed if not "TG-AZ-010" in ids([aks({})])

test_az010_unknown_not_guessed if not "TG-AZ-010" in ids([aks({"role_based_access_control_enabled": ref("var.rbac")})])

test_az011_local_accounts_denied if "TG-AZ-011" in ids([res("azurerm_kubernetes_cluster", {})])

test_az011_unknown_not_guessed if not "TG-AZ-011" in ids([aks({"local_account_disabled": ref("var.local")})])

test_az012_no_network_policy_denied if {
	"TG-AZ-012" in ids([aks({"network_profile": [{"network_plugin": "kubenet"}]})])
	"TG-AZ-012" in ids([res("azurerm_kubernetes_cluster", {})])
}

test_az012_unknown_not_guessed if not "TG-AZ-012" in ids([aks({"network_profile": [{"network_policy": ref("var.np")}]}), aks({"network_profile": ref("local.np")})])

test_az013_no_kms_denied if "TG-AZ-013" in ids([aks({"key_management_service": []})])

test_az013_unknown_not_guessed if not "TG-AZ-013" in ids([aks({"key_management_service": ref("local.kms")})])

test_az014_http_denied if "TG-AZ-014" in ids([res("azurerm_linux_web_app", {"site_config": [{}]})])

test_az014_https_only_allowed if not "TG-AZ-014" in ids([res("azurerm_windows_web_app", {"https_only": true})])

test_az014_unknown_not_guessed if not "TG-AZ-014" in ids([res("azurerm_linux_web_app", {"https_only": ref("var.https")})])

test_az015_tls10_denied if "TG-AZ-015" in ids([res("azurerm_linux_web_app", {"https_only": true, "site_config": [{"minimum_tls_version": "1.0"}]})])

test_az015_legacy_attribute_denied if "TG-AZ-015" in ids([res("azurerm_app_service", {"site_config": [{"min_tls_version": "1.1"}]})])

test_az015_tls12_allowed if not "TG-AZ-015" in ids([res("azurerm_linux_web_app", {"site_config": [{"minimum_tls_version": "1.2"}]}), res("azurerm_linux_web_app", {})])

test_az015_unknown_not_guessed if not "TG-AZ-015" in ids([res("azurerm_linux_web_app", {"site_config": [{"minimum_tls_version": ref("var.tls")}]}), res("azurerm_linux_web_app", {"site_config": ref("local.sc")})])
