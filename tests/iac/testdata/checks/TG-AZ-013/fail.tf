resource "azurerm_kubernetes_cluster" "plain" {
  sku_tier = "Standard"
}
