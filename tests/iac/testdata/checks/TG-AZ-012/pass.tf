resource "azurerm_kubernetes_cluster" "payments" {
  name       = "payments"
  dns_prefix = "payments"
  network_profile {
    network_plugin = "azure"
    network_policy = "calico"
  }
}
