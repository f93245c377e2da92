resource "azurerm_kubernetes_cluster" "payments" {
  name       = "payments"
  dns_prefix = "payments"
  role_based_access_control_enabled = false
}
