resource "aws_elasticsearch_domain" "legacy" {
  domain_name = "legacy"
}
