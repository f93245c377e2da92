resource "google_container_cluster" "flat" {
  name = "flat"
}
