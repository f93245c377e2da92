resource "azurerm_linux_web_app" "shop" {
  https_only = false
}
