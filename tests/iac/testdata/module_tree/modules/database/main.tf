module "key" {
  source   = "../kms"
  rotation = var.rotate_keys
  alias    = "alias/${var.name}"
}

resource "aws_db_instance" "this" {
  identifier              = var.name
  engine                  = "postgres"
  storage_encrypted       = var.encrypted
  backup_retention_period = 14
  deletion_protection     = var.deletion_protection
}
