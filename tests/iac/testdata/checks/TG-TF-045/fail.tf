resource "aws_opensearch_domain" "search" {
  domain_name = "payments-search"
  log_publishing_options {
    log_type                 = "INDEX_SLOW_LOGS"
    cloudwatch_log_group_arn = "arn:aws:logs:eu-west-1:111122223333:log-group:slow"
  }
}
