resource "aws_iam_group_policy_attachment" "auditors" {
  group      = "auditors"
  policy_arn = "arn:aws:iam::aws:policy/SecurityAudit"
}
