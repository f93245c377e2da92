resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }
}
