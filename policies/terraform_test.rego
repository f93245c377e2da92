package tollgate.iac.terraform_test

import rego.v1

import data.tollgate.iac.terraform

tf_input(rs) := {"format": "terraform", "file": "main.tf", "resources": rs}

res(type, name, values) := {"type": type, "name": name, "address": sprintf("%s.%s", [type, name]), "line": 1, "values": values}

ids(rs) := {v.id | some v in terraform.deny with input as tf_input(rs)}

ref(expr) := {"unknown": true, "expr": expr}

# Every result carries the check's metadata.
test_finding_has_metadata if {
	some v in terraform.deny with input as tf_input([res("aws_s3_bucket_acl", "a", {"acl": "public-read"})])
	v.id == "TG-TF-001"
	v.severity == "critical"
	v.pci == ["1.3.1", "7.2.1"]
	count(v.nist) > 0
	count(v.cis) > 0
	v.remediation != ""
	v.title == "S3 bucket has a public ACL"
	v.address == "aws_s3_bucket_acl.a"
}

test_tf001_public_acl_denied if "TG-TF-001" in ids([res("aws_s3_bucket_acl", "a", {"acl": "public-read"})])

test_tf001_private_acl_allowed if not "TG-TF-001" in ids([res("aws_s3_bucket_acl", "a", {"acl": "private"})])

test_tf002_unencrypted_rds_denied if "TG-TF-002" in ids([res("aws_db_instance", "d", {})])

test_tf002_encrypted_rds_allowed if not "TG-TF-002" in ids([res("aws_db_instance", "d", {"storage_encrypted": true})])

test_tf002_unknown_not_guessed if not "TG-TF-002" in ids([res("aws_db_instance", "d", {"storage_encrypted": ref("var.enc")})])

test_tf003_public_rds_denied if "TG-TF-003" in ids([res("aws_db_instance", "d", {"publicly_accessible": true})])

test_tf003_private_rds_allowed if not "TG-TF-003" in ids([res("aws_db_instance", "d", {"publicly_accessible": false})])

public_policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`

test_tf004_public_policy_denied if "TG-TF-004" in ids([res("aws_s3_bucket_policy", "p", {"policy": public_policy})])

test_tf004_policy_object_denied if "TG-TF-004" in ids([res("aws_s3_bucket_policy", "p", {"policy": json.unmarshal(public_policy)})])

test_tf004_named_principal_allowed if not "TG-TF-004" in ids([res("aws_s3_bucket_policy", "p", {"policy": replace(public_policy, `"*"`, `{"AWS":"arn:aws:iam::1:root"}`)})])

test_tf004_unknown_policy_not_guessed if not "TG-TF-004" in ids([res("aws_s3_bucket_policy", "p", {"policy": ref("data.aws_iam_policy_document.p.json")})])

pab_on := {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

test_tf005_partial_block_denied if "TG-TF-005" in ids([res("aws_s3_bucket_public_access_block", "b", object.union(pab_on, {"block_public_policy": false}))])

test_tf005_full_block_allowed if not "TG-TF-005" in ids([res("aws_s3_bucket_public_access_block", "b", pab_on)])

bucket := res("aws_s3_bucket", "b", {"bucket": "bank-data"})

test_tf006_no_sse_denied if "TG-TF-006" in ids([bucket])

test_tf006_companion_sse_allowed if not "TG-TF-006" in ids([bucket, res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("aws_s3_bucket.b.id")})])

test_tf006_literal_bucket_name_allowed if not "TG-TF-006" in ids([bucket, res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": "bank-data"})])

test_tf006_other_bucket_companion_denied if "TG-TF-006" in ids([bucket, res("aws_s3_bucket", "c", {}), res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("aws_s3_bucket.c.id")})])

test_tf006_plan_companion_known_after_apply_not_guessed if {
	d := {"format": "terraform-plan", "file": "plan.json", "resources": [bucket, res("aws_s3_bucket_server_side_encryption_configuration", "e", {"rule": []})]}
	not "TG-TF-006" in {v.id | some v in terraform.deny with input as d}
}

test_tf006_unresolvable_companion_not_guessed if not "TG-TF-006" in ids([bucket, res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("var.bucket")})])

tls_policy := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

test_tf007_no_tls_statement_denied if "TG-TF-007" in ids([res("aws_s3_bucket_policy", "p", {"policy": `{"Statement":[]}`})])

test_tf007_tls_statement_allowed if not "TG-TF-007" in ids([res("aws_s3_bucket_policy", "p", {"policy": tls_policy})])

test_tf007_unknown_policy_not_guessed if not "TG-TF-007" in ids([res("aws_s3_bucket_policy", "p", {"policy": ref("jsonencode(local.p)")})])

test_tf008_no_logging_denied if "TG-TF-008" in ids([bucket])

test_tf008_logging_allowed if not "TG-TF-008" in ids([bucket, res("aws_s3_bucket_logging", "l", {"bucket": ref("aws_s3_bucket.b.id")})])

test_tf008_inline_logging_allowed if not "TG-TF-008" in ids([res("aws_s3_bucket", "b", {"logging": [{"target_bucket": "logs"}]})])

test_tf009_no_versioning_denied if "TG-TF-009" in ids([bucket])

test_tf009_suspended_denied if "TG-TF-009" in ids([res("aws_s3_bucket_versioning", "v", {"bucket": "x", "versioning_configuration": [{"status": "Suspended"}]})])

test_tf009_versioning_allowed if not "TG-TF-009" in ids([bucket, res("aws_s3_bucket_versioning", "v", {"bucket": ref("aws_s3_bucket.b.id"), "versioning_configuration": [{"status": "Enabled"}]})])

test_tf009_unknown_versioning_not_guessed if not "TG-TF-009" in ids([res("aws_s3_bucket", "b", {"versioning": ref("local.versioning")})])

test_tf009_inline_versioning_allowed if not "TG-TF-009" in ids([res("aws_s3_bucket", "b", {"versioning": [{"enabled": true}]})])

sg(ingress) := res("aws_security_group", "s", {"ingress": [ingress]})

test_tf010_ssh_open_denied if "TG-TF-010" in ids([sg({"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]})])

test_tf010_ipv6_rule_denied if "TG-TF-010" in ids([res("aws_vpc_security_group_ingress_rule", "r", {"from_port": 3389, "to_port": 3389, "ip_protocol": "tcp", "cidr_ipv6": "::/0"})])

test_tf010_rdp_range_open_denied if "TG-TF-010" in ids([res("aws_security_group_rule", "r", {"type": "ingress", "from_port": 3000, "to_port": 4000, "cidr_blocks": ["0.0.0.0/0"]})])

test_tf010_ssh_internal_allowed if not "TG-TF-010" in ids([sg({"from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]})])

test_tf010_egress_rule_allowed if not "TG-TF-010" in ids([res("aws_security_group_rule", "r", {"type": "egress", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]})])

test_tf011_postgres_open_denied if "TG-TF-011" in ids([sg({"from_port": 5432, "to_port": 5432, "protocol": "tcp", "ipv6_cidr_blocks": ["::/0"]})])

test_tf011_https_open_allowed if not "TG-TF-011" in ids([sg({"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]})])

test_tf012_all_traffic_denied if "TG-TF-012" in ids([sg({"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]})])

test_tf012_all_traffic_internal_allowed if not "TG-TF-012" in ids([sg({"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["10.0.0.0/8"]})])

test_tf013_no_backups_denied if "TG-TF-013" in ids([res("aws_rds_cluster", "c", {"backup_retention_period": 1})])

test_tf013_backups_allowed if not "TG-TF-013" in ids([res("aws_rds_cluster", "c", {"backup_retention_period": 14})])

test_tf013_unknown_not_guessed if not "TG-TF-013" in ids([res("aws_db_instance", "d", {"backup_retention_period": ref("var.days")})])

test_tf014_no_deletion_protection_denied if "TG-TF-014" in ids([res("aws_db_instance", "d", {})])

test_tf014_deletion_protection_allowed if not "TG-TF-014" in ids([res("aws_db_instance", "d", {"deletion_protection": true})])

test_tf015_root_device_denied if "TG-TF-015" in ids([res("aws_instance", "i", {"root_block_device": [{"volume_size": 20}]})])

test_tf015_encrypted_allowed if not "TG-TF-015" in ids([res("aws_instance", "i", {"root_block_device": [{"encrypted": true}], "ebs_block_device": [{"encrypted": true}]})])

test_tf016_ebs_denied if "TG-TF-016" in ids([res("aws_ebs_volume", "v", {"size": 10})])

test_tf016_default_off_denied if "TG-TF-016" in ids([res("aws_ebs_encryption_by_default", "e", {"enabled": false})])

test_tf016_ebs_allowed if not "TG-TF-016" in ids([res("aws_ebs_volume", "v", {"encrypted": true}), res("aws_ebs_encryption_by_default", "e", {"enabled": true})])

test_tf017_imdsv1_denied if "TG-TF-017" in ids([res("aws_instance", "i", {})])

test_tf017_unknown_metadata_options_not_guessed if not "TG-TF-017" in ids([res("aws_instance", "i", {"metadata_options": ref("local.imds")})])

test_tf017_imdsv2_allowed if not "TG-TF-017" in ids([res("aws_launch_template", "t", {"metadata_options": [{"http_tokens": "required"}]})])

test_tf018_efs_denied if "TG-TF-018" in ids([res("aws_efs_file_system", "f", {})])

test_tf018_efs_allowed if not "TG-TF-018" in ids([res("aws_efs_file_system", "f", {"encrypted": true})])

test_tf019_dynamodb_denied if "TG-TF-019" in ids([res("aws_dynamodb_table", "t", {})])

test_tf019_dynamodb_allowed if not "TG-TF-019" in ids([res("aws_dynamodb_table", "t", {"server_side_encryption": [{"enabled": true}]})])

test_tf019_020_unknown_block_not_guessed if {
	found := ids([res("aws_dynamodb_table", "t", {"server_side_encryption": ref("var.sse"), "point_in_time_recovery": [{"enabled": ref("var.pitr")}]})])
	not "TG-TF-019" in found
	not "TG-TF-020" in found
}

test_tf020_pitr_denied if "TG-TF-020" in ids([res("aws_dynamodb_table", "t", {"point_in_time_recovery": [{"enabled": false}]})])

test_tf020_pitr_allowed if not "TG-TF-020" in ids([res("aws_dynamodb_table", "t", {"point_in_time_recovery": [{"enabled": true}]})])

test_tf021_022_elasticache_denied if {
	found := ids([res("aws_elasticache_replication_group", "r", {})])
	"TG-TF-021" in found
	"TG-TF-022" in found
}

test_tf021_022_elasticache_allowed if {
	found := ids([res("aws_elasticache_replication_group", "r", {"at_rest_encryption_enabled": true, "transit_encryption_enabled": true})])
	not "TG-TF-021" in found
	not "TG-TF-022" in found
}

test_tf023_sqs_sse_off_denied if "TG-TF-023" in ids([res("aws_sqs_queue", "q", {"sqs_managed_sse_enabled": false})])

test_tf023_sqs_default_allowed if not "TG-TF-023" in ids([res("aws_sqs_queue", "q", {})])

test_tf024_sns_denied if "TG-TF-024" in ids([res("aws_sns_topic", "t", {})])

test_tf024_sns_allowed if not "TG-TF-024" in ids([res("aws_sns_topic", "t", {"kms_master_key_id": "alias/aws/sns"})])

test_tf025_kms_rotation_denied if "TG-TF-025" in ids([res("aws_kms_key", "k", {})])

test_tf025_kms_rotation_allowed if not "TG-TF-025" in ids([res("aws_kms_key", "k", {"enable_key_rotation": true})])

test_tf025_asymmetric_key_allowed if not "TG-TF-025" in ids([res("aws_kms_key", "k", {"customer_master_key_spec": "RSA_2048"})])

good_trail := {"is_multi_region_trail": true, "enable_log_file_validation": true, "kms_key_id": "arn:aws:kms:k"}

test_tf026_to_029_trail_denied if {
	found := ids([res("aws_cloudtrail", "t", {"enable_logging": false})])
	{"TG-TF-026", "TG-TF-027", "TG-TF-028", "TG-TF-029"} - found == set()
}

test_tf026_to_029_trail_allowed if {
	found := ids([res("aws_cloudtrail", "t", good_trail)])
	{"TG-TF-026", "TG-TF-027", "TG-TF-028", "TG-TF-029"} & found == set()
}

test_tf030_vpc_without_flow_log_denied if "TG-TF-030" in ids([res("aws_vpc", "v", {"cidr_block": "10.0.0.0/16"})])

test_tf030_vpc_flow_log_allowed if not "TG-TF-030" in ids([res("aws_vpc", "v", {}), res("aws_flow_log", "f", {"vpc_id": ref("aws_vpc.v.id")})])

test_tf031_http_listener_denied if "TG-TF-031" in ids([res("aws_lb_listener", "l", {"protocol": "HTTP", "default_action": [{"type": "forward"}]})])

test_tf031_classic_elb_denied if "TG-TF-031" in ids([res("aws_elb", "e", {"listener": [{"lb_protocol": "http", "lb_port": 80}]})])

test_tf031_http_redirect_allowed if not "TG-TF-031" in ids([res("aws_lb_listener", "l", {"protocol": "HTTP", "default_action": [{"type": "redirect", "redirect": [{"protocol": "HTTPS", "port": "443"}]}]})])

test_tf032_old_tls_policy_denied if "TG-TF-032" in ids([res("aws_lb_listener", "l", {"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-2016-08"})])

test_tf032_default_tls_policy_denied if "TG-TF-032" in ids([res("aws_lb_listener", "l", {"protocol": "HTTPS"})])

test_tf032_tls12_policy_allowed if not "TG-TF-032" in ids([res("aws_lb_listener", "l", {"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})])

test_tf033_cloudfront_tls1_denied if "TG-TF-033" in ids([res("aws_cloudfront_distribution", "d", {"viewer_certificate": [{"acm_certificate_arn": "arn", "minimum_protocol_version": "TLSv1_2016"}]})])

test_tf033_cloudfront_default_cert_denied if "TG-TF-033" in ids([res("aws_cloudfront_distribution", "d", {"viewer_certificate": [{"cloudfront_default_certificate": true}]})])

test_tf033_cloudfront_tls12_allowed if not "TG-TF-033" in ids([res("aws_cloudfront_distribution", "d", {"viewer_certificate": [{"minimum_protocol_version": "TLSv1.2_2021"}]})])

test_tf034_cloudfront_http_denied if "TG-TF-034" in ids([res("aws_cloudfront_distribution", "d", {"default_cache_behavior": [{"viewer_protocol_policy": "allow-all"}]})])

test_tf034_cloudfront_https_allowed if not "TG-TF-034" in ids([res("aws_cloudfront_distribution", "d", {"default_cache_behavior": [{"viewer_protocol_policy": "redirect-to-https"}]})])

admin_policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`

test_tf035_admin_policy_denied if "TG-TF-035" in ids([res("aws_iam_policy", "p", {"policy": admin_policy})])

test_tf035_policy_document_denied if "TG-TF-035" in ids([{"type": "aws_iam_policy_document", "address": "data.aws_iam_policy_document.d", "line": 1, "values": {"statement": [{"actions": ["s3:*"], "resources": ["arn:aws:s3:::b"]}]}}])

test_tf035_deny_statement_allowed if not "TG-TF-035" in ids([res("aws_iam_role_policy", "p", {"policy": replace(admin_policy, "Allow", "Deny")})])

test_tf035_specific_actions_allowed if not "TG-TF-035" in ids([res("aws_iam_policy", "p", {"policy": `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`})])

test_tf036_write_on_any_resource_denied if "TG-TF-036" in ids([res("aws_iam_policy", "p", {"policy": `{"Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:ListAllMyBuckets"],"Resource":"*"}]}`})])

test_tf036_read_only_any_resource_allowed if not "TG-TF-036" in ids([res("aws_iam_policy", "p", {"policy": `{"Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances","s3:ListAllMyBuckets"],"Resource":"*"}]}`})])

test_tf036_invalid_json_not_guessed if count(ids([res("aws_iam_policy", "p", {"policy": `{"Statement": [`})])) == 0

provider(body) := {"format": "terraform", "file": "main.tf", "resources": [], "blocks": [{"type": "provider", "labels": ["aws"], "line": 1, "body": body}]}

test_tf037_provider_keys_denied if {
	found := {v.id | some v in terraform.deny with input as provider({"region": "eu-west-1", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE"})}
	"TG-TF-037" in found
}

test_tf037_provider_profile_allowed if {
	found := {v.id | some v in terraform.deny with input as provider({"region": "eu-west-1", "profile": "prod", "secret_key": ref("var.secret_key")})}
	not "TG-TF-037" in found
}

test_tf037_credentials_file_allowed if {
	found := {v.id | some v in terraform.deny with input as provider({"shared_credentials_files": ["~/.aws/credentials"], "shared_config_file": "~/.aws/config", "token_file": "./token"})}
	not "TG-TF-037" in found
}

test_tf037_google_json_credentials_denied if {
	found := {v.id | some v in terraform.deny with input as provider({"credentials": "{\"type\": \"service_account\", \"private_key\": \"x\"}"})}
	"TG-TF-037" in found
}

test_tf038_db_password_denied if "TG-TF-038" in ids([res("aws_db_instance", "d", {"password": "S3cretPassw0rd!"})])

test_tf038_db_password_reference_allowed if not "TG-TF-038" in ids([res("aws_db_instance", "d", {"password": ref("var.db_password")})])

test_tf038_plan_values_not_flagged if {
	d := {"format": "terraform-plan", "file": "plan.json", "resources": [res("aws_db_instance", "d", {"password": "S3cretPassw0rd!"})]}
	not "TG-TF-038" in {v.id | some v in terraform.deny with input as d}
}

test_tf039_eks_public_denied if "TG-TF-039" in ids([res("aws_eks_cluster", "c", {"vpc_config": [{"subnet_ids": ["s"]}]})])

test_tf039_eks_private_allowed if not "TG-TF-039" in ids([res("aws_eks_cluster", "c", {"vpc_config": [{"endpoint_public_access": false}]})])

# Plan JSON resources have the same shape.
test_plan_input_checked if {
	d := {"format": "terraform-plan", "file": "plan.json", "resources": [res("aws_efs_file_system", "f", {"encrypted": false})]}
	"TG-TF-018" in {v.id | some v in terraform.deny with input as d}
}

test_other_formats_ignored if count({v | some v in terraform.deny with input as {"format": "kubernetes", "resources": [res("aws_efs_file_system", "f", {})]}}) == 0

# The cross-file view: input.module as scan iac builds it (docs/iac-model.md),
# with `file_rs` in main.tf and `other_rs` in another file of the module.
with_file(rs, file) := [object.union(r, {"file": file}) | some r in rs]

module_input(file_rs, other_rs) := object.union(tf_input(file_rs), {"module": {
	"dir": "infra",
	"resources": all,
	"types": {t: [r | some r in all; r.type == t] | some x in all; t := x.type},
	"addresses": {r.address: r | some r in all},
	"referrers": {a: rs |
		some x in all
		a := x.address
		rs := [r | some r in all; r.address != a; some v in r.values; v.unknown; a in named(v.expr)]
		count(rs) > 0
	},
	"literals": {v: [r | some r in all; some w in r.values; w == v] | some x in all; some v in x.values; is_string(v)},
	"unresolved": {r.address: r | some r in all; some v in r.values; v.unknown; count([a | some a in named(v.expr); a in addrs]) == 0},
}}) if {
	all := array.concat(with_file(file_rs, "main.tf"), with_file(other_rs, "s3.tf"))
	addrs := {r.address | some r in all}
}

named(expr) := regex.find_n(`(data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`, expr, -1)

module_ids(file_rs, other_rs) := {v.id | some v in terraform.deny with input as module_input(file_rs, other_rs)}

s3_companions := [
	res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("aws_s3_bucket.b.id")}),
	res("aws_s3_bucket_logging", "l", {"bucket": ref("aws_s3_bucket.b.id"), "target_bucket": "logs"}),
	res("aws_s3_bucket_versioning", "v", {"bucket": ref("aws_s3_bucket.b.id"), "versioning_configuration": [{"status": "Enabled"}]}),
]

test_module_companions_in_other_file_allowed if {
	found := module_ids([bucket], s3_companions)
	not "TG-TF-006" in found
	not "TG-TF-008" in found
	not "TG-TF-009" in found
}

test_module_companions_absent_everywhere_denied if {
	found := module_ids([bucket], [res("aws_s3_bucket_acl", "a", {"bucket": ref("aws_s3_bucket.b.id"), "acl": "private"})])
	"TG-TF-006" in found
	"TG-TF-008" in found
	"TG-TF-009" in found
}

test_module_companion_literal_name_in_other_file_allowed if not "TG-TF-006" in module_ids([bucket], [res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": "bank-data"})])

# aws_s3_bucket.c is declared in the other file: the reference resolves there,
# so it is not a possible companion of b.
test_module_companion_of_other_bucket_denied if {
	other := [res("aws_s3_bucket", "c", {}), res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("aws_s3_bucket.c.id")})]
	"TG-TF-006" in module_ids([bucket], other)
}

test_module_unresolvable_companion_not_guessed if not "TG-TF-006" in module_ids([bucket], [res("aws_s3_bucket_server_side_encryption_configuration", "e", {"bucket": ref("var.bucket")})])

# Findings stay with the file that declares the resource: the bucket in the
# other file is not reported from main.tf.
test_module_other_file_resources_not_reported if count(module_ids([], [bucket])) == 0

test_tf030_flow_log_in_other_file_allowed if not "TG-TF-030" in module_ids([res("aws_vpc", "v", {})], [res("aws_flow_log", "f", {"vpc_id": ref("aws_vpc.v.id"), "traffic_type": "ALL"})])

test_tf030_flow_log_absent_everywhere_denied if "TG-TF-030" in module_ids([res("aws_vpc", "v", {})], [res("aws_subnet", "s", {"vpc_id": ref("aws_vpc.v.id")})])

test_tf030_flow_log_for_other_vpc_denied if {
	other := [res("aws_vpc", "w", {}), res("aws_flow_log", "f", {"vpc_id": ref("aws_vpc.w.id")})]
	"TG-TF-030" in module_ids([res("aws_vpc", "v", {})], other)
}

test_tf038_placeholder_password_allowed if count({p | some p in ["changeme123", "DB_PASSWORD_VAL", "<password>", "REPLACE_ME_PLEASE"]; "TG-TF-038" in ids([res("aws_db_instance", "d", {"password": p})])}) == 0

test_tf037_placeholder_provider_secret_allowed if {
	found := {v.id | some v in terraform.deny with input as provider({"access_key": "ACCESS_KEY_VAL", "secret_key": "<secret-key>"})}
	not "TG-TF-037" in found
}

# Issue 13 §5.3: read-only wildcards (Describe*, List*, Get*) are not full privileges.
iam_doc(actions, resource) := {"policy": json.marshal({"Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]})}

iam_ids(actions, resource) := ids([res("aws_iam_policy", "p", iam_doc(actions, resource))])

test_tf035_036_read_only_wildcards_allowed if {
	found := iam_ids(["ec2:Describe*", "s3:List*", "iam:Get*", "rds:describe*", "s3:ListBucket"], "*")
	not "TG-TF-035" in found
	not "TG-TF-036" in found
}

test_tf035_036_read_only_wildcards_in_policy_document_allowed if {
	found := ids([{"type": "aws_iam_policy_document", "address": "data.aws_iam_policy_document.d", "line": 1, "values": {"statement": [{"actions": ["ec2:Describe*", "cloudwatch:Get*", "logs:List*"], "resources": ["*"]}]}}])
	not "TG-TF-035" in found
	not "TG-TF-036" in found
}

test_tf035_star_still_denied if "TG-TF-035" in iam_ids(["*"], "*")

test_tf035_service_star_still_denied if "TG-TF-035" in iam_ids(["s3:*"], "arn:aws:s3:::b/*")

test_tf036_write_wildcard_on_any_resource_denied if {
	"TG-TF-036" in iam_ids(["iam:Put*"], "*")
	"TG-TF-036" in iam_ids(["s3:*"], "*")
	"TG-TF-036" in iam_ids(["ec2:Describe*", "ec2:*Instances"], "*")
	"TG-TF-036" in iam_ids(["*"], "*")
}

test_tf035_verb_wildcard_is_not_every_action if not "TG-TF-035" in iam_ids(["iam:Put*"], "arn:aws:iam::1:role/x")

# Issue 13 §5.1: the PCI DSS 4.0 additions (TG-TF-040 and later).
os_good := {
	"encrypt_at_rest": [{"enabled": true}], "node_to_node_encryption": [{"enabled": true}],
	"domain_endpoint_options": [{"enforce_https": true, "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}],
	"vpc_options": [{"subnet_ids": ["subnet-1"]}],
	"log_publishing_options": [{"log_type": "AUDIT_LOGS", "cloudwatch_log_group_arn": "arn:aws:logs:eu-west-1:1:log-group:a"}],
}

os(values) := res("aws_opensearch_domain", "d", object.union(os_good, values))

test_os_good_domain_clean if count({i | some i in ids([os({})]); startswith(i, "TG-TF-04")}) == 0

test_tf040_no_encryption_denied if "TG-TF-040" in ids([os({"encrypt_at_rest": [{"enabled": false}]})])

test_tf040_elasticsearch_missing_block_denied if "TG-TF-040" in ids([res("aws_elasticsearch_domain", "e", {})])

test_tf040_unknown_not_guessed if not "TG-TF-040" in ids([os({"encrypt_at_rest": [{"enabled": ref("var.enc")}]})])

test_tf041_node_to_node_denied if "TG-TF-041" in ids([os({"node_to_node_encryption": []})])

test_tf041_unknown_not_guessed if not "TG-TF-041" in ids([os({"node_to_node_encryption": ref("var.n2n")})])

test_tf042_http_denied if "TG-TF-042" in ids([os({"domain_endpoint_options": [{"enforce_https": false}]})])

test_tf042_tls10_denied if "TG-TF-042" in ids([os({"domain_endpoint_options": [{"enforce_https": true, "tls_security_policy": "Policy-Min-TLS-1-0-2019-07"}]})])

test_tf042_unknown_not_guessed if not "TG-TF-042" in ids([os({"domain_endpoint_options": [{"enforce_https": ref("var.https"), "tls_security_policy": ref("var.tls")}]})])

test_tf043_public_domain_denied if "TG-TF-043" in ids([os({"vpc_options": []})])

test_tf043_unknown_vpc_not_guessed if not "TG-TF-043" in ids([os({"vpc_options": ref("var.vpc")})])

open_access := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"es:*","Resource":"arn:aws:es:eu-west-1:1:domain/d/*"}]}`

test_tf044_open_public_domain_denied if "TG-TF-044" in ids([os({"vpc_options": [], "access_policies": open_access})])

test_tf044_open_vpc_domain_allowed if not "TG-TF-044" in ids([os({"access_policies": open_access})])

test_tf044_conditioned_allowed if not "TG-TF-044" in ids([os({"vpc_options": [], "access_policies": replace(open_access, `"Resource"`, `"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}},"Resource"`)})])

test_tf044_policy_resource_of_public_domain_denied if "TG-TF-044" in ids([
	res("aws_opensearch_domain", "d", {"domain_name": "search"}),
	res("aws_opensearch_domain_policy", "p", {"domain_name": ref("aws_opensearch_domain.d.domain_name"), "access_policies": open_access}),
])

test_tf044_policy_resource_of_vpc_domain_allowed if not "TG-TF-044" in ids([
	res("aws_opensearch_domain", "d", {"domain_name": "search", "vpc_options": [{"subnet_ids": ["s"]}]}),
	res("aws_opensearch_domain_policy", "p", {"domain_name": ref("aws_opensearch_domain.d.domain_name"), "access_policies": open_access}),
])

test_tf044_policy_resource_unknown_domain_not_guessed if not "TG-TF-044" in ids([res("aws_opensearch_domain_policy", "p", {"domain_name": ref("var.domain"), "access_policies": open_access})])

test_tf044_unknown_policy_not_guessed if not "TG-TF-044" in ids([os({"vpc_options": [], "access_policies": ref("data.aws_iam_policy_document.p.json")})])

test_tf045_no_audit_logs_denied if "TG-TF-045" in ids([os({"log_publishing_options": [{"log_type": "INDEX_SLOW_LOGS"}]})])

test_tf045_unknown_not_guessed if not "TG-TF-045" in ids([os({"log_publishing_options": [{"log_type": ref("var.t")}]})])

kms_open := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}`

test_tf046_open_key_policy_denied if "TG-TF-046" in ids([res("aws_kms_key", "k", {"enable_key_rotation": true, "policy": kms_open})])

test_tf046_key_policy_resource_denied if "TG-TF-046" in ids([res("aws_kms_key_policy", "k", {"policy": json.unmarshal(kms_open)})])

test_tf046_conditioned_allowed if not "TG-TF-046" in ids([res("aws_kms_key_policy", "k", {"policy": replace(kms_open, `"Resource"`, `"Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}},"Resource"`)})])

test_tf046_unknown_not_guessed if not "TG-TF-046" in ids([res("aws_kms_key_policy", "k", {"policy": ref("data.aws_iam_policy_document.k.json")})])

kms_admin(principal) := {"policy": json.marshal({"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "kms:*", "Resource": "*"}]})}

test_tf047_role_with_kms_star_denied if "TG-TF-047" in ids([res("aws_kms_key_policy", "k", kms_admin("arn:aws:iam::111122223333:role/app"))])

test_tf047_root_allowed if not "TG-TF-047" in ids([res("aws_kms_key_policy", "k", kms_admin(["arn:aws:iam::111122223333:root", "111122223333"]))])

test_tf047_unknown_not_guessed if not "TG-TF-047" in ids([res("aws_kms_key_policy", "k", {"policy": ref("data.aws_iam_policy_document.k.json")})])

eks(values) := res("aws_eks_cluster", "c", object.union({"vpc_config": [{"endpoint_public_access": false}], "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": "arn"}]}], "enabled_cluster_log_types": ["api", "audit", "authenticator"]}, values))

test_eks_good_clean if count({i | some i in ids([eks({})])}) == 0

test_tf048_no_secrets_encryption_denied if "TG-TF-048" in ids([eks({"encryption_config": []})])

test_tf048_unknown_not_guessed if not "TG-TF-048" in ids([eks({"encryption_config": [ref("local.enc")]})])

test_tf049_missing_audit_log_denied if "TG-TF-049" in ids([eks({"enabled_cluster_log_types": ["api"]})])

test_tf049_unknown_not_guessed if not "TG-TF-049" in ids([eks({"enabled_cluster_log_types": ref("var.logs")})])

pg(name, value) := res("aws_db_parameter_group", "p", {"family": "postgres16", "parameter": [{"name": name, "value": value}]})

test_tf050_force_ssl_off_denied if "TG-TF-050" in ids([pg("rds.force_ssl", "0")])

test_tf050_mysql_secure_transport_off_denied if "TG-TF-050" in ids([pg("require_secure_transport", "OFF")])

test_tf050_force_ssl_on_allowed if not "TG-TF-050" in ids([pg("rds.force_ssl", "1")])

test_tf050_unknown_not_guessed if not "TG-TF-050" in ids([pg("rds.force_ssl", ref("var.ssl"))])

test_tf051_unencrypted_redshift_denied if "TG-TF-051" in ids([res("aws_redshift_cluster", "r", {"encrypted": false})])

test_tf051_encrypted_allowed if not "TG-TF-051" in ids([res("aws_redshift_cluster", "r", {"encrypted": true})])

test_tf051_unknown_not_guessed if not "TG-TF-051" in ids([res("aws_redshift_cluster", "r", {"encrypted": ref("var.e")})])

test_tf052_public_redshift_denied if "TG-TF-052" in ids([res("aws_redshift_cluster", "r", {"publicly_accessible": true})])

test_tf052_private_allowed if not "TG-TF-052" in ids([res("aws_redshift_cluster", "r", {"publicly_accessible": false})])

test_tf052_unknown_not_guessed if not "TG-TF-052" in ids([res("aws_redshift_cluster", "r", {"publicly_accessible": ref("var.p")})])

test_tf053_short_retention_denied if "TG-TF-053" in ids([res("aws_cloudwatch_log_group", "l", {"retention_in_days": 90})])

test_tf053_year_and_forever_allowed if {
	not "TG-TF-053" in ids([res("aws_cloudwatch_log_group", "l", {"retention_in_days": 400})])
	not "TG-TF-053" in ids([res("aws_cloudwatch_log_group", "l", {"retention_in_days": 0})])
	not "TG-TF-053" in ids([res("aws_cloudwatch_log_group", "l", {})])
}

test_tf053_unknown_not_guessed if not "TG-TF-053" in ids([res("aws_cloudwatch_log_group", "l", {"retention_in_days": ref("var.days")})])

pw_good := {"minimum_password_length": 14, "require_numbers": true, "require_lowercase_characters": true, "password_reuse_prevention": 24, "max_password_age": 90}

pw(values) := res("aws_iam_account_password_policy", "p", object.union(pw_good, values))

test_pw_good_clean if count(ids([pw({})])) == 0

test_tf054_short_password_denied if "TG-TF-054" in ids([pw({"minimum_password_length": 8})])

test_tf054_default_length_denied if "TG-TF-054" in ids([res("aws_iam_account_password_policy", "p", {"require_numbers": true, "require_uppercase_characters": true})])

test_tf054_no_numbers_denied if "TG-TF-054" in ids([pw({"require_numbers": false})])

test_tf054_unknown_not_guessed if not "TG-TF-054" in ids([pw({"minimum_password_length": ref("var.len"), "require_numbers": ref("var.n")})])

test_tf055_reuse_denied if "TG-TF-055" in ids([pw({"password_reuse_prevention": 2})])

test_tf055_unknown_not_guessed if not "TG-TF-055" in ids([pw({"password_reuse_prevention": ref("var.r")})])

test_tf056_no_expiry_denied if "TG-TF-056" in ids([pw({"max_password_age": 365})])

test_tf056_unknown_not_guessed if not "TG-TF-056" in ids([pw({"max_password_age": ref("var.age")})])

test_tf057_user_attachment_denied if "TG-TF-057" in ids([res("aws_iam_user_policy_attachment", "a", {"user": "alice", "policy_arn": "arn"})])

test_tf057_group_attachment_allowed if not "TG-TF-057" in ids([res("aws_iam_group_policy_attachment", "a", {"group": "ops", "policy_arn": "arn"}), res("aws_iam_policy_attachment", "b", {"groups": ["ops"], "users": []})])

test_tf057_unknown_users_not_guessed if not "TG-TF-057" in ids([res("aws_iam_policy_attachment", "b", {"users": ref("var.users")})])

secret := res("aws_secretsmanager_secret", "s", {"name": "db"})

test_tf058_unrotated_denied if "TG-TF-058" in ids([secret])

test_tf058_rotation_allowed if not "TG-TF-058" in ids([secret, res("aws_secretsmanager_secret_rotation", "r", {"secret_id": ref("aws_secretsmanager_secret.s.id")})])

test_tf058_unresolvable_not_guessed if not "TG-TF-058" in ids([secret, res("aws_secretsmanager_secret_rotation", "r", {"secret_id": ref("var.secret")})])

test_tf059_default_sg_rules_denied if "TG-TF-059" in ids([res("aws_default_security_group", "d", {"ingress": [{"protocol": "-1", "self": true, "from_port": 0, "to_port": 0}]})])

test_tf059_empty_default_sg_allowed if not "TG-TF-059" in ids([res("aws_default_security_group", "d", {"vpc_id": "vpc-1"})])

test_tf059_unknown_not_guessed if not "TG-TF-059" in ids([res("aws_default_security_group", "d", {"ingress": ref("local.rules")})])

nacl(values) := res("aws_network_acl_rule", "n", object.union({"rule_action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "tcp", "from_port": 22, "to_port": 22}, values))

test_tf060_nacl_ssh_denied if "TG-TF-060" in ids([nacl({})])

test_tf060_inline_all_denied if "TG-TF-060" in ids([res("aws_network_acl", "n", {"ingress": [{"action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "-1", "from_port": 0, "to_port": 0}]})])

test_tf060_https_or_deny_or_egress_allowed if {
	not "TG-TF-060" in ids([nacl({"from_port": 443, "to_port": 443})])
	not "TG-TF-060" in ids([nacl({"rule_action": "deny"})])
	not "TG-TF-060" in ids([nacl({"egress": true})])
}

test_tf060_unknown_not_guessed if not "TG-TF-060" in ids([nacl({"cidr_block": ref("var.cidr")}), nacl({"egress": ref("var.e")})])

test_tf061_no_access_logs_denied if "TG-TF-061" in ids([res("aws_lb", "l", {"load_balancer_type": "application"})])

test_tf061_logs_allowed if not "TG-TF-061" in ids([res("aws_lb", "l", {"access_logs": [{"bucket": "logs", "enabled": true}]})])

test_tf061_unknown_not_guessed if not "TG-TF-061" in ids([res("aws_lb", "l", {"access_logs": [{"bucket": "logs", "enabled": ref("var.logs")}]})])

test_tf062_no_access_logs_denied if "TG-TF-062" in ids([res("aws_apigatewayv2_stage", "s", {"name": "prod"})])

test_tf062_logs_allowed if not "TG-TF-062" in ids([res("aws_api_gateway_stage", "s", {"access_log_settings": [{"destination_arn": "arn", "format": "$context.requestId"}]})])

test_tf062_unknown_not_guessed if not "TG-TF-062" in ids([res("aws_api_gateway_stage", "s", {"access_log_settings": ref("local.logs")})])

test_tf063_open_ssh_denied if "TG-TF-063" in ids([res("aws_eks_node_group", "n", {"remote_access": [{"ec2_ssh_key": "ops"}]})])

test_tf063_restricted_allowed if not "TG-TF-063" in ids([res("aws_eks_node_group", "n", {"remote_access": [{"ec2_ssh_key": "ops", "source_security_group_ids": ["sg-1"]}]})])

test_tf063_unknown_not_guessed if not "TG-TF-063" in ids([res("aws_eks_node_group", "n", {"remote_access": [{"ec2_ssh_key": "ops", "source_security_group_ids": ref("var.sgs")}]})])

msk(t) := res("aws_msk_cluster", "m", {"encryption_info": [{"encryption_in_transit": [t]}]})

test_tf064_plaintext_denied if "TG-TF-064" in ids([msk({"client_broker": "TLS_PLAINTEXT"})])

test_tf064_tls_allowed if not "TG-TF-064" in ids([msk({"client_broker": "TLS", "in_cluster": true}), res("aws_msk_cluster", "d", {})])

test_tf064_unknown_not_guessed if not "TG-TF-064" in ids([msk({"client_broker": ref("var.cb"), "in_cluster": ref("var.ic")})])

test_tf065_unencrypted_stream_denied if "TG-TF-065" in ids([res("aws_kinesis_stream", "k", {"name": "s"})])

test_tf065_kms_allowed if not "TG-TF-065" in ids([res("aws_kinesis_stream", "k", {"encryption_type": "KMS", "kms_key_id": "alias/aws/kinesis"})])

test_tf065_unknown_not_guessed if not "TG-TF-065" in ids([res("aws_kinesis_stream", "k", {"encryption_type": ref("var.e")})])

test_tf066_docdb_denied if "TG-TF-066" in ids([res("aws_neptune_cluster", "n", {})])

test_tf066_encrypted_allowed if not "TG-TF-066" in ids([res("aws_docdb_cluster", "d", {"storage_encrypted": true})])

test_tf066_unknown_not_guessed if not "TG-TF-066" in ids([res("aws_docdb_cluster", "d", {"storage_encrypted": ref("var.e")})])

test_tf067_disabled_denied if "TG-TF-067" in ids([res("aws_guardduty_detector", "g", {"enable": false})])

test_tf067_default_allowed if not "TG-TF-067" in ids([res("aws_guardduty_detector", "g", {})])

test_tf067_unknown_not_guessed if not "TG-TF-067" in ids([res("aws_guardduty_detector", "g", {"enable": ref("var.on")})])

test_tf068_no_waf_denied if "TG-TF-068" in ids([res("aws_cloudfront_distribution", "c", {})])

test_tf068_waf_allowed if not "TG-TF-068" in ids([res("aws_cloudfront_distribution", "c", {"web_acl_id": ref("aws_wafv2_web_acl.w.arn")})])

test_tf069_no_scan_denied if "TG-TF-069" in ids([res("aws_ecr_repository", "r", {"name": "app"})])

test_tf069_scan_allowed if {
	not "TG-TF-069" in ids([res("aws_ecr_repository", "r", {"image_scanning_configuration": [{"scan_on_push": true}]})])
	not "TG-TF-069" in ids([res("aws_ecr_repository", "r", {}), res("aws_ecr_registry_scanning_configuration", "s", {"scan_type": "ENHANCED"})])
}

test_tf069_unknown_not_guessed if not "TG-TF-069" in ids([res("aws_ecr_repository", "r", {"image_scanning_configuration": [{"scan_on_push": ref("var.scan")}]})])
