resource "google_container_cluster" "segmented" {
  datapath_provider = "ADVANCED_DATAPATH"
}
