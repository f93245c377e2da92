resource "aws_msk_cluster" "events" {
  cluster_name = "payments-events"
}
