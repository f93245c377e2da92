resource "aws_iam_account_password_policy" "history" {
  password_reuse_prevention = 24
}
