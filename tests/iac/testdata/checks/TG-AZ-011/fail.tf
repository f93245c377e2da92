resource "azurerm_kubernetes_cluster" "shared" {
  local_account_disabled = false
}
