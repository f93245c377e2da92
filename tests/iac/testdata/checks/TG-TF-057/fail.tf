resource "aws_iam_user_policy_attachment" "alice" {
  user       = "alice"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
