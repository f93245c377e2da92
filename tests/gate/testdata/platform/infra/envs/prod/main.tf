terraform {
  required_version = ">= 1.5"
}

module "storage" {
  source = "../../modules/storage"
  name   = "platform-prod-data"
}

module "network" {
  source = "../../modules/network"
}
