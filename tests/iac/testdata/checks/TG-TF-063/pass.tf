resource "aws_eks_node_group" "workers" {
  remote_access {
    ec2_ssh_key               = "ops"
    source_security_group_ids = ["sg-0bastion"]
  }
}
