# Escapes, unary literals and label nesting, as hcl2json writes them.
resource "aws_iam_policy" "tagged" {
  policy = "aws:PrincipalTag/$${team}"
  note   = "%%{not a directive}"
  mixed  = "$${literal}-${var.real}"
  offset = -1
  scale  = -2.5
  off    = !true
  neg    = -var.x
  nested = {
    level = 1
  }
}

module "vpc" {
  source = "./modules/vpc"
}
