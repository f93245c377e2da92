resource "aws_iam_account_password_policy" "quarterly" {
  max_password_age = 90
}
