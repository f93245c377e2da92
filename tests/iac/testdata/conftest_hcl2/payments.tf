# A payments service's storage and network, in the shapes conftest's hcl2
# parser meets in real modules.
resource "aws_s3_bucket" "logs" {
  bucket        = "acme-logs"
  force_destroy = false
  tags = {
    Owner         = "payments"
    "cost-center" = 42
  }
  versioning {
    enabled = true
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "acme-${var.env}-data"
  acl    = var.acl
}

resource "aws_security_group" "web" {
  ingress {
    from_port   = 443
    cidr_blocks = ["0.0.0.0/0", local.office]
  }
  ingress {
    from_port   = 22
    cidr_blocks = ["10.0.0.0/8"]
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

variable "env" {
  default = "prod"
}

locals {
  office = "10.0.0.0/8"
  ports  = [for p in [80, 443] : p + 1]
  flag   = var.env == "prod" ? true : false
  simple = "${4 - 2}"
  lit    = "${true}"
  multi  = <<-EOT
    line one
      line ${var.env}
    EOT
  cond   = "%{if var.env == "prod"}yes%{else}no%{endif}"
  loop   = "%{for k, v in var.m}${k}=${v},%{endfor}"
  call   = lookup(var.m, "a", null)
}

terraform {
  required_version = ">= 1.5"
}
