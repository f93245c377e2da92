package main

import rego.v1

deny contains msg if {
	input.compilerOptions.strict == false
	msg := "TypeScript strict mode is off"
}

deny contains msg if {
	input.debug == true
	msg := sprintf("debug is on for %s", [input.listen])
}

deny contains msg if {
	some i
	input[i].Cmd == "from"
	image := input[i].Value[0]
	endswith(image, ":latest")
	msg := sprintf("%s uses the latest tag", [image])
}

# A Kustomize patch is a partial manifest: checked raw, it would be reported here.
deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not c.image
	msg := sprintf("Deployment %s: container %s has no image", [input.metadata.name, c.name])
}
