resource "aws_redshift_cluster" "dw" {
  encrypted  = true
  kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/dw"
}
