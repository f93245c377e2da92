resource "aws_iam_account_password_policy" "reuse" {
  password_reuse_prevention = 1
}
