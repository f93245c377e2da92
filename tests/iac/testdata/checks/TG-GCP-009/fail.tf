resource "google_container_cluster" "payments" {
  name     = "payments"
  location = "europe-west1"
  database_encryption {
    state = "DECRYPTED"
  }
}
