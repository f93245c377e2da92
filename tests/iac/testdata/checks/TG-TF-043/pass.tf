resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
  vpc_options {
    subnet_ids         = ["subnet-0a1b2c3d"]
    security_group_ids = ["sg-0a1b2c3d"]
  }
}
