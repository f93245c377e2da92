package tollgate.iac.terraform_test

import rego.v1

import data.tollgate.iac.terraform

tf_input(rs) := {"format": "terraform", "file": "main.tf", "resources": rs}

ids(rs) := {v.id | some v in terraform.deny with input as tf_input(rs)}

test_public_acl_denied if "TG-TF-001" in ids([{"type": "aws_s3_bucket_acl", "address": "aws_s3_bucket_acl.a", "line": 1, "values": {"acl": "public-read"}}])

test_private_acl_allowed if not "TG-TF-001" in ids([{"type": "aws_s3_bucket_acl", "address": "aws_s3_bucket_acl.a", "line": 1, "values": {"acl": "private"}}])

test_unencrypted_rds_denied if "TG-TF-002" in ids([{"type": "aws_db_instance", "address": "aws_db_instance.d", "line": 3, "values": {}}])

test_encrypted_rds_allowed if not "TG-TF-002" in ids([{"type": "aws_db_instance", "address": "aws_db_instance.d", "line": 3, "values": {"storage_encrypted": true}}])

test_unknown_encryption_not_guessed if not "TG-TF-002" in ids([{"type": "aws_db_instance", "address": "aws_db_instance.d", "line": 3, "values": {"storage_encrypted": {"unknown": true, "expr": "var.enc"}}}])

test_public_rds_denied if "TG-TF-003" in ids([{"type": "aws_db_instance", "address": "aws_db_instance.d", "line": 3, "values": {"publicly_accessible": true, "storage_encrypted": true}}])

test_private_rds_allowed if not "TG-TF-003" in ids([{"type": "aws_db_instance", "address": "aws_db_instance.d", "line": 3, "values": {"publicly_accessible": false, "storage_encrypted": true}}])

test_ssh_open_denied if "TG-TF-010" in ids([{"type": "aws_security_group", "address": "aws_security_group.s", "line": 1, "values": {"ingress": [{"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]}}])

test_rdp_range_open_denied if "TG-TF-010" in ids([{"type": "aws_security_group_rule", "address": "aws_security_group_rule.r", "line": 1, "values": {"type": "ingress", "from_port": 3000, "to_port": 4000, "cidr_blocks": ["0.0.0.0/0"]}}])

test_ssh_internal_allowed if not "TG-TF-010" in ids([{"type": "aws_security_group", "address": "aws_security_group.s", "line": 1, "values": {"ingress": [{"from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}]}}])

test_https_open_allowed if not "TG-TF-010" in ids([{"type": "aws_security_group", "address": "aws_security_group.s", "line": 1, "values": {"ingress": [{"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}]}}])
