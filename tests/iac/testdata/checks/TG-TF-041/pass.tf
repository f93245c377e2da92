resource "aws_elasticsearch_domain" "legacy" {
  node_to_node_encryption {
    enabled = true
  }
}
