resource "aws_iam_account_password_policy" "strong" {
  minimum_password_length      = 14
  require_numbers              = true
  require_uppercase_characters = true
}
