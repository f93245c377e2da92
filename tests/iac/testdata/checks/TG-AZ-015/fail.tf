resource "azurerm_linux_web_app" "shop" {
  site_config {
    minimum_tls_version = "1.1"
  }
}
