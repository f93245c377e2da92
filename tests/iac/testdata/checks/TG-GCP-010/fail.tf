resource "google_container_cluster" "legacy" {
  enable_legacy_abac = true
}
