resource "azurerm_kubernetes_cluster" "payments" {
  name       = "payments"
  dns_prefix = "payments"
  private_cluster_enabled = false
}
