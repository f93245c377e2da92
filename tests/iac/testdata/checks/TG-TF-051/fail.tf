resource "aws_redshift_cluster" "dw" {
  cluster_identifier = "payments-dw"
  encrypted          = false
}
