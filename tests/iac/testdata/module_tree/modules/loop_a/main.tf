module "b" {
  source = "../loop_b"
}

resource "aws_kms_key" "a" {
  enable_key_rotation = false
}
