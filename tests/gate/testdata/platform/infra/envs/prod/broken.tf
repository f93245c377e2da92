resource "aws_instance" "bastion" {
  ami = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  tags = {
    Name = "bastion"
