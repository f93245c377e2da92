resource "aws_cloudfront_distribution" "web" {
  enabled = true
}
