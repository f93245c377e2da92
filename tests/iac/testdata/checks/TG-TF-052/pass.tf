resource "aws_redshift_cluster" "closed" {
  publicly_accessible = false
  encrypted           = true
}
