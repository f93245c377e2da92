resource "azurerm_windows_web_app" "shop" {
  https_only = true
}
