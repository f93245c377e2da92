resource "google_container_cluster" "rbac" {
  enable_legacy_abac = false
}
