resource "azurerm_linux_function_app" "jobs" {
  site_config {
    minimum_tls_version = "1.2"
  }
}
