resource "google_container_cluster" "payments" {
  name     = "payments"
  location = "europe-west1"
  database_encryption {
    state    = "ENCRYPTED"
    key_name = "projects/p/locations/europe-west1/keyRings/gke/cryptoKeys/etcd"
  }
}
