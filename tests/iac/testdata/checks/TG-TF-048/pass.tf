resource "aws_eks_cluster" "payments" {
  name     = "payments"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abcd"
    }
  }
}
