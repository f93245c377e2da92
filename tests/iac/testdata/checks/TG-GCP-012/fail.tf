resource "google_container_node_pool" "pinned" {
  cluster = "payments"
  management {
    auto_upgrade = false
  }
}
