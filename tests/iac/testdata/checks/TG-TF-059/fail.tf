resource "aws_default_security_group" "default" {
  vpc_id = "vpc-0a1b2c3d"
  egress {
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
    from_port   = 0
    to_port     = 0
  }
}
