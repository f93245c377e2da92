resource "azurerm_kubernetes_cluster" "payments" {
  name       = "payments"
  dns_prefix = "payments"
  key_management_service {
    key_vault_key_id = "https://payments-kv.vault.azure.net/keys/etcd/0123456789abcdef"
  }
}
