variable "admin_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8"]
}

resource "aws_security_group" "admin" {
  name = "admin"

  dynamic "ingress" {
    for_each = var.admin_cidrs
    content {
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }
}

resource "aws_dynamodb_table" "sessions" {
  name     = "sessions"
  hash_key = "id"

  dynamic "server_side_encryption" {
    for_each = [1]
    content {
      enabled     = true
      kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abcd"
    }
  }

  dynamic "point_in_time_recovery" {
    for_each = var.pitr_settings
    content {
      enabled = point_in_time_recovery.value
    }
  }
}
