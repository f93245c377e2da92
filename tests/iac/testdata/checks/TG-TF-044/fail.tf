resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
}

resource "aws_opensearch_domain_policy" "open" {
  domain_name = aws_opensearch_domain.search.domain_name
  access_policies = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "es:ESHttp*"
      Resource  = "arn:aws:es:eu-west-1:111122223333:domain/payments-search/*"
    }]
  })
}
