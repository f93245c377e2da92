resource "aws_apigatewayv2_stage" "prod" {
  api_id = "a1b2c3"
  name   = "prod"
}
