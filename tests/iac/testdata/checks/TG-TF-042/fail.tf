resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
  domain_endpoint_options {
    tls_security_policy = "Policy-Min-TLS-1-0-2019-07"
  }
}
