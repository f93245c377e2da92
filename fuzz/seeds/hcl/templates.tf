a = "x ${~ upper("y") ~} z %{ if true }yes%{ else }no%{ endif } $${lit} %%{lit}"
b = <<-EOT
    %{ for i, v in ["a", "b"] ~}
    ${i}=${v}
    %{ endfor ~}
  EOT
c = <<EOT
raw \n ${1 + 1}
EOT
d { e = "one-line" }
f "label" ident {}
g = "\u00e9\U0001F600\t\"\\"
/* block
   comment */ # hash
// slash
