package tollgate.iac.gcp_test

import rego.v1

import data.tollgate.iac.gcp

res(type, values) := {"type": type, "address": sprintf("%s.x", [type]), "line": 1, "values": values}

ids(rs) := {v.id | some v in gcp.deny with input as {"format": "terraform", "file": "main.tf", "resources": rs}}

ref(expr) := {"unknown": true, "expr": expr}

test_gcp001_all_users_denied if "TG-GCP-001" in ids([res("google_storage_bucket_iam_member", {"member": "allUsers", "role": "roles/storage.objectViewer"})])

test_gcp001_binding_denied if "TG-GCP-001" in ids([res("google_storage_bucket_iam_binding", {"members": ["user:a@b.c", "allAuthenticatedUsers"]})])

test_gcp001_named_member_allowed if not "TG-GCP-001" in ids([res("google_storage_bucket_iam_member", {"member": "serviceAccount:app@p.iam.gserviceaccount.com"})])

test_gcp002_no_ubla_denied if "TG-GCP-002" in ids([res("google_storage_bucket", {"name": "b"})])

test_gcp002_ubla_allowed if not "TG-GCP-002" in ids([res("google_storage_bucket", {"uniform_bucket_level_access": true})])

sql(ip) := res("google_sql_database_instance", {"settings": [{"tier": "db-f1-micro", "ip_configuration": [ip]}]})

private_ssl := {"ipv4_enabled": false, "private_network": "projects/p/global/networks/n", "ssl_mode": "ENCRYPTED_ONLY"}

test_gcp003_public_ip_denied if "TG-GCP-003" in ids([sql({"ipv4_enabled": true})])

test_gcp003_default_public_ip_denied if "TG-GCP-003" in ids([res("google_sql_database_instance", {"settings": [{"tier": "db-f1-micro"}]})])

test_gcp003_private_allowed if not "TG-GCP-003" in ids([sql(private_ssl)])

test_gcp003_unknown_not_guessed if not "TG-GCP-003" in ids([sql({"ipv4_enabled": ref("var.public")})])

test_gcp003_005_unknown_settings_not_guessed if {
	found := ids([res("google_sql_database_instance", {"settings": ref("local.settings")})])
	not "TG-GCP-003" in found
	not "TG-GCP-005" in found
}

test_gcp004_world_network_denied if "TG-GCP-004" in ids([sql({"ipv4_enabled": true, "authorized_networks": [{"name": "all", "value": "0.0.0.0/0"}]})])

test_gcp004_office_network_allowed if not "TG-GCP-004" in ids([sql({"ipv4_enabled": true, "authorized_networks": [{"name": "office", "value": "203.0.113.0/24"}]})])

test_gcp005_no_ssl_denied if "TG-GCP-005" in ids([sql({"ipv4_enabled": false})])

test_gcp005_ssl_required_allowed if {
	not "TG-GCP-005" in ids([sql(private_ssl)])
	not "TG-GCP-005" in ids([sql({"require_ssl": true})])
}

fw(values) := res("google_compute_firewall", object.union({"network": "default", "source_ranges": ["0.0.0.0/0"]}, values))

test_gcp006_ssh_denied if "TG-GCP-006" in ids([fw({"allow": [{"protocol": "tcp", "ports": ["22"]}]})])

test_gcp006_all_ports_denied if "TG-GCP-006" in ids([fw({"allow": [{"protocol": "all"}]})])

test_gcp006_rdp_range_denied if "TG-GCP-006" in ids([fw({"allow": [{"protocol": "tcp", "ports": ["3000-4000"]}]})])

test_gcp006_https_allowed if not "TG-GCP-006" in ids([fw({"allow": [{"protocol": "tcp", "ports": ["443"]}]})])

test_gcp006_internal_allowed if not "TG-GCP-006" in ids([fw({"source_ranges": ["10.0.0.0/8"], "allow": [{"protocol": "tcp", "ports": ["22"]}]})])

test_gcp006_egress_allowed if not "TG-GCP-006" in ids([fw({"direction": "EGRESS", "allow": [{"protocol": "tcp", "ports": ["22"]}]})])

test_gcp007_no_rotation_denied if "TG-GCP-007" in ids([res("google_kms_crypto_key", {"name": "k"})])

test_gcp007_yearly_rotation_denied if "TG-GCP-007" in ids([res("google_kms_crypto_key", {"rotation_period": "31536000s"})])

test_gcp007_90_days_allowed if not "TG-GCP-007" in ids([res("google_kms_crypto_key", {"rotation_period": "7776000s"})])

# Issue 13 §5.1: GKE and VPC additions (TG-GCP-008 and later).
gke_good := {
	"private_cluster_config": [{"enable_private_nodes": true, "enable_private_endpoint": true}],
	"database_encryption": [{"state": "ENCRYPTED", "key_name": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}],
	"datapath_provider": "ADVANCED_DATAPATH",
}

gke(values) := res("google_container_cluster", object.union(gke_good, values))

test_gke_good_clean if count(ids([gke({})])) == 0

test_gcp008_public_endpoint_denied if "TG-GCP-008" in ids([gke({"private_cluster_config": []})])

test_gcp008_open_authorized_network_denied if "TG-GCP-008" in ids([gke({"private_cluster_config": [], "master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "0.0.0.0/0"}]}]})])

test_gcp008_authorized_networks_allowed if not "TG-GCP-008" in ids([gke({"private_cluster_config": [], "master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "10.0.0.0/8"}]}]})])

test_gcp008_unknown_not_guessed if not "TG-GCP-008" in ids([gke({"private_cluster_config": [{"enable_private_endpoint": ref("var.private")}]}), gke({"private_cluster_config": [], "master_authorized_networks_config": ref("var.man")})])

test_gcp009_no_secrets_encryption_denied if "TG-GCP-009" in ids([gke({"database_encryption": []})])

test_gcp009_decrypted_denied if "TG-GCP-009" in ids([gke({"database_encryption": [{"state": "DECRYPTED"}]})])

test_gcp009_unknown_not_guessed if not "TG-GCP-009" in ids([gke({"database_encryption": [{"state": ref("var.state")}]})])

test_gcp010_legacy_abac_denied if "TG-GCP-010" in ids([gke({"enable_legacy_abac": true})])

test_gcp010_rbac_allowed if not "TG-GCP-010" in ids([gke({"enable_legacy_abac": false})])

test_gcp010_unknown_not_guessed if not "TG-GCP-010" in ids([gke({"enable_legacy_abac": ref("var.abac")})])

test_gcp011_no_network_policy_denied if "TG-GCP-011" in ids([gke({"datapath_provider": "LEGACY_DATAPATH"})])

test_gcp011_calico_or_autopilot_allowed if {
	not "TG-GCP-011" in ids([gke({"datapath_provider": "LEGACY_DATAPATH", "network_policy": [{"enabled": true, "provider": "CALICO"}]})])
	not "TG-GCP-011" in ids([res("google_container_cluster", {"enable_autopilot": true})])
}

test_gcp011_unknown_not_guessed if not "TG-GCP-011" in ids([gke({"datapath_provider": ref("var.dp")}), gke({"datapath_provider": "LEGACY_DATAPATH", "network_policy": [{"enabled": ref("var.np")}]})])

test_gcp012_auto_upgrade_off_denied if "TG-GCP-012" in ids([res("google_container_node_pool", {"management": [{"auto_upgrade": false}]})])

test_gcp012_default_allowed if not "TG-GCP-012" in ids([res("google_container_node_pool", {"management": [{"auto_upgrade": true}]}), res("google_container_node_pool", {})])

test_gcp012_unknown_not_guessed if not "TG-GCP-012" in ids([res("google_container_node_pool", {"management": [{"auto_upgrade": ref("var.up")}]})])

test_gcp013_no_flow_logs_denied if "TG-GCP-013" in ids([res("google_compute_subnetwork", {"ip_cidr_range": "10.0.0.0/24"})])

test_gcp013_flow_logs_or_proxy_subnet_allowed if {
	not "TG-GCP-013" in ids([res("google_compute_subnetwork", {"log_config": [{"aggregation_interval": "INTERVAL_5_SEC"}]})])
	not "TG-GCP-013" in ids([res("google_compute_subnetwork", {"purpose": "REGIONAL_MANAGED_PROXY"})])
}

test_gcp013_unknown_not_guessed if not "TG-GCP-013" in ids([res("google_compute_subnetwork", {"log_config": ref("local.logs")}), res("google_compute_subnetwork", {"purpose": ref("var.p")})])
