variable "env" {
  default = "prod"
}
locals {
  name  = "bank-${var.env}"
  ports = [for p in [22, 443] : p if p != 22]
  tags  = { for k, v in { a = 1, b = 2 } : upper(k) => v... }
}
resource "aws_security_group" "sg" {
  name = local.name
  ingress {
    from_port   = local.ports[0]
    cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "egress" {
    for_each = var.rules
    content { to_port = egress.value.port }
  }
  ids    = aws_instance.web[*].id
  legacy = aws_instance.web.0.id
  attr   = aws_instance.web.*.tags.Name
  cond   = var.env == "prod" ? 1 + 2 * 3 % 4 : -1
  ok     = !false && true || 1 >= 2
  fn     = merge([{ a = 1 }, { x = format("%s-%d", "a", 1) }]...)
}
