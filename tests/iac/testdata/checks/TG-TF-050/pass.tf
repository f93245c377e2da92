resource "aws_rds_cluster_parameter_group" "mysql" {
  family = "aurora-mysql8.0"
  parameter {
    name  = "require_secure_transport"
    value = "ON"
  }
}
