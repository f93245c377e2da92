resource "aws_kms_key_policy" "cards" {
  key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
    }]
  })
}
