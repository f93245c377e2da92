# METADATA
# title: Kubernetes manifest checks
# description: Built-in checks over input.resources of Kubernetes YAML (docs/iac-model.md).
package tollgate.iac.kubernetes

import rego.v1

import data.tollgate.iac.lib

# The finding for one container of a workload.
container_finding(meta, r, c, msg) := lib.finding(meta, r, sprintf("%s container %q: %s", [r.address, c.name, msg]))

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

pod_spec(r) := r.values.spec if r.kind == "Pod"

pod_spec(r) := r.values.spec.template.spec if r.kind in workload_kinds

pod_spec(r) := r.values.spec.jobTemplate.spec.template.spec if r.kind == "CronJob"

workloads := [r | lib.k8s; some r in input.resources; pod_spec(r)]

containers(r) := array.concat(
	array.concat(object.get(pod_spec(r), "containers", []), object.get(pod_spec(r), "initContainers", [])),
	object.get(pod_spec(r), "ephemeralContainers", []),
)

# METADATA
# title: Privileged container
# description: A privileged container has every capability and access to all host devices; escaping to the node is trivial.
# custom:
#   id: TG-K8S-001
#   severity: critical
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.2]
#   nist: [AC-6, CM-7]
#   remediation: Remove securityContext.privileged = true; grant only the specific capabilities needed.
deny contains f if {
	some r in workloads
	some c in containers(r)
	c.securityContext.privileged == true
	f := container_finding(rego.metadata.rule(), r, c, "runs privileged")
}

# METADATA
# title: Container may run as root
# description: Unless runAsNonRoot is required, an image whose user is root runs as root, which turns any container escape into root on the node.
# custom:
#   id: TG-K8S-002
#   severity: medium
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.2"]
#   cis: [CIS Kubernetes 1.8.0 5.2.7]
#   nist: [AC-6]
#   remediation: Set securityContext.runAsNonRoot = true (pod or container) and a non-zero runAsUser.
deny contains f if {
	some r in workloads
	some c in containers(r)
	not c.securityContext.runAsNonRoot == true
	not pod_spec(r).securityContext.runAsNonRoot == true
	f := container_finding(rego.metadata.rule(), r, c, "does not set runAsNonRoot: true")
}

# METADATA
# title: Pod uses the host network
# description: hostNetwork gives the pod the node's network namespace; it bypasses NetworkPolicies and can reach node-local services.
# custom:
#   id: TG-K8S-003
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["1.3.1", "2.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.5]
#   nist: [SC-7, AC-6]
#   remediation: Remove hostNetwork = true; expose the pod through a Service.
deny contains f if {
	some r in workloads
	pod_spec(r).hostNetwork == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets hostNetwork: true", [r.address]))
}

# METADATA
# title: Image not pinned
# description: A :latest or untagged image changes under the same name, so what runs is not what was reviewed and scanned.
# custom:
#   id: TG-K8S-004
#   severity: medium
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["6.3.2", "6.5.1"]
#   nist: [CM-2, CM-14, SI-7]
#   remediation: Reference images by an immutable version tag, better by digest (image@sha256:...).
deny contains f if {
	some r in workloads
	some c in containers(r)
	lib.unpinned_image(c.image)
	f := container_finding(rego.metadata.rule(), r, c, sprintf("image %q uses :latest or no tag", [c.image]))
}

# METADATA
# title: No memory limit
# description: A container without a memory limit can exhaust the node's memory and take down its neighbours.
# custom:
#   id: TG-K8S-005
#   severity: low
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["6.4.1", "2.2.1"]
#   nist: [SC-5, SC-6]
#   remediation: Set resources.limits.memory on every container (and a LimitRange per namespace).
deny contains f if {
	some r in workloads
	some c in containers(r)
	not c.resources.limits.memory
	f := container_finding(rego.metadata.rule(), r, c, "sets no resources.limits.memory")
}

# METADATA
# title: Privilege escalation allowed
# description: Unless allowPrivilegeEscalation is false, setuid binaries in the container can gain more privileges than its process started with.
# custom:
#   id: TG-K8S-006
#   severity: medium
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.6]
#   nist: [AC-6]
#   remediation: Set securityContext.allowPrivilegeEscalation = false.
deny contains f if {
	some r in workloads
	some c in containers(r)
	not c.securityContext.allowPrivilegeEscalation == false
	f := container_finding(rego.metadata.rule(), r, c, "does not set allowPrivilegeEscalation: false")
}

# METADATA
# title: Container runs as UID 0
# description: runAsUser 0 explicitly runs the process as root, defeating the image's own user and runAsNonRoot.
# custom:
#   id: TG-K8S-007
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.2"]
#   cis: [CIS Kubernetes 1.8.0 5.2.7]
#   nist: [AC-6]
#   remediation: Set runAsUser to a non-zero UID (and runAsNonRoot = true).
deny contains f if {
	some r in workloads
	some c in containers(r)
	effective_uid(r, c) == 0
	f := container_finding(rego.metadata.rule(), r, c, "runs as runAsUser: 0")
}

effective_uid(_, c) := c.securityContext.runAsUser

effective_uid(r, c) := pod_spec(r).securityContext.runAsUser if not c.securityContext.runAsUser

# METADATA
# title: Pod shares the host PID namespace
# description: hostPID lets the pod see and signal every process on the node and read their environment.
# custom:
#   id: TG-K8S-008
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.3]
#   nist: [AC-6, SC-39]
#   remediation: Remove hostPID = true.
deny contains f if {
	some r in workloads
	pod_spec(r).hostPID == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets hostPID: true", [r.address]))
}

# METADATA
# title: Pod shares the host IPC namespace
# description: hostIPC exposes the node's shared memory and IPC objects of every other process to the pod.
# custom:
#   id: TG-K8S-009
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.4]
#   nist: [AC-6, SC-39]
#   remediation: Remove hostIPC = true.
deny contains f if {
	some r in workloads
	pod_spec(r).hostIPC == true
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets hostIPC: true", [r.address]))
}

runtime_sockets := {
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock", "/var/run", "/run",
	"/var/run/containerd", "/run/containerd", "/var/lib/docker",
}

# METADATA
# title: Container runtime socket mounted
# description: Access to the Docker/containerd/CRI-O socket is root on the node; the pod can start privileged containers at will.
# custom:
#   id: TG-K8S-010
#   severity: critical
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.1]
#   nist: [AC-6, CM-7]
#   remediation: Remove the hostPath volume; build images with rootless tools (BuildKit rootless, kaniko) instead of the node's daemon.
deny contains f if {
	some r in workloads
	some v in object.get(pod_spec(r), "volumes", [])
	p := trim_right(v.hostPath.path, "/")
	p in runtime_sockets
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s mounts the container runtime socket (hostPath %s)", [r.address, v.hostPath.path]))
}

# METADATA
# title: Credential in a container environment variable
# description: Literal passwords, tokens and keys in manifests are readable by anyone with repository or API read access; env values also leak through logs and crash dumps.
# custom:
#   id: TG-K8S-011
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["8.3.2", "8.6.2", "3.5.1"]
#   cis: [CIS Kubernetes 1.8.0 5.4.1]
#   nist: [IA-5, SC-28]
#   remediation: Use valueFrom.secretKeyRef (or a mounted Secret / external secret store) and rotate the exposed value.
deny contains f if {
	some r in workloads
	some c in containers(r)
	some e in object.get(c, "env", [])
	lib.credential_name(e.name)
	lib.credential_value(object.get(e, "value", null))
	f := container_finding(rego.metadata.rule(), r, c, sprintf("env %s holds a literal credential", [e.name]))
}

# METADATA
# title: Credential in a ConfigMap
# description: ConfigMaps are not protected like Secrets (no encryption at rest, broad read access); credentials in them are exposed.
# custom:
#   id: TG-K8S-012
#   severity: high
#   resources: [ConfigMap]
#   pci: ["8.3.2", "8.6.2", "3.5.1"]
#   cis: [CIS Kubernetes 1.8.0 5.4.1]
#   nist: [IA-5, SC-28]
#   remediation: Move the value to a Secret (or an external secret store) and rotate it.
deny contains f if {
	lib.k8s
	some r in input.resources
	r.kind == "ConfigMap"
	some k, v in object.get(r.values, "data", {})
	lib.credential_name(k)
	lib.credential_value(v)
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s key %s holds a literal credential", [r.address, k]))
}

# METADATA
# title: RBAC role uses wildcards
# description: A "*" verb or resource grants every present and future permission of the API group, far beyond least privilege.
# custom:
#   id: TG-K8S-013
#   severity: high
#   resources: [Role, ClusterRole]
#   pci: ["7.2.1", "7.2.2"]
#   cis: [CIS Kubernetes 1.8.0 5.1.3]
#   nist: [AC-6]
#   remediation: List the exact verbs and resources the subject needs.
deny contains f if {
	lib.k8s
	some r in input.resources
	r.kind in {"Role", "ClusterRole"}
	some rule in object.get(r.values, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s grants \"*\" in %s", [r.address, field]))
}

# METADATA
# title: Binding to cluster-admin
# description: cluster-admin is unrestricted superuser access to the whole cluster, every namespace and every Secret.
# custom:
#   id: TG-K8S-014
#   severity: high
#   resources: [ClusterRoleBinding, RoleBinding]
#   pci: ["7.2.1", "7.2.2"]
#   cis: [CIS Kubernetes 1.8.0 5.1.1]
#   nist: [AC-6, AC-2]
#   remediation: Bind a role with only the permissions the subject needs.
deny contains f if {
	lib.k8s
	some r in input.resources
	r.kind in {"ClusterRoleBinding", "RoleBinding"}
	r.values.roleRef.name == "cluster-admin"
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s binds cluster-admin", [r.address]))
}

# METADATA
# title: No CPU limit
# description: A container without a CPU limit can starve the other workloads on its node.
# custom:
#   id: TG-K8S-015
#   severity: low
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["6.4.1", "2.2.1"]
#   nist: [SC-5, SC-6]
#   remediation: Set resources.limits.cpu on every container (and a LimitRange per namespace).
deny contains f if {
	some r in workloads
	some c in containers(r)
	not c.resources.limits.cpu
	f := container_finding(rego.metadata.rule(), r, c, "sets no resources.limits.cpu")
}

# METADATA
# title: Namespace has no NetworkPolicy
# description: Without a NetworkPolicy every pod in the namespace accepts traffic from every other pod in the cluster; segmentation starts with a default-deny policy shipped with the namespace. Checked over all manifests of the scan (input.scan) for each Namespace and for each namespace that workloads name; a workload without metadata.namespace is not checked (its namespace is decided at deploy time).
# custom:
#   id: TG-K8S-016
#   severity: medium
#   resources: [Namespace, NetworkPolicy, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["1.2.1", "1.3.1", "1.4.1"]
#   cis: [CIS Kubernetes 1.8.0 5.3.2]
#   nist: [SC-7, AC-4]
#   remediation: Add a NetworkPolicy for the namespace to the scanned manifests, e.g. a default-deny with podSelector {} and policyTypes Ingress and Egress.
deny contains f if {
	lib.k8s
	some [r, ns] in without_network_policy
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s: no NetworkPolicy for namespace %s among the scanned manifests", [r.address, ns]))
}

# [resource, namespace] pairs to report: each Namespace of this file without
# a NetworkPolicy in the scan ...
without_network_policy contains [r, r.name] if {
	some r in input.resources
	r.kind == "Namespace"
	count(scanned("NetworkPolicy", r.name)) == 0
}

# ... and a namespace that is not defined by a Namespace manifest of the scan,
# once, at its first workload (by file and line). Needs the scan view: one
# file alone cannot tell that no other file has the policy.
without_network_policy contains [r, ns] if {
	input.scan.by_kind
	some r in workloads
	ns := object.get(r, "namespace", "")
	ns != ""
	count(scanned("NetworkPolicy", ns)) == 0
	not namespace_defined(ns)
	first_workload(ns) == [input.file, r.line]
}

# The scanned documents of a kind in a namespace: input.scan.by_kind
# (docs/iac-model.md), or this file's resources without a scan view.
scanned(kind, ns) := object.get(object.get(input.scan.by_kind, kind, {}), ns, []) if {
	input.scan.by_kind
} else := [p | some p in input.resources; p.kind == kind; object.get(p, "namespace", "") == ns]

namespace_defined(ns) if {
	some d in scanned("Namespace", "")
	d.name == ns
}

# [file, line] of the namespace's first workload in the scan (entries are in
# file and line order, so the first of each kind suffices).
first_workload(ns) := sort([[e.file, e.line] |
	some kind in workload_kinds | {"Pod", "CronJob"}
	es := scanned(kind, ns)
	count(es) > 0
	e := es[0]
])[0]

# METADATA
# title: Istio mTLS is not STRICT
# description: PERMISSIVE or DISABLE mTLS accepts plain-text connections between services, so traffic inside the mesh can be read and spoofed.
# custom:
#   id: TG-K8S-017
#   severity: high
#   resources: [PeerAuthentication]
#   pci: ["4.2.1", "8.3.2"]
#   nist: [SC-8, IA-3]
#   remediation: Set spec.mtls.mode = STRICT (mesh-wide in istio-system, and in every namespace and port-level override).
deny contains f if {
	lib.k8s
	some r in input.resources
	r.kind == "PeerAuthentication"
	some where, mode in mtls_modes(r.values.spec)
	mode in {"PERMISSIVE", "DISABLE"}
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s sets %s mode %s", [r.address, where, mode]))
}

mtls_modes(spec) := object.union(
	{"mtls": m | m := spec.mtls.mode},
	{sprintf("portLevelMtls %v", [p]): m | some p, x in object.get(spec, "portLevelMtls", {}); m := x.mode},
)

dangerous_caps := {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF", "PERFMON"}

# METADATA
# title: Container adds dangerous capabilities
# description: Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE are close to privileged mode and allow container escape.
# custom:
#   id: TG-K8S-018
#   severity: high
#   resources: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   pci: ["2.2.1", "7.2.1"]
#   cis: [CIS Kubernetes 1.8.0 5.2.9]
#   nist: [AC-6, CM-7]
#   remediation: Drop ALL capabilities and add back only narrowly scoped ones (e.g. NET_BIND_SERVICE).
deny contains f if {
	some r in workloads
	some c in containers(r)
	some cap in object.get(object.get(object.get(c, "securityContext", {}), "capabilities", {}), "add", [])
	upper(trim_prefix(upper(cap), "CAP_")) in dangerous_caps
	f := container_finding(rego.metadata.rule(), r, c, sprintf("adds capability %s", [cap]))
}

# METADATA
# title: Ingress serves without TLS
# description: An Ingress without a tls section serves its hosts over plain HTTP, so session cookies and card data cross the network unencrypted.
# custom:
#   id: TG-K8S-019
#   severity: high
#   resources: [Ingress]
#   pci: ["4.2.1"]
#   nist: [SC-8]
#   remediation: Add spec.tls with the hosts and a secretName (for example issued by cert-manager), and redirect HTTP to HTTPS in the ingress controller.
deny contains f if {
	lib.k8s
	some r in input.resources
	r.kind == "Ingress"
	tls := object.get(object.get(r.values, "spec", {}), "tls", [])
	tls == []
	f := lib.finding(rego.metadata.rule(), r, sprintf("%s has no spec.tls: it serves plain HTTP", [r.address]))
}
