resource "aws_neptune_cluster" "graph" {
  storage_encrypted = true
}
