resource "azurerm_kubernetes_cluster" "entra" {
  local_account_disabled = true
  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
  }
}
