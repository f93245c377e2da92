# METADATA
# title: Terraform AWS checks
# description: Built-in checks over input.resources of a Terraform file or plan (docs/iac-model.md); AWS resources.
package tollgate.iac.terraform

import rego.v1

import data.tollgate.iac.lib

public_acls := {"public-read", "public-read-write", "authenticated-read"}

# METADATA
# title: S3 bucket has a public ACL
# description: A public canned ACL lets anyone on the internet list or read (or write) the bucket's objects, bypassing network segmentation of cardholder data.
# custom:
#   id: TG-TF-001
#   severity: critical
#   resources: [aws_s3_bucket, aws_s3_bucket_acl]
#   pci: ["1.3.1", "7.2.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.1.4]
#   nist: [AC-3, AC-6, SC-7]
#   remediation: Use acl = "private" (or no ACL with object ownership BucketOwnerEnforced) and grant access through IAM or bucket policies.
deny contains f if {
	some r in lib.resources({"aws_s3_bucket_acl", "aws_s3_bucket"})
	r.values.acl in public_acls
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s grants a public ACL (%s)", [r.address, r.values.acl]))
}

# METADATA
# title: RDS storage is not encrypted
# description: Database storage, snapshots and backups of an unencrypted RDS instance or Aurora cluster hold cardholder data in the clear.
# custom:
#   id: TG-TF-002
#   severity: high
#   resources: [aws_db_instance, aws_rds_cluster]
#   pci: ["3.5.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.3.1]
#   nist: [SC-28, SC-13]
#   remediation: Set storage_encrypted = true (with kms_key_id for a customer-managed key); an existing database is encrypted by restoring an encrypted snapshot copy.
deny contains f if {
	some r in lib.resources({"aws_db_instance", "aws_rds_cluster"})
	lib.not_true(r.values, "storage_encrypted")
	not object.get(r.values, "engine_mode", "") == "serverless"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set storage_encrypted = true", [r.address]))
}

# METADATA
# title: RDS instance is publicly accessible
# description: A publicly accessible database gets a public DNS name and address; the only barrier left is its security group.
# custom:
#   id: TG-TF-003
#   severity: critical
#   resources: [aws_db_instance, aws_rds_cluster_instance]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.3.3]
#   nist: [AC-4, SC-7]
#   remediation: Set publicly_accessible = false and reach the database through private subnets, a bastion or a VPN.
deny contains f if {
	some r in lib.resources({"aws_db_instance", "aws_rds_cluster_instance"})
	r.values.publicly_accessible == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets publicly_accessible = true", [r.address]))
}

# METADATA
# title: S3 bucket policy grants access to everyone
# description: An Allow statement for Principal "*" without a Condition makes the bucket readable (or writable) by anyone on the internet.
# custom:
#   id: TG-TF-004
#   severity: critical
#   resources: [aws_s3_bucket_policy, aws_s3_bucket]
#   pci: ["1.3.1", "7.2.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.1.4]
#   nist: [AC-3, AC-6, SC-7]
#   remediation: Name the principals (accounts, roles, CloudFront origin access control) or add a Condition such as aws:SourceVpce or aws:PrincipalOrgID.
deny contains f if {
	some r in lib.resources({"aws_s3_bucket_policy", "aws_s3_bucket"})
	some s in lib.statements(object.get(r.values, "policy", null))
	s.Effect == "Allow"
	everyone(s.Principal)
	not s.Condition
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows Principal \"*\" without a condition", [r.address]))
}

everyone(p) if p == "*"

everyone(p) if "*" in lib.as_array(p.AWS)

# METADATA
# title: S3 Block Public Access is not fully enabled
# description: Block Public Access is the account- or bucket-wide guard against a later public ACL or policy; each of its four settings closes a different path.
# custom:
#   id: TG-TF-005
#   severity: high
#   resources: [aws_s3_bucket_public_access_block, aws_s3_account_public_access_block]
#   pci: ["1.3.1", "7.2.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.1.4]
#   nist: [AC-3, SC-7]
#   remediation: Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.
deny contains f if {
	some r in lib.resources({"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"})
	off := [k | some k in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]; lib.not_true(r.values, k)]
	count(off) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable %s", [r.address, concat(", ", off)]))
}

# METADATA
# title: S3 bucket has no server-side encryption configuration
# description: Without an explicit default-encryption configuration (ideally with a KMS key) the bucket's encryption and key control are left to account defaults.
# custom:
#   id: TG-TF-006
#   severity: medium
#   resources: [aws_s3_bucket, aws_s3_bucket_server_side_encryption_configuration]
#   pci: ["3.5.1"]
#   cis: [CIS AWS Foundations 1.4.0 2.1.1]
#   nist: [SC-28]
#   remediation: Add an aws_s3_bucket_server_side_encryption_configuration (sse_algorithm aws:kms with a kms_master_key_id) for the bucket.
deny contains f if {
	some r in lib.resources({"aws_s3_bucket"})
	unset_or_empty(r.values, "server_side_encryption_configuration")
	not lib.companion({"aws_s3_bucket_server_side_encryption_configuration"}, "bucket", r, "bucket")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no server-side encryption configuration in its module", [r.address]))
}

unset_or_empty(o, key) if lib.unset(o, key)

unset_or_empty(o, key) if o[key] == []

tls_deny(s) if {
	s.Effect == "Deny"
	some v in lib.as_array(s.Condition.Bool["aws:SecureTransport"])
	v in {false, "false"}
}

policy_known(doc) if json.is_valid(doc)

policy_known(doc) if {
	is_object(doc)
	lib.known(doc)
}

# METADATA
# title: S3 bucket policy does not require TLS
# description: Without a Deny on aws:SecureTransport = false the bucket also answers plain HTTP, so data and credentials can cross the network unencrypted.
# custom:
#   id: TG-TF-007
#   severity: medium
#   resources: [aws_s3_bucket_policy]
#   pci: ["4.2.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.1.1]
#   nist: [SC-8, SC-13]
#   remediation: Add a statement with Effect Deny, Principal "*", Action s3:*, and Condition Bool aws:SecureTransport "false".
deny contains f if {
	some r in lib.resources({"aws_s3_bucket_policy"})
	policy_known(r.values.policy)
	not tls_required(r.values.policy)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no statement denying requests without aws:SecureTransport", [r.address]))
}

tls_required(doc) if {
	some s in lib.statements(doc)
	tls_deny(s)
}

# METADATA
# title: S3 bucket access logging is not enabled
# description: Server access logs record who read or changed which object; without them access to stored data cannot be reconstructed.
# custom:
#   id: TG-TF-008
#   severity: low
#   resources: [aws_s3_bucket, aws_s3_bucket_logging]
#   pci: ["10.2.1"]
#   cis: [CIS AWS Foundations 2.0.0 3.6]
#   nist: [AU-2, AU-12]
#   remediation: Add an aws_s3_bucket_logging resource for the bucket with a dedicated log bucket as target_bucket.
deny contains f if {
	some r in lib.resources({"aws_s3_bucket"})
	unset_or_empty(r.values, "logging")
	not lib.companion({"aws_s3_bucket_logging"}, "bucket", r, "bucket")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no access logging in its module", [r.address]))
}

# METADATA
# title: S3 bucket versioning is not enabled
# description: Versioning keeps overwritten and deleted objects recoverable after mistakes or ransomware, a basis of disaster recovery and log integrity.
# custom:
#   id: TG-TF-009
#   severity: low
#   resources: [aws_s3_bucket, aws_s3_bucket_versioning]
#   pci: ["10.3.3", "12.10.1"]
#   nist: [CP-9, SI-7]
#   remediation: Add an aws_s3_bucket_versioning resource with versioning_configuration status = "Enabled".
deny contains f if {
	some r in lib.resources({"aws_s3_bucket", "aws_s3_bucket_versioning"})
	unversioned(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: versioning is not enabled", [r.address]))
}

unversioned(r) if {
	r.type == "aws_s3_bucket"
	lib.not_true(lib.block(r.values, "versioning"), "enabled")
	not lib.companion({"aws_s3_bucket_versioning"}, "bucket", r, "bucket")
}

unversioned(r) if {
	r.type == "aws_s3_bucket_versioning"
	lib.block(r.values, "versioning_configuration").status in {"Suspended", "Disabled"}
}

admin_ports := {22: "SSH", 3389: "RDP"}

sensitive_ports := {
	21: "FTP", 23: "Telnet", 445: "SMB", 1433: "SQL Server", 1521: "Oracle", 2375: "Docker API",
	2376: "Docker API (TLS)", 3306: "MySQL", 5432: "PostgreSQL", 5900: "VNC", 5984: "CouchDB",
	6379: "Redis", 9042: "Cassandra", 9200: "Elasticsearch", 11211: "Memcached", 27017: "MongoDB",
}

open_cidr(rule) if "0.0.0.0/0" in object.get(rule, "cidr_blocks", [])

open_cidr(rule) if "::/0" in object.get(rule, "ipv6_cidr_blocks", [])

open_cidr(rule) if rule.cidr_ipv4 == "0.0.0.0/0"

open_cidr(rule) if rule.cidr_ipv6 == "::/0"

all_traffic(rule) if object.get(rule, "protocol", object.get(rule, "ip_protocol", "")) in {"-1", -1, "all"}

all_traffic(rule) if {
	rule.from_port == 0
	rule.to_port == 65535
}

covers(rule, port) if {
	not all_traffic(rule)
	lib.covers(rule.from_port, rule.to_port, port)
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

sg_types := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}

# METADATA
# title: Security group allows administrative access from the internet
# description: SSH and RDP open to 0.0.0.0/0 or ::/0 expose administrative interfaces to brute force and exploits from anywhere.
# custom:
#   id: TG-TF-010
#   severity: critical
#   resources: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   pci: ["1.3.1", "1.2.5", "2.2.7"]
#   cis: [CIS AWS Foundations 2.0.0 5.2, CIS AWS Foundations 2.0.0 5.3]
#   nist: [AC-17, SC-7]
#   remediation: Restrict the source to known administrative ranges, or use SSM Session Manager or a bastion instead of opening SSH/RDP.
deny contains f if {
	some r in lib.resources(sg_types)
	some rule in ingress_rules(r)
	open_cidr(rule)
	some port, name in admin_ports
	covers(rule, port)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s (port %d) from anywhere", [r.address, name, port]))
}

# METADATA
# title: Security group exposes a database or sensitive service to the internet
# description: Database, cache, search, Docker and legacy cleartext service ports open to the internet invite data theft and remote code execution.
# custom:
#   id: TG-TF-011
#   severity: high
#   resources: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   pci: ["1.3.1", "1.2.5", "1.4.1"]
#   cis: [CIS AWS Foundations 2.0.0 5.2]
#   nist: [SC-7, CM-7]
#   remediation: Allow these ports only from the application's security groups or private CIDR ranges.
deny contains f if {
	some r in lib.resources(sg_types)
	some rule in ingress_rules(r)
	open_cidr(rule)
	names := [sprintf("%s (%d)", [name, port]) | some port, name in sensitive_ports; covers(rule, port)]
	count(names) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s from anywhere", [r.address, concat(", ", names)]))
}

# METADATA
# title: Security group allows all traffic from the internet
# description: A rule for every protocol or port from 0.0.0.0/0 or ::/0 removes the network boundary entirely.
# custom:
#   id: TG-TF-012
#   severity: critical
#   resources: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   pci: ["1.3.1", "1.2.5"]
#   cis: [CIS AWS Foundations 2.0.0 5.2]
#   nist: [SC-7]
#   remediation: Allow only the ports the service needs, from the sources that need them.
deny contains f if {
	some r in lib.resources(sg_types)
	some rule in ingress_rules(r)
	open_cidr(rule)
	all_traffic(rule)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows all traffic from anywhere", [r.address]))
}

# METADATA
# title: RDS backup retention is shorter than 7 days
# description: Automated backups and point-in-time recovery are the database's disaster-recovery path; without them (or with a day's retention) lost data is gone.
# custom:
#   id: TG-TF-013
#   severity: medium
#   resources: [aws_db_instance, aws_rds_cluster]
#   pci: ["12.10.1"]
#   nist: [CP-9, CP-10]
#   remediation: Set backup_retention_period to at least 7 (35 for production cardholder-data stores).
deny contains f if {
	some r in lib.resources({"aws_db_instance", "aws_rds_cluster"})
	lib.unset(r.values, "replicate_source_db")
	short_retention(object.get(r.values, "backup_retention_period", null))
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s keeps automated backups for less than 7 days", [r.address]))
}

short_retention(v) if v == null

short_retention(v) if {
	is_number(v)
	v < 7
}

# METADATA
# title: RDS deletion protection is disabled
# description: Without deletion protection a single apply or API call destroys the database and its automated backups.
# custom:
#   id: TG-TF-014
#   severity: medium
#   resources: [aws_db_instance, aws_rds_cluster]
#   pci: ["12.10.1"]
#   nist: [CP-9, CM-3]
#   remediation: Set deletion_protection = true.
deny contains f if {
	some r in lib.resources({"aws_db_instance", "aws_rds_cluster"})
	lib.not_true(r.values, "deletion_protection")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set deletion_protection = true", [r.address]))
}

# METADATA
# title: EC2 instance block device is not encrypted
# description: Root and data volumes of an instance, and their snapshots, hold application data in the clear unless encrypted.
# custom:
#   id: TG-TF-015
#   severity: medium
#   resources: [aws_instance]
#   pci: ["3.5.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.2.1]
#   nist: [SC-28]
#   remediation: Set encrypted = true in root_block_device and every ebs_block_device (or enable EBS encryption by default).
deny contains f if {
	some r in lib.resources({"aws_instance"})
	some kind in ["root_block_device", "ebs_block_device"]
	devices := object.get(r.values, kind, [])
	is_array(devices)
	some d in devices
	lib.not_true(d, "encrypted")
	lib.unset(d, "snapshot_id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: %s is not encrypted", [r.address, kind]))
}

# METADATA
# title: EBS volume or default encryption disabled
# description: An unencrypted EBS volume (or turning off account-wide default encryption) leaves block storage and snapshots readable.
# custom:
#   id: TG-TF-016
#   severity: high
#   resources: [aws_ebs_volume, aws_ebs_encryption_by_default]
#   pci: ["3.5.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.2.1]
#   nist: [SC-28]
#   remediation: Set encrypted = true on aws_ebs_volume (with kms_key_id) and enabled = true on aws_ebs_encryption_by_default.
deny contains f if {
	some r in lib.resources({"aws_ebs_volume", "aws_ebs_encryption_by_default"})
	ebs_unencrypted(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: EBS encryption is not enabled", [r.address]))
}

ebs_unencrypted(r) if {
	r.type == "aws_ebs_volume"
	lib.not_true(r.values, "encrypted")
	lib.unset(r.values, "snapshot_id")
}

ebs_unencrypted(r) if {
	r.type == "aws_ebs_encryption_by_default"
	lib.is_false(r.values, "enabled")
}

# METADATA
# title: EC2 instance metadata service does not require IMDSv2
# description: IMDSv1 answers unauthenticated GET requests, so one SSRF flaw in the application hands out the instance role's credentials.
# custom:
#   id: TG-TF-017
#   severity: medium
#   resources: [aws_instance, aws_launch_template]
#   pci: ["2.2.6", "6.2.4"]
#   cis: [CIS AWS Foundations 3.0.0 5.6]
#   nist: [AC-3, SC-7, CM-6]
#   remediation: Add metadata_options with http_tokens = "required" (or http_endpoint = "disabled").
deny contains f if {
	some r in lib.resources({"aws_instance", "aws_launch_template"})
	m := lib.block(r.values, "metadata_options")
	lib.known(m)
	not object.get(m, "http_endpoint", "") == "disabled"
	tokens := object.get(m, "http_tokens", "optional")
	lib.known(tokens)
	tokens != "required"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not require IMDSv2 (http_tokens = \"required\")", [r.address]))
}

# METADATA
# title: EFS file system is not encrypted
# description: Files on an unencrypted EFS file system, and its backups, are stored in the clear.
# custom:
#   id: TG-TF-018
#   severity: high
#   resources: [aws_efs_file_system]
#   pci: ["3.5.1"]
#   cis: [CIS AWS Foundations 2.0.0 2.4.1]
#   nist: [SC-28]
#   remediation: Set encrypted = true (with kms_key_id); encryption can only be chosen when the file system is created.
deny contains f if {
	some r in lib.resources({"aws_efs_file_system"})
	lib.not_true(r.values, "encrypted")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set encrypted = true", [r.address]))
}

# METADATA
# title: DynamoDB table is not encrypted with a KMS key
# description: Without server_side_encryption enabled the table uses an AWS-owned key that you cannot audit, rotate or revoke.
# custom:
#   id: TG-TF-019
#   severity: low
#   resources: [aws_dynamodb_table]
#   pci: ["3.5.1", "3.6.1"]
#   nist: [SC-12, SC-28]
#   remediation: Add server_side_encryption with enabled = true and a customer-managed kms_key_arn.
deny contains f if {
	some r in lib.resources({"aws_dynamodb_table"})
	lib.not_true(lib.block(r.values, "server_side_encryption"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable server_side_encryption with a KMS key", [r.address]))
}

# METADATA
# title: DynamoDB point-in-time recovery is disabled
# description: Point-in-time recovery restores a table to any second of the last 35 days after a faulty write or deletion.
# custom:
#   id: TG-TF-020
#   severity: medium
#   resources: [aws_dynamodb_table]
#   pci: ["12.10.1"]
#   nist: [CP-9, CP-10]
#   remediation: Add point_in_time_recovery with enabled = true.
deny contains f if {
	some r in lib.resources({"aws_dynamodb_table"})
	lib.not_true(lib.block(r.values, "point_in_time_recovery"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable point_in_time_recovery", [r.address]))
}

# METADATA
# title: ElastiCache data is not encrypted at rest
# description: Cached session and payment data, and its backups, are stored in the clear without at-rest encryption.
# custom:
#   id: TG-TF-021
#   severity: high
#   resources: [aws_elasticache_replication_group]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Set at_rest_encryption_enabled = true (with kms_key_id).
deny contains f if {
	some r in lib.resources({"aws_elasticache_replication_group"})
	lib.not_true(r.values, "at_rest_encryption_enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set at_rest_encryption_enabled = true", [r.address]))
}

# METADATA
# title: ElastiCache traffic is not encrypted in transit
# description: Without in-transit encryption clients and replicas exchange cached data and AUTH tokens in plain text.
# custom:
#   id: TG-TF-022
#   severity: high
#   resources: [aws_elasticache_replication_group]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Set transit_encryption_enabled = true (and an auth_token from a secret store).
deny contains f if {
	some r in lib.resources({"aws_elasticache_replication_group"})
	lib.not_true(r.values, "transit_encryption_enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set transit_encryption_enabled = true", [r.address]))
}

# METADATA
# title: SQS queue is not encrypted
# description: Messages of a queue with server-side encryption turned off are stored unencrypted.
# custom:
#   id: TG-TF-023
#   severity: medium
#   resources: [aws_sqs_queue]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Remove sqs_managed_sse_enabled = false, or set kms_master_key_id to a customer-managed key.
deny contains f if {
	some r in lib.resources({"aws_sqs_queue"})
	lib.is_false(r.values, "sqs_managed_sse_enabled")
	lib.unset(r.values, "kms_master_key_id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s disables server-side encryption", [r.address]))
}

# METADATA
# title: SNS topic is not encrypted
# description: Messages published to a topic without a KMS key are stored unencrypted until delivered.
# custom:
#   id: TG-TF-024
#   severity: medium
#   resources: [aws_sns_topic]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Set kms_master_key_id (alias/aws/sns or a customer-managed key).
deny contains f if {
	some r in lib.resources({"aws_sns_topic"})
	lib.unset(r.values, "kms_master_key_id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no kms_master_key_id", [r.address]))
}

# METADATA
# title: KMS key rotation is disabled
# description: Yearly automatic rotation limits how much data one key version protects, as cryptoperiod rules require.
# custom:
#   id: TG-TF-025
#   severity: medium
#   resources: [aws_kms_key]
#   pci: ["3.6.1", "3.7.4"]
#   cis: [CIS AWS Foundations 2.0.0 3.8]
#   nist: [SC-12]
#   remediation: Set enable_key_rotation = true on symmetric keys.
deny contains f if {
	some r in lib.resources({"aws_kms_key"})
	object.get(r.values, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	lib.not_true(r.values, "enable_key_rotation")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set enable_key_rotation = true", [r.address]))
}

# METADATA
# title: CloudTrail trail is not multi-region
# description: A single-region trail misses API activity in every other region, including regions an attacker chooses because nobody watches them.
# custom:
#   id: TG-TF-026
#   severity: medium
#   resources: [aws_cloudtrail]
#   pci: ["10.2.1", "10.2.2"]
#   cis: [CIS AWS Foundations 2.0.0 3.1]
#   nist: [AU-2, AU-12]
#   remediation: Set is_multi_region_trail = true.
deny contains f if {
	some r in lib.resources({"aws_cloudtrail"})
	lib.not_true(r.values, "is_multi_region_trail")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s is not a multi-region trail", [r.address]))
}

# METADATA
# title: CloudTrail log file validation is disabled
# description: Digest files let you prove that delivered log files were not modified or deleted.
# custom:
#   id: TG-TF-027
#   severity: medium
#   resources: [aws_cloudtrail]
#   pci: ["10.3.2", "10.3.4"]
#   cis: [CIS AWS Foundations 2.0.0 3.2]
#   nist: [AU-9, SI-7]
#   remediation: Set enable_log_file_validation = true.
deny contains f if {
	some r in lib.resources({"aws_cloudtrail"})
	lib.not_true(r.values, "enable_log_file_validation")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set enable_log_file_validation = true", [r.address]))
}

# METADATA
# title: CloudTrail logs are not encrypted with KMS
# description: SSE-KMS on the trail adds a key policy as a second control over who can read the audit trail.
# custom:
#   id: TG-TF-028
#   severity: low
#   resources: [aws_cloudtrail]
#   pci: ["10.3.2", "3.5.1"]
#   cis: [CIS AWS Foundations 2.0.0 3.7]
#   nist: [AU-9, SC-28]
#   remediation: Set kms_key_id to a customer-managed KMS key whose policy allows CloudTrail to encrypt.
deny contains f if {
	some r in lib.resources({"aws_cloudtrail"})
	lib.unset(r.values, "kms_key_id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no kms_key_id", [r.address]))
}

# METADATA
# title: CloudTrail logging is turned off
# description: A trail with enable_logging = false records nothing; audit logging of administrative actions is required.
# custom:
#   id: TG-TF-029
#   severity: high
#   resources: [aws_cloudtrail]
#   pci: ["10.2.1", "10.2.1.2"]
#   cis: [CIS AWS Foundations 2.0.0 3.1]
#   nist: [AU-2, AU-12]
#   remediation: Remove enable_logging = false.
deny contains f if {
	some r in lib.resources({"aws_cloudtrail"})
	lib.is_false(r.values, "enable_logging")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets enable_logging = false", [r.address]))
}

# METADATA
# title: VPC has no flow log
# description: Flow logs record accepted and rejected connections; without them network intrusions cannot be investigated.
# custom:
#   id: TG-TF-030
#   severity: medium
#   resources: [aws_vpc, aws_flow_log]
#   pci: ["10.2.1", "1.2.7"]
#   cis: [CIS AWS Foundations 2.0.0 3.9]
#   nist: [AU-12, SI-4]
#   remediation: Add an aws_flow_log with vpc_id = aws_vpc.<name>.id and traffic_type = "ALL" (in any .tf file of the module).
deny contains f if {
	some r in lib.resources({"aws_vpc"})
	not lib.companion({"aws_flow_log"}, "vpc_id", r, "id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no aws_flow_log in its module", [r.address]))
}

# METADATA
# title: Load balancer listens on plain HTTP
# description: An HTTP listener that serves instead of redirecting sends session cookies and card data unencrypted.
# custom:
#   id: TG-TF-031
#   severity: high
#   resources: [aws_lb_listener, aws_alb_listener, aws_elb]
#   pci: ["4.2.1"]
#   nist: [SC-8, SC-23]
#   remediation: Serve HTTPS (or TLS) only; an HTTP listener may only redirect to HTTPS (default_action type redirect, protocol HTTPS).
deny contains f if {
	some r in lib.resources({"aws_lb_listener", "aws_alb_listener", "aws_elb"})
	plain_http(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s accepts plain HTTP", [r.address]))
}

plain_http(r) if {
	r.type in {"aws_lb_listener", "aws_alb_listener"}
	r.values.protocol == "HTTP"
	not redirects_to_https(r)
}

plain_http(r) if {
	r.type == "aws_elb"
	some l in r.values.listener
	lower(l.lb_protocol) == "http"
}

redirects_to_https(r) if {
	some a in r.values.default_action
	a.type == "redirect"
	lib.block(a, "redirect").protocol in {"HTTPS", "#{protocol}"}
}

# METADATA
# title: Load balancer uses an outdated TLS policy
# description: Security policies before the TLS 1.2 ones (the default ELBSecurityPolicy-2016-08 included) still accept TLS 1.0/1.1 and weak ciphers.
# custom:
#   id: TG-TF-032
#   severity: medium
#   resources: [aws_lb_listener, aws_alb_listener]
#   pci: ["4.2.1"]
#   nist: [SC-8, SC-13]
#   remediation: Set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy).
deny contains f if {
	some r in lib.resources({"aws_lb_listener", "aws_alb_listener"})
	r.values.protocol in {"HTTPS", "TLS"}
	p := object.get(r.values, "ssl_policy", "ELBSecurityPolicy-2016-08 (default)")
	is_string(p)
	not regex.match(`TLS-1-2|FS-1-2|TLS13-1-[23]`, p)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s uses TLS policy %s that allows TLS below 1.2", [r.address, p]))
}

# METADATA
# title: CloudFront minimum TLS version is below 1.2
# description: A minimum protocol below TLSv1.2 (or the default CloudFront certificate, which forces TLSv1) lets clients negotiate deprecated TLS.
# custom:
#   id: TG-TF-033
#   severity: medium
#   resources: [aws_cloudfront_distribution]
#   pci: ["4.2.1"]
#   nist: [SC-8, SC-13]
#   remediation: Use an ACM certificate with minimum_protocol_version = "TLSv1.2_2021".
deny contains f if {
	some r in lib.resources({"aws_cloudfront_distribution"})
	vc := lib.block(r.values, "viewer_certificate")
	lib.known(vc)
	old_cloudfront_tls(vc)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows TLS below 1.2 for viewers", [r.address]))
}

old_cloudfront_tls(vc) if vc.cloudfront_default_certificate == true

old_cloudfront_tls(vc) if {
	not vc.cloudfront_default_certificate == true
	v := object.get(vc, "minimum_protocol_version", "TLSv1")
	is_string(v)
	not startswith(v, "TLSv1.2")
	not startswith(v, "TLSv1.3")
}

# METADATA
# title: CloudFront serves content over HTTP
# description: viewer_protocol_policy allow-all lets viewers use unencrypted HTTP to the edge.
# custom:
#   id: TG-TF-034
#   severity: high
#   resources: [aws_cloudfront_distribution]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Set viewer_protocol_policy = "redirect-to-https" or "https-only" in every cache behavior.
deny contains f if {
	some r in lib.resources({"aws_cloudfront_distribution"})
	some kind in ["default_cache_behavior", "ordered_cache_behavior"]
	some b in object.get(r.values, kind, [])
	b.viewer_protocol_policy == "allow-all"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: %s allows HTTP (viewer_protocol_policy = allow-all)", [r.address, kind]))
}

iam_policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

# Allow statements of IAM policies in a common shape {actions, resources}:
# JSON policy documents (string or object) and aws_iam_policy_document blocks.
allow_statements(r) := [{"actions": lib.as_array(object.get(s, "Action", [])), "resources": lib.as_array(object.get(s, "Resource", []))} |
	some s in lib.statements(object.get(r.values, "policy", null))
	s.Effect == "Allow"
] if r.type in iam_policy_types

allow_statements(r) := [{"actions": object.get(s, "actions", []), "resources": object.get(s, "resources", [])} |
	some s in object.get(r.values, "statement", [])
	object.get(s, "effect", "Allow") == "Allow"
] if r.type == "aws_iam_policy_document"

# METADATA
# title: IAM policy allows every action
# description: Action "*" (or service:*) grants far more than a workload needs, breaking least privilege; with Resource "*" it is full administrator access.
# custom:
#   id: TG-TF-035
#   severity: high
#   resources: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_policy_document]
#   pci: ["7.2.1", "7.2.2"]
#   cis: [CIS AWS Foundations 2.0.0 1.16]
#   nist: [AC-6]
#   remediation: List the specific actions the principal needs (IAM Access Analyzer can generate them from CloudTrail).
deny contains f if {
	some r in lib.resources(iam_policy_types | {"aws_iam_policy_document"})
	some s in allow_statements(r)
	some a in s.actions
	is_string(a)
	wildcard_action(a)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows action %q", [r.address, a]))
}

# Every action, or every action of a service ("*", "s3:*"); a wildcard over a
# verb (ec2:Describe*, iam:Put*) is not every action (TG-TF-036 judges those).
wildcard_action(a) if a == "*"

wildcard_action(a) if endswith(a, ":*")

# METADATA
# title: IAM policy allows actions on every resource
# description: Resource "*" for write or wildcard actions lets the principal act on every resource in the account, not just its own.
# custom:
#   id: TG-TF-036
#   severity: medium
#   resources: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_policy_document]
#   pci: ["7.2.1", "7.2.2"]
#   nist: [AC-6]
#   remediation: Scope Resource to ARNs; Resource "*" is only needed for list/describe actions that support no resource.
deny contains f if {
	some r in lib.resources(iam_policy_types | {"aws_iam_policy_document"})
	some s in allow_statements(r)
	"*" in s.resources
	writes := [a | some a in s.actions; not read_only(a)]
	count(writes) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s on Resource \"*\"", [r.address, concat(", ", writes)]))
}

# Read-only actions, also as wildcards (ec2:Describe*, s3:List*, iam:Get*): they
# grant no write, so Resource "*" with them is not a finding. IAM action names
# are case-insensitive.
read_only(a) if regex.match(`^(?i)[a-z0-9-]+:(describe|list|get)[a-z0-9]*\*?$`, a)

# METADATA
# title: Provider block contains hard-coded credentials
# description: Access keys, secrets and tokens written into provider blocks end up in version control, plan files and CI logs.
# custom:
#   id: TG-TF-037
#   severity: critical
#   resources: [provider]
#   pci: ["8.3.2", "8.6.2"]
#   cis: [CIS AWS Foundations 2.0.0 1.4]
#   nist: [IA-5, SC-28]
#   remediation: Remove the literal; use the provider's environment variables, a shared profile, an assumed role or OIDC federation.
deny contains f if {
	lib.tf
	some b in object.get(input, "blocks", [])
	b.type == "provider"
	some k, v in b.body
	provider_secret(k, v)
	name := object.get(b, "labels", ["?"])[0]
	f := lib.finding(rego.metadata.rule(), {"line": b.line, "address": sprintf("provider.%s", [name])},
		sprintf("provider %q sets %s to a literal value", [name, k]))
}

provider_secret(k, v) if {
	lib.credential_name(k)
	lib.credential_value(v)
}

provider_secret(k, v) if {
	k == "credentials"
	is_string(v)
	startswith(trim_space(v), "{")
}

# METADATA
# title: Database password is hard-coded
# description: A literal master password in Terraform is stored in version control and in the state file for everyone who can read them.
# custom:
#   id: TG-TF-038
#   severity: high
#   resources: [aws_db_instance, aws_rds_cluster, aws_redshift_cluster, aws_docdb_cluster, azurerm_mssql_server, azurerm_postgresql_server, azurerm_mysql_server, google_sql_user]
#   pci: ["8.3.2", "8.6.2"]
#   nist: [IA-5]
#   remediation: Use manage_master_user_password = true (Secrets Manager) or a sensitive variable fed from a secret store; rotate the exposed password.
deny contains f if {
	input.format == "terraform" # a plan holds the values of variables too, wherever they came from
	some r in lib.resources({t | some t, _ in password_attrs_by_type})
	some k in password_attrs_by_type[r.type]
	lib.credential_value(object.get(r.values, k, null))
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets %s to a literal value", [r.address, k]))
}

password_attrs_by_type := {
	"aws_db_instance": ["password"],
	"aws_rds_cluster": ["master_password"],
	"aws_redshift_cluster": ["master_password"],
	"aws_docdb_cluster": ["master_password"],
	"azurerm_mssql_server": ["administrator_login_password"],
	"azurerm_postgresql_server": ["administrator_login_password"],
	"azurerm_mysql_server": ["administrator_login_password"],
	"google_sql_user": ["password"],
}

# METADATA
# title: EKS cluster API endpoint is public to the internet
# description: A public Kubernetes API endpoint without source restrictions exposes cluster administration to credential stuffing and API exploits.
# custom:
#   id: TG-TF-039
#   severity: high
#   resources: [aws_eks_cluster]
#   pci: ["1.3.1", "1.4.1"]
#   cis: [CIS Amazon EKS 1.4.0 5.4.2]
#   nist: [AC-17, SC-7]
#   remediation: Set endpoint_public_access = false, or restrict public_access_cidrs to known ranges.
deny contains f if {
	some r in lib.resources({"aws_eks_cluster"})
	vc := lib.block(r.values, "vpc_config")
	lib.known(vc)
	object.get(vc, "endpoint_public_access", true) == true
	cidrs := object.get(vc, "public_access_cidrs", ["0.0.0.0/0"])
	"0.0.0.0/0" in cidrs
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s exposes its API endpoint to 0.0.0.0/0", [r.address]))
}

os_types := {"aws_opensearch_domain", "aws_elasticsearch_domain"}

# METADATA
# title: OpenSearch domain is not encrypted at rest
# description: Indexes, logs and automated snapshots of an OpenSearch (Elasticsearch) domain without encryption at rest hold searchable cardholder data in the clear.
# custom:
#   id: TG-TF-040
#   severity: high
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Add encrypt_at_rest with enabled = true (and a customer-managed kms_key_id).
deny contains f if {
	some r in lib.resources(os_types)
	lib.not_true(lib.block(r.values, "encrypt_at_rest"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable encrypt_at_rest", [r.address]))
}

# METADATA
# title: OpenSearch node-to-node encryption is disabled
# description: Without node-to-node encryption the nodes of a domain replicate documents to each other over unencrypted connections.
# custom:
#   id: TG-TF-041
#   severity: medium
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Add node_to_node_encryption with enabled = true.
deny contains f if {
	some r in lib.resources(os_types)
	lib.not_true(lib.block(r.values, "node_to_node_encryption"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable node_to_node_encryption", [r.address]))
}

# METADATA
# title: OpenSearch endpoint accepts HTTP or TLS below 1.2
# description: With enforce_https = false clients may query the domain over plain HTTP, and a Policy-Min-TLS-1-0 security policy still accepts TLS 1.0 and 1.1.
# custom:
#   id: TG-TF-042
#   severity: high
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain]
#   pci: ["4.2.1"]
#   nist: [SC-8, SC-13]
#   remediation: In domain_endpoint_options set enforce_https = true and tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10" (or another TLS 1.2 policy).
deny contains f if {
	some r in lib.resources(os_types)
	o := lib.block(r.values, "domain_endpoint_options")
	weak_endpoint(o)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s accepts plain HTTP or TLS below 1.2 (domain_endpoint_options)", [r.address]))
}

weak_endpoint(o) if lib.is_false(o, "enforce_https")

weak_endpoint(o) if {
	p := object.get(o, "tls_security_policy", "")
	is_string(p)
	contains(p, "TLS-1-0")
}

# METADATA
# title: OpenSearch domain has a public endpoint
# description: A domain outside a VPC gets an internet endpoint whose only protection is its access policy; inside a VPC security groups limit who can reach it.
# custom:
#   id: TG-TF-043
#   severity: medium
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain]
#   pci: ["1.3.1", "1.4.1"]
#   nist: [AC-4, SC-7]
#   remediation: Add vpc_options with private subnet_ids and security_group_ids (a domain cannot move into a VPC in place; create a new one and migrate).
deny contains f if {
	some r in lib.resources(os_types)
	not in_vpc(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no vpc_options: its endpoint is public", [r.address]))
}

in_vpc(r) if {
	v := lib.block(r.values, "vpc_options")
	v != {}
}

# METADATA
# title: OpenSearch domain access policy allows everyone
# description: A public domain whose access policy allows Principal "*" without a Condition lets anyone on the internet read and write its indexes.
# custom:
#   id: TG-TF-044
#   severity: critical
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain, aws_opensearch_domain_policy, aws_elasticsearch_domain_policy]
#   pci: ["1.3.1", "7.2.1"]
#   nist: [AC-3, AC-6, SC-7]
#   remediation: Name the IAM principals in the access policy, add a Condition (for example aws:SourceIp), or place the domain in a VPC.
deny contains f if {
	some r in lib.resources(os_types | {"aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy"})
	open_statement(object.get(r.values, "access_policies", null))
	not policy_domain_in_vpc(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows Principal \"*\" without a condition on a public domain", [r.address]))
}

open_statement(doc) if {
	some s in lib.statements(doc)
	s.Effect == "Allow"
	everyone(s.Principal)
	not s.Condition
}

policy_domain_in_vpc(r) if {
	r.type in os_types
	in_vpc(r)
}

# A domain policy names its domain: when that domain (or any domain the
# module cannot tell apart from it) is in a VPC, no guess.
policy_domain_in_vpc(r) if {
	not r.type in os_types
	some d in lib.module_resources(os_types)
	lib.refers_to(r.values.domain_name, d, "domain_name")
	in_vpc(d)
}

policy_domain_in_vpc(r) if {
	not r.type in os_types
	lib.unknown(r.values.domain_name)
	not some_domain_named(r.values.domain_name)
}

some_domain_named(x) if {
	some d in lib.module_resources(os_types)
	lib.refers_to(x, d, "domain_name")
}

# METADATA
# title: OpenSearch audit logs are not published
# description: Audit logs record who searched, read and changed which index; without them access to the data in the domain cannot be traced to a user.
# custom:
#   id: TG-TF-045
#   severity: low
#   resources: [aws_opensearch_domain, aws_elasticsearch_domain]
#   pci: ["10.2.1", "10.2.1.1"]
#   nist: [AU-2, AU-12]
#   remediation: Enable fine-grained access control and add log_publishing_options with log_type = "AUDIT_LOGS" and a CloudWatch log group.
deny contains f if {
	some r in lib.resources(os_types)
	opts := object.get(r.values, "log_publishing_options", [])
	is_array(opts)
	not audit_published(opts)
	not some_unknown(opts)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not publish AUDIT_LOGS", [r.address]))
}

audit_published(opts) if {
	some o in opts
	o.log_type == "AUDIT_LOGS"
	not o.enabled == false
}

some_unknown(xs) if {
	some x in xs
	lib.unknown(x)
}

some_unknown(xs) if {
	some x in xs
	some v in x
	lib.unknown(v)
}

# METADATA
# title: KMS key policy allows everyone
# description: A key policy statement that allows Principal "*" without a Condition lets any AWS account use or manage the key that protects cardholder data.
# custom:
#   id: TG-TF-046
#   severity: critical
#   resources: [aws_kms_key, aws_kms_key_policy]
#   pci: ["3.6.1", "7.2.1"]
#   nist: [AC-3, AC-6, SC-12]
#   remediation: Name the account root and the specific roles as principals, or restrict Principal "*" with a Condition such as kms:CallerAccount or aws:PrincipalOrgID.
deny contains f if {
	some r in lib.resources({"aws_kms_key", "aws_kms_key_policy"})
	open_statement(object.get(r.values, "policy", null))
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s key policy allows Principal \"*\" without a condition", [r.address]))
}

# METADATA
# title: KMS key policy grants every KMS action to a role or user
# description: kms:* (or "*") for a role or user makes it administrator and user of the key at once; key custody needs the fewest custodians and separate administration and use.
# custom:
#   id: TG-TF-047
#   severity: medium
#   resources: [aws_kms_key, aws_kms_key_policy]
#   pci: ["3.6.1", "3.7.6", "7.2.2"]
#   nist: [AC-5, AC-6, SC-12]
#   remediation: Keep kms:* for the account root only; give key administrators the kms:Create*/Put*/Enable*/... actions and users kms:Encrypt/Decrypt/GenerateDataKey* in separate statements.
deny contains f if {
	some r in lib.resources({"aws_kms_key", "aws_kms_key_policy"})
	some s in lib.statements(object.get(r.values, "policy", null))
	s.Effect == "Allow"
	some a in lib.as_array(object.get(s, "Action", []))
	a in {"*", "kms:*"}
	some p in lib.as_array(object.get(object.get(s, "Principal", {}), "AWS", []))
	is_string(p)
	p != "*"
	not endswith(p, ":root")
	not regex.match(`^[0-9]{12}$`, p)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s key policy grants %s to %s", [r.address, a, p]))
}

# METADATA
# title: EKS secrets are not encrypted with a KMS key
# description: Without envelope encryption Kubernetes Secrets are stored in etcd protected only by the volume encryption AWS manages, not by a key you control and audit.
# custom:
#   id: TG-TF-048
#   severity: medium
#   resources: [aws_eks_cluster]
#   pci: ["3.5.1", "3.6.1"]
#   cis: [CIS Amazon EKS 1.4.0 5.3.1]
#   nist: [SC-12, SC-28]
#   remediation: Add encryption_config with resources = ["secrets"] and provider key_arn of a customer-managed KMS key.
deny contains f if {
	some r in lib.resources({"aws_eks_cluster"})
	cfg := object.get(r.values, "encryption_config", [])
	is_array(cfg)
	not some_unknown(cfg)
	not secrets_encrypted(cfg)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no encryption_config for secrets", [r.address]))
}

secrets_encrypted(cfg) if {
	some c in cfg
	"secrets" in c.resources
}

eks_log_types := {"api", "audit", "authenticator"}

# METADATA
# title: EKS control plane audit logging is incomplete
# description: The api, audit and authenticator logs record who did what to the cluster; EKS sends none of them unless they are enabled.
# custom:
#   id: TG-TF-049
#   severity: medium
#   resources: [aws_eks_cluster]
#   pci: ["10.2.1", "10.2.1.2"]
#   cis: [CIS Amazon EKS 1.4.0 2.1.1]
#   nist: [AU-2, AU-12]
#   remediation: Set enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"].
deny contains f if {
	some r in lib.resources({"aws_eks_cluster"})
	types := object.get(r.values, "enabled_cluster_log_types", [])
	is_array(types)
	not some_unknown_value(types)
	missing := [t | some t in eks_log_types; not t in types]
	count(missing) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable the %s control plane logs", [r.address, concat(", ", sort(missing))]))
}

some_unknown_value(xs) if {
	some x in xs
	lib.unknown(x)
}

# METADATA
# title: Database parameter group turns off required TLS
# description: rds.force_ssl = 0 (PostgreSQL, SQL Server) or require_secure_transport = OFF (MySQL, MariaDB) lets clients connect and send queries and results unencrypted.
# custom:
#   id: TG-TF-050
#   severity: high
#   resources: [aws_db_parameter_group, aws_rds_cluster_parameter_group]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Set rds.force_ssl = 1 or require_secure_transport = ON in the parameter group.
deny contains f if {
	some r in lib.resources({"aws_db_parameter_group", "aws_rds_cluster_parameter_group"})
	some p in object.get(r.values, "parameter", [])
	p.name in {"rds.force_ssl", "require_secure_transport"}
	lower(sprintf("%v", [p.value])) in {"0", "off", "false"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets %s = %v", [r.address, p.name, p.value]))
}

# METADATA
# title: Redshift cluster is not encrypted
# description: An unencrypted data warehouse keeps its tables, snapshots and backups, often full of transaction history, in the clear.
# custom:
#   id: TG-TF-051
#   severity: high
#   resources: [aws_redshift_cluster]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Set encrypted = true with a kms_key_id.
deny contains f if {
	some r in lib.resources({"aws_redshift_cluster"})
	lib.is_false(r.values, "encrypted")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets encrypted = false", [r.address]))
}

# METADATA
# title: Redshift cluster is publicly accessible
# description: A publicly accessible cluster gets a public address; the only barrier left to the warehouse is its security group.
# custom:
#   id: TG-TF-052
#   severity: critical
#   resources: [aws_redshift_cluster]
#   pci: ["1.3.1", "1.4.1"]
#   nist: [AC-4, SC-7]
#   remediation: Set publicly_accessible = false and reach the cluster from private subnets.
deny contains f if {
	some r in lib.resources({"aws_redshift_cluster"})
	r.values.publicly_accessible == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets publicly_accessible = true", [r.address]))
}

# METADATA
# title: CloudWatch log group keeps logs for less than a year
# description: Audit log history must be kept for at least twelve months (three of them immediately available); a shorter retention deletes the evidence an investigation needs.
# custom:
#   id: TG-TF-053
#   severity: medium
#   resources: [aws_cloudwatch_log_group]
#   pci: ["10.5.1"]
#   nist: [AU-11]
#   remediation: Set retention_in_days to 365 or more (or 0 to keep logs forever), or export the logs to an archive that keeps them for a year.
deny contains f if {
	some r in lib.resources({"aws_cloudwatch_log_group"})
	d := r.values.retention_in_days
	is_number(d)
	d > 0
	d < 365
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s keeps logs for %d days", [r.address, d]))
}

pw_policy := {"aws_iam_account_password_policy"}

# METADATA
# title: IAM password policy allows short or simple passwords
# description: Passwords need at least 12 characters with both letters and numbers; the IAM default (8 characters, no composition rule) is weaker.
# custom:
#   id: TG-TF-054
#   severity: medium
#   resources: [aws_iam_account_password_policy]
#   pci: ["8.3.6"]
#   cis: [CIS AWS Foundations 2.0.0 1.8]
#   nist: [IA-5]
#   remediation: Set minimum_password_length = 14 (at least 12), require_numbers = true and require_lowercase_characters or require_uppercase_characters = true.
deny contains f if {
	some r in lib.resources(pw_policy)
	weak := [msg | some check, msg in password_rules; password_weak(check, r.values)]
	count(weak) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: %s", [r.address, concat("; ", sort(weak))]))
}

password_rules := {"length": "minimum_password_length is below 12", "numbers": "numbers are not required", "letters": "letters are not required"}

password_weak("length", v) if {
	n := object.get(v, "minimum_password_length", 8)
	is_number(n)
	n < 12
}

password_weak("numbers", v) if lib.not_true(v, "require_numbers")

password_weak("letters", v) if {
	lib.not_true(v, "require_lowercase_characters")
	lib.not_true(v, "require_uppercase_characters")
}

# METADATA
# title: IAM password policy allows reusing recent passwords
# description: A new password must differ from the last four; without password_reuse_prevention users can cycle back to a compromised one.
# custom:
#   id: TG-TF-055
#   severity: low
#   resources: [aws_iam_account_password_policy]
#   pci: ["8.3.7"]
#   cis: [CIS AWS Foundations 2.0.0 1.9]
#   nist: [IA-5]
#   remediation: Set password_reuse_prevention = 24 (at least 4).
deny contains f if {
	some r in lib.resources(pw_policy)
	n := object.get(r.values, "password_reuse_prevention", 0)
	is_number(n)
	n < 4
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s remembers fewer than 4 previous passwords", [r.address]))
}

# METADATA
# title: IAM passwords do not expire within 90 days
# description: Where a password is the only factor it must change at least every 90 days; without max_password_age a leaked password stays valid indefinitely.
# custom:
#   id: TG-TF-056
#   severity: low
#   resources: [aws_iam_account_password_policy]
#   pci: ["8.3.9"]
#   nist: [IA-5]
#   remediation: Set max_password_age = 90 (or less), or require MFA for every console user and document that passwords are not the only factor.
deny contains f if {
	some r in lib.resources(pw_policy)
	n := object.get(r.values, "max_password_age", 0)
	is_number(n)
	long_age(n)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s lets passwords live longer than 90 days", [r.address]))
}

long_age(n) if n == 0

long_age(n) if n > 90

# METADATA
# title: IAM policy attached directly to a user
# description: Privileges granted to individual users instead of groups or roles drift apart and escape the periodic access review.
# custom:
#   id: TG-TF-057
#   severity: low
#   resources: [aws_iam_user_policy, aws_iam_user_policy_attachment, aws_iam_policy_attachment]
#   pci: ["7.2.1", "7.2.4"]
#   cis: [CIS AWS Foundations 2.0.0 1.15]
#   nist: [AC-2, AC-6]
#   remediation: Attach policies to a group (aws_iam_group_policy_attachment) or a role and make the user a member.
deny contains f if {
	some r in lib.resources({"aws_iam_user_policy", "aws_iam_user_policy_attachment", "aws_iam_policy_attachment"})
	direct_user_grant(r)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s grants privileges to a user directly", [r.address]))
}

direct_user_grant(r) if r.type in {"aws_iam_user_policy", "aws_iam_user_policy_attachment"}

direct_user_grant(r) if {
	r.type == "aws_iam_policy_attachment"
	users := object.get(r.values, "users", [])
	is_array(users)
	count(users) > 0
}

# METADATA
# title: Secrets Manager secret is not rotated
# description: A secret without automatic rotation keeps the same database or service password until someone changes it by hand.
# custom:
#   id: TG-TF-058
#   severity: low
#   resources: [aws_secretsmanager_secret, aws_secretsmanager_secret_rotation]
#   pci: ["8.3.9", "8.6.3"]
#   nist: [IA-5]
#   remediation: Add an aws_secretsmanager_secret_rotation for the secret (rotation_rules automatically_after_days 90 or less).
deny contains f if {
	some r in lib.resources({"aws_secretsmanager_secret"})
	not lib.companion({"aws_secretsmanager_secret_rotation"}, "secret_id", r, "name")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no aws_secretsmanager_secret_rotation in its module", [r.address]))
}

# METADATA
# title: Default security group allows traffic
# description: Every instance launched without a security group lands in the VPC's default group; rules there silently open new resources.
# custom:
#   id: TG-TF-059
#   severity: medium
#   resources: [aws_default_security_group]
#   pci: ["1.2.1", "1.3.1"]
#   cis: [CIS AWS Foundations 2.0.0 5.4]
#   nist: [AC-4, SC-7]
#   remediation: Declare aws_default_security_group without ingress and egress blocks, so it allows nothing, and attach purpose-made groups.
deny contains f if {
	some r in lib.resources({"aws_default_security_group"})
	some kind in ["ingress", "egress"]
	rules := object.get(r.values, kind, [])
	is_array(rules)
	count(rules) > 0
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has %s rules", [r.address, kind]))
}

# METADATA
# title: Network ACL allows administrative ports from the internet
# description: A network ACL entry that allows SSH or RDP from 0.0.0.0/0 or ::/0 leaves security groups as the only control on administrative access.
# custom:
#   id: TG-TF-060
#   severity: high
#   resources: [aws_network_acl, aws_network_acl_rule, aws_default_network_acl]
#   pci: ["1.3.1", "1.2.5"]
#   cis: [CIS AWS Foundations 2.0.0 5.1]
#   nist: [AC-17, SC-7]
#   remediation: Deny ports 22 and 3389 from the internet in the network ACL, or allow them only from administrative ranges.
deny contains f if {
	some r in lib.resources({"aws_network_acl", "aws_network_acl_rule", "aws_default_network_acl"})
	some e in nacl_ingress(r)
	lower(object.get(e, "action", object.get(e, "rule_action", ""))) == "allow"
	object.get(e, "cidr_block", object.get(e, "ipv6_cidr_block", "")) in {"0.0.0.0/0", "::/0"}
	some port, name in admin_ports
	nacl_covers(e, port)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows %s (port %d) from anywhere", [r.address, name, port]))
}

nacl_ingress(r) := r.values.ingress if {
	r.type in {"aws_network_acl", "aws_default_network_acl"}
	is_array(r.values.ingress)
}

nacl_ingress(r) := [r.values] if {
	r.type == "aws_network_acl_rule"
	not r.values.egress == true
	lib.known(object.get(r.values, "egress", false))
}

nacl_covers(e, _) if lower(sprintf("%v", [e.protocol])) in {"-1", "all"}

nacl_covers(e, port) if {
	lower(sprintf("%v", [e.protocol])) in {"6", "tcp"}
	lib.covers(e.from_port, e.to_port, port)
}

# METADATA
# title: Load balancer access logs are disabled
# description: Access logs record every request with its client, path and TLS details; without them attacks on the application cannot be reconstructed.
# custom:
#   id: TG-TF-061
#   severity: low
#   resources: [aws_lb, aws_alb]
#   pci: ["10.2.1"]
#   nist: [AU-2, AU-12]
#   remediation: Add access_logs with a bucket and enabled = true.
deny contains f if {
	some r in lib.resources({"aws_lb", "aws_alb"})
	object.get(r.values, "load_balancer_type", "application") in {"application", "network"}
	lib.not_true(lib.block(r.values, "access_logs"), "enabled")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not enable access_logs", [r.address]))
}

# METADATA
# title: API Gateway stage has no access logging
# description: Without access logs the requests that reached the API, with their callers and results, are not recorded.
# custom:
#   id: TG-TF-062
#   severity: low
#   resources: [aws_api_gateway_stage, aws_apigatewayv2_stage]
#   pci: ["10.2.1"]
#   nist: [AU-2, AU-12]
#   remediation: Add access_log_settings with a destination_arn (a CloudWatch log group) and a format.
deny contains f if {
	some r in lib.resources({"aws_api_gateway_stage", "aws_apigatewayv2_stage"})
	lib.block(r.values, "access_log_settings") == {}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no access_log_settings", [r.address]))
}

# METADATA
# title: EKS node group allows SSH from the internet
# description: remote_access with an SSH key and no source security groups opens port 22 on every node to 0.0.0.0/0.
# custom:
#   id: TG-TF-063
#   severity: high
#   resources: [aws_eks_node_group]
#   pci: ["1.3.1", "2.2.7"]
#   cis: [CIS Amazon EKS 1.4.0 5.4.3]
#   nist: [AC-17, SC-7]
#   remediation: Set source_security_group_ids in remote_access to a bastion's group, or drop remote_access and use SSM Session Manager.
deny contains f if {
	some r in lib.resources({"aws_eks_node_group"})
	ra := lib.block(r.values, "remote_access")
	lib.known(ra)
	lib.literal_string(object.get(ra, "ec2_ssh_key", ""))
	sgs := object.get(ra, "source_security_group_ids", [])
	sgs == []
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s opens SSH to its nodes from anywhere (remote_access without source_security_group_ids)", [r.address]))
}

# METADATA
# title: MSK cluster accepts plaintext client traffic
# description: client_broker PLAINTEXT or TLS_PLAINTEXT lets producers and consumers send messages to Kafka unencrypted.
# custom:
#   id: TG-TF-064
#   severity: high
#   resources: [aws_msk_cluster]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Set encryption_info.encryption_in_transit.client_broker = "TLS" and in_cluster = true.
deny contains f if {
	some r in lib.resources({"aws_msk_cluster"})
	t := lib.block(lib.block(r.values, "encryption_info"), "encryption_in_transit")
	plaintext_msk(t)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s allows unencrypted traffic to or between brokers", [r.address]))
}

plaintext_msk(t) if t.client_broker in {"PLAINTEXT", "TLS_PLAINTEXT"}

plaintext_msk(t) if lib.is_false(t, "in_cluster")

# METADATA
# title: Kinesis stream is not encrypted
# description: Records in a stream without server-side encryption are stored unencrypted for the whole retention period.
# custom:
#   id: TG-TF-065
#   severity: medium
#   resources: [aws_kinesis_stream]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Set encryption_type = "KMS" and kms_key_id (alias/aws/kinesis or a customer-managed key).
deny contains f if {
	some r in lib.resources({"aws_kinesis_stream"})
	e := object.get(r.values, "encryption_type", "NONE")
	e == "NONE"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no server-side encryption", [r.address]))
}

# METADATA
# title: DocumentDB or Neptune storage is not encrypted
# description: Without storage_encrypted the cluster's storage, snapshots and backups are kept in the clear.
# custom:
#   id: TG-TF-066
#   severity: high
#   resources: [aws_docdb_cluster, aws_neptune_cluster]
#   pci: ["3.5.1"]
#   nist: [SC-28]
#   remediation: Set storage_encrypted = true with a kms_key_arn; an existing cluster is encrypted by restoring an encrypted snapshot.
deny contains f if {
	some r in lib.resources({"aws_docdb_cluster", "aws_neptune_cluster"})
	lib.not_true(r.values, "storage_encrypted")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not set storage_encrypted = true", [r.address]))
}

# METADATA
# title: GuardDuty detector is disabled
# description: GuardDuty is the account's intrusion detection over CloudTrail, VPC flow and DNS logs; a disabled detector raises no alerts.
# custom:
#   id: TG-TF-067
#   severity: medium
#   resources: [aws_guardduty_detector]
#   pci: ["11.5.1", "10.4.1"]
#   nist: [SI-4]
#   remediation: Remove enable = false.
deny contains f if {
	some r in lib.resources({"aws_guardduty_detector"})
	lib.is_false(r.values, "enable")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets enable = false", [r.address]))
}

# METADATA
# title: CloudFront distribution has no web application firewall
# description: Public-facing web applications need an automated solution that detects and blocks web attacks in front of them; a distribution without a WAF web ACL has none.
# custom:
#   id: TG-TF-068
#   severity: medium
#   resources: [aws_cloudfront_distribution]
#   pci: ["6.4.2"]
#   nist: [SC-7, SI-4]
#   remediation: Set web_acl_id to an AWS WAFv2 web ACL (scope CLOUDFRONT) with managed rule groups for common web exploits.
deny contains f if {
	some r in lib.resources({"aws_cloudfront_distribution"})
	lib.unset(r.values, "web_acl_id")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no web_acl_id", [r.address]))
}

# METADATA
# title: ECR repository does not scan images on push
# description: Scanning on push reports known vulnerabilities in every new image before it is deployed.
# custom:
#   id: TG-TF-069
#   severity: low
#   resources: [aws_ecr_repository]
#   pci: ["6.3.1", "11.3.1"]
#   nist: [RA-5, SI-2]
#   remediation: Add image_scanning_configuration with scan_on_push = true (or enable enhanced scanning in the registry's aws_ecr_registry_scanning_configuration).
deny contains f if {
	some r in lib.resources({"aws_ecr_repository"})
	count(lib.module_resources({"aws_ecr_registry_scanning_configuration"})) == 0
	lib.not_true(lib.block(r.values, "image_scanning_configuration"), "scan_on_push")
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s does not scan images on push", [r.address]))
}
