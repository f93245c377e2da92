resource "azurerm_kubernetes_cluster" "payments" {
  name       = "payments"
  dns_prefix = "payments"
  api_server_access_profile {
    authorized_ip_ranges = ["203.0.113.0/24"]
  }
}
