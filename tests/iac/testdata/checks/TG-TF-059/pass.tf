resource "aws_default_security_group" "default" {
  vpc_id = "vpc-0a1b2c3d"
}
