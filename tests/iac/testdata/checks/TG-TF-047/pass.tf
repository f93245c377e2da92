resource "aws_kms_key" "tokens" {
  enable_key_rotation = true
  policy = <<-JSON
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
                   {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/payments-app"},
                    "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
  JSON
}
