variable "rotation" {
  default = true
}

variable "alias" {}

resource "aws_kms_key" "this" {
  description         = var.alias
  enable_key_rotation = var.rotation
}
