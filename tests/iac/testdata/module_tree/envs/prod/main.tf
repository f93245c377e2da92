# Production: two databases from one module, the network, and registry modules.
module "audit_db" {
  source              = "../../modules/database"
  name                = "audit"
  encrypted           = false
  rotate_keys         = false
  deletion_protection = true
}

module "orders_db" {
  source              = "../../modules/database"
  name                = "orders"
  encrypted           = true
  rotate_keys         = true
  deletion_protection = true
}

module "network" {
  source      = "../../modules/network"
  admin_cidrs = ["0.0.0.0/0"]
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"
}

module "eks_batch" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"
}

module "legacy" {
  source = "../../vendor/legacy"
}
