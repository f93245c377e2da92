resource "google_container_node_pool" "patched" {
  management {
    auto_repair  = true
    auto_upgrade = true
  }
}
