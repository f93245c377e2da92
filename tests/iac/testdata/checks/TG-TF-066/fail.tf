resource "aws_docdb_cluster" "docs" {
  cluster_identifier = "payments-docs"
}
