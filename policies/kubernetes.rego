# METADATA
# title: Kubernetes manifest checks
# description: Built-in checks over input.resources of Kubernetes YAML (docs/iac-model.md).
package tollgate.iac.kubernetes

import rego.v1

k8s if input.format == "kubernetes"

violation(r, c, id, title, severity, pci, msg) := {
	"id": id, "title": title, "severity": severity, "pci": pci,
	"msg": sprintf("%s container %q: %s", [r.address, c.name, msg]), "line": r.line, "address": r.address,
}

pod_spec(r) := r.values.spec if r.kind == "Pod"

pod_spec(r) := r.values.spec.template.spec if r.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_spec(r) := r.values.spec.jobTemplate.spec.template.spec if r.kind == "CronJob"

containers(r) := array.concat(object.get(pod_spec(r), "containers", []), object.get(pod_spec(r), "initContainers", []))

# TG-K8S-001: privileged container.
deny contains v if {
	k8s
	some r in input.resources
	some c in containers(r)
	c.securityContext.privileged == true
	v := violation(r, c, "TG-K8S-001", "Privileged container", "critical", ["2.2.1", "7.2.1"], "runs privileged")
}

# TG-K8S-002: not required to run as non-root (neither container nor pod sets runAsNonRoot).
deny contains v if {
	k8s
	some r in input.resources
	some c in containers(r)
	not c.securityContext.runAsNonRoot == true
	not pod_spec(r).securityContext.runAsNonRoot == true
	v := violation(r, c, "TG-K8S-002", "Container may run as root", "medium", ["2.2.1", "7.2.2"], "does not set runAsNonRoot: true")
}

# TG-K8S-003: host network.
deny contains v if {
	k8s
	some r in input.resources
	pod_spec(r).hostNetwork == true
	v := {"id": "TG-K8S-003", "title": "Pod uses the host network", "severity": "high", "pci": ["1.3.1", "2.2.1"],
		"msg": sprintf("%s sets hostNetwork: true", [r.address]), "line": r.line, "address": r.address}
}

# TG-K8S-004: image with the latest tag or no tag.
deny contains v if {
	k8s
	some r in input.resources
	some c in containers(r)
	unpinned(c.image)
	v := violation(r, c, "TG-K8S-004", "Image not pinned", "medium", ["6.3.2"], sprintf("image %q uses :latest or no tag", [c.image]))
}

unpinned(image) if endswith(image, ":latest")

unpinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}

# TG-K8S-005: no resource limits.
deny contains v if {
	k8s
	some r in input.resources
	some c in containers(r)
	not c.resources.limits.memory
	v := violation(r, c, "TG-K8S-005", "No memory limit", "low", ["6.4.1"], "sets no resources.limits.memory")
}
