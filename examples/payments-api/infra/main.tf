# Payments API infrastructure (AWS). Checked by the gate `infrastructure`
# (scanner: iac, docs/policies.md).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "statements" {
  description         = "payments statements and database"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "statements" {
  bucket = "payments-api-statements"
}

resource "aws_s3_bucket_acl" "statements" {
  bucket = aws_s3_bucket.statements.id
  acl    = "public-read"
}

resource "aws_s3_bucket_public_access_block" "statements" {
  bucket                  = aws_s3_bucket.statements.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "statements" {
  bucket = aws_s3_bucket.statements.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.statements.arn
    }
  }
}

resource "aws_s3_bucket_versioning" "statements" {
  bucket = aws_s3_bucket.statements.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "statements" {
  bucket        = aws_s3_bucket.statements.id
  target_bucket = "payments-api-access-logs"
  target_prefix = "statements/"
}

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_flow_log" "main" {
  vpc_id          = aws_vpc.main.id
  traffic_type    = "ALL"
  log_destination = "arn:aws:s3:::payments-api-flow-logs"
}

resource "aws_security_group" "api" {
  name   = "payments-api"
  vpc_id = aws_vpc.main.id

  ingress {
    description = "HTTPS from the load balancer"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  ingress {
    description = "SSH for on-call debugging"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "ledger" {
  identifier                          = "payments-ledger"
  engine                              = "postgres"
  instance_class                      = "db.t3.medium"
  allocated_storage                   = 50
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.statements.arn
  publicly_accessible                 = false
  backup_retention_period             = 14
  deletion_protection                 = true
  manage_master_user_password         = true
  username                            = "payments"
  iam_database_authentication_enabled = true
}
