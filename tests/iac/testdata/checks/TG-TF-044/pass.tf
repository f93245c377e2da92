# Principal "*" is fine inside a VPC: security groups decide who reaches the endpoint.
resource "aws_opensearch_domain" "search" {
  domain_name     = "payments-search"
  access_policies = <<-JSON
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttp*",
                    "Resource": "arn:aws:es:eu-west-1:111122223333:domain/payments-search/*"}]}
  JSON
  vpc_options {
    subnet_ids = ["subnet-0a1b2c3d"]
  }
}
