resource "aws_ecr_repository" "app" {
  name = "payments-app"
}
