variable "name" {
  type = string
}

variable "encrypted" {
  type    = bool
  default = true
}

variable "rotate_keys" {
  type    = bool
  default = true
}

variable "deletion_protection" {
  type    = bool
  default = false
}
