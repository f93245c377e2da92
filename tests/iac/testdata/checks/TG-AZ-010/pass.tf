resource "azurerm_kubernetes_cluster" "rbac" {
  role_based_access_control_enabled = true
}
