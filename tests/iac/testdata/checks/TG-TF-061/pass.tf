resource "aws_lb" "web" {
  access_logs {
    bucket  = "payments-lb-logs"
    enabled = true
  }
}
