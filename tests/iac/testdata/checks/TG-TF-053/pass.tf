resource "aws_cloudwatch_log_group" "audit" {
  retention_in_days = 400
}
