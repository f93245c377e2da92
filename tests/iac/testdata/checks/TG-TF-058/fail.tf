resource "aws_secretsmanager_secret" "db" {
  name = "payments/db"
}
