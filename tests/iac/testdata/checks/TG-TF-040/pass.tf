resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
  encrypt_at_rest {
    enabled    = true
    kms_key_id = "alias/search"
  }
}
