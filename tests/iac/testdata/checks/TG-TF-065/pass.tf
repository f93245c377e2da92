resource "aws_kinesis_stream" "events" {
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"
}
