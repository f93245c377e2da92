resource "aws_eks_node_group" "workers" {
  node_group_name = "workers"
  remote_access {
    ec2_ssh_key = "ops"
  }
}
