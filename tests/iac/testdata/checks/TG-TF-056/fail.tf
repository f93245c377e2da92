resource "aws_iam_account_password_policy" "forever" {
  max_password_age = 365
}
