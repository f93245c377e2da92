resource "aws_network_acl" "web" {
  vpc_id = "vpc-0a1b2c3d"
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }
}
