resource "aws_opensearch_domain" "public" {
  engine_version = "OpenSearch_2.11"
}
