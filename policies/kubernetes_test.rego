package tollgate.iac.kubernetes_test

import rego.v1

import data.tollgate.iac.kubernetes

doc(resources) := {"format": "kubernetes", "file": "k.yaml", "resources": resources}

pod(spec) := doc([{"kind": "Pod", "name": "p", "namespace": "default", "address": "Pod/p", "line": 1, "values": {"kind": "Pod", "spec": spec}}])

k(kind, name, ns, values) := {"kind": kind, "name": name, "namespace": ns, "address": sprintf("%s/%s", [kind, name]), "line": 1, "values": values}

good := {
	"name": "app", "image": "bank/app:1.2.3",
	"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false},
	"resources": {"limits": {"memory": "256Mi", "cpu": "500m"}},
}

ids(spec) := {v.id | some v in kubernetes.deny with input as pod(spec)}

doc_ids(resources) := {v.id | some v in kubernetes.deny with input as doc(resources)}

with_sc(sc) := object.union(good, {"securityContext": object.union(good.securityContext, sc)})

test_good_pod_clean if count(ids({"containers": [good]})) == 0

test_finding_names_container if {
	some v in kubernetes.deny with input as pod({"containers": [with_sc({"privileged": true})]})
	v.id == "TG-K8S-001"
	contains(v.msg, `container "app"`)
	v.address == "Pod/p"
	"2.2.1" in v.pci
}

test_k8s001_privileged_denied if "TG-K8S-001" in ids({"containers": [with_sc({"privileged": true})]})

test_k8s001_unprivileged_allowed if not "TG-K8S-001" in ids({"containers": [with_sc({"privileged": false})]})

test_k8s002_root_denied if "TG-K8S-002" in ids({"containers": [object.remove(good, ["securityContext"])]})

test_k8s002_pod_level_nonroot_allowed if not "TG-K8S-002" in ids({"securityContext": {"runAsNonRoot": true}, "containers": [object.remove(good, ["securityContext"])]})

test_k8s003_host_network_denied if "TG-K8S-003" in ids({"hostNetwork": true, "containers": [good]})

test_k8s003_no_host_network_allowed if not "TG-K8S-003" in ids({"hostNetwork": false, "containers": [good]})

test_k8s004_latest_denied if "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "bank/app:latest"})]})

test_k8s004_untagged_denied if "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "registry:5000/bank/app"})]})

test_k8s004_digest_allowed if not "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "bank/app@sha256:abc"})]})

test_k8s005_no_memory_limit_denied if "TG-K8S-005" in ids({"containers": [object.union(object.remove(good, ["resources"]), {"resources": {"limits": {"cpu": "1"}}})]})

test_k8s005_memory_limit_allowed if not "TG-K8S-005" in ids({"containers": [good]})

test_k8s006_escalation_denied if "TG-K8S-006" in ids({"containers": [object.union(object.remove(good, ["securityContext"]), {"securityContext": {"runAsNonRoot": true}})]})

test_k8s006_no_escalation_allowed if not "TG-K8S-006" in ids({"containers": [good]})

test_k8s007_uid0_denied if "TG-K8S-007" in ids({"containers": [with_sc({"runAsUser": 0})]})

test_k8s007_pod_uid0_denied if "TG-K8S-007" in ids({"securityContext": {"runAsUser": 0}, "containers": [good]})

test_k8s007_container_overrides_pod_allowed if not "TG-K8S-007" in ids({"securityContext": {"runAsUser": 0}, "containers": [with_sc({"runAsUser": 1000})]})

test_k8s008_host_pid_denied if "TG-K8S-008" in ids({"hostPID": true, "containers": [good]})

test_k8s008_no_host_pid_allowed if not "TG-K8S-008" in ids({"containers": [good]})

test_k8s009_host_ipc_denied if "TG-K8S-009" in ids({"hostIPC": true, "containers": [good]})

test_k8s009_no_host_ipc_allowed if not "TG-K8S-009" in ids({"hostIPC": false, "containers": [good]})

test_k8s010_docker_socket_denied if "TG-K8S-010" in ids({"containers": [good], "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}]})

test_k8s010_containerd_dir_denied if "TG-K8S-010" in ids({"containers": [good], "volumes": [{"name": "d", "hostPath": {"path": "/run/containerd/"}}]})

test_k8s010_other_host_path_allowed if not "TG-K8S-010" in ids({"containers": [good], "volumes": [{"name": "d", "hostPath": {"path": "/var/log"}}, {"name": "e", "emptyDir": {}}]})

test_k8s011_password_env_denied if "TG-K8S-011" in ids({"containers": [object.union(good, {"env": [{"name": "DB_PASSWORD", "value": "Sup3rS3cret!x"}]})]})

test_k8s011_secret_ref_allowed if not "TG-K8S-011" in ids({"containers": [object.union(good, {"env": [
	{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
	{"name": "API_TOKEN", "value": "$(TOKEN_FROM_FILE)"},
	{"name": "LOG_LEVEL", "value": "debugging-verbose"},
	{"name": "KEYCLOAK_URL", "value": "https://sso.bank.example"},
]})]})

test_k8s012_configmap_secret_denied if "TG-K8S-012" in doc_ids([k("ConfigMap", "c", "default", {"data": {"api_key": "a8f3k2l9q0w8e7r6"}})])

test_k8s012_configmap_plain_allowed if not "TG-K8S-012" in doc_ids([k("ConfigMap", "c", "default", {"data": {"log_level": "debug", "api_key_file": "/etc/keys/api"}})])

test_k8s013_wildcard_role_denied if "TG-K8S-013" in doc_ids([k("ClusterRole", "r", "", {"rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]})])

test_k8s013_specific_role_allowed if not "TG-K8S-013" in doc_ids([k("Role", "r", "default", {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]})])

test_k8s014_cluster_admin_denied if "TG-K8S-014" in doc_ids([k("ClusterRoleBinding", "b", "", {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}})])

test_k8s014_view_binding_allowed if not "TG-K8S-014" in doc_ids([k("RoleBinding", "b", "default", {"roleRef": {"kind": "ClusterRole", "name": "view"}})])

test_k8s015_no_cpu_limit_denied if "TG-K8S-015" in ids({"containers": [object.union(object.remove(good, ["resources"]), {"resources": {"limits": {"memory": "1Gi"}}})]})

test_k8s015_cpu_limit_allowed if not "TG-K8S-015" in ids({"containers": [good]})

test_k8s016_namespace_without_policy_denied if "TG-K8S-016" in doc_ids([k("Namespace", "payments", "", {})])

test_k8s016_policy_elsewhere_denied if "TG-K8S-016" in doc_ids([k("Namespace", "payments", "", {}), k("NetworkPolicy", "deny", "other", {})])

test_k8s016_namespace_with_policy_allowed if not "TG-K8S-016" in doc_ids([k("Namespace", "payments", "", {}), k("NetworkPolicy", "default-deny", "payments", {"spec": {"podSelector": {}}})])

peer(spec) := [k("PeerAuthentication", "default", "istio-system", {"spec": spec})]

test_k8s017_permissive_denied if "TG-K8S-017" in doc_ids(peer({"mtls": {"mode": "PERMISSIVE"}}))

test_k8s017_port_disable_denied if "TG-K8S-017" in doc_ids(peer({"mtls": {"mode": "STRICT"}, "portLevelMtls": {"8080": {"mode": "DISABLE"}}}))

test_k8s017_strict_allowed if not "TG-K8S-017" in doc_ids(peer({"mtls": {"mode": "STRICT"}}))

test_k8s018_sys_admin_denied if "TG-K8S-018" in ids({"containers": [with_sc({"capabilities": {"add": ["CAP_SYS_ADMIN"]}})]})

test_k8s018_bind_service_allowed if not "TG-K8S-018" in ids({"containers": [with_sc({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})]})

test_deployment_checked if {
	d := k("Deployment", "d", "payments", {"spec": {"template": {"spec": {"containers": [with_sc({"privileged": true})]}}}})
	"TG-K8S-001" in doc_ids([d])
}

test_cronjob_init_container_checked if {
	spec := {"containers": [good], "initContainers": [object.union(with_sc({"privileged": true}), {"name": "init"})]}
	c := k("CronJob", "c", "payments", {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}})
	"TG-K8S-001" in doc_ids([c])
}

test_other_formats_ignored if count({v | some v in kubernetes.deny with input as {"format": "terraform", "resources": pod({"hostPID": true}).resources}}) == 0

# The scan view as scan iac builds it (docs/iac-model.md): `here` are this
# file's resources (file k.yaml), `elsewhere` the entries of other manifests.
entry(file, r) := {"file": file, "kind": r.kind, "name": r.name, "namespace": r.namespace, "line": r.line}

scan_input(here, elsewhere) := object.union(doc(here), {"scan": {
	"documents": all,
	"by_kind": {kind: {ns: [e | some e in all; e.kind == kind; e.namespace == ns] | some y in all; y.kind == kind; ns := y.namespace} | some x in all; kind := x.kind},
}}) if {
	all := array.concat([entry("k.yaml", r) | some r in here], [entry("z.yaml", r) | some r in elsewhere])
}

scan_ids(here, elsewhere) := {v.id | some v in kubernetes.deny with input as scan_input(here, elsewhere)}

deployment := k("Deployment", "api", "payments", {"spec": {"template": {"spec": {"containers": [good]}}}})

netpol := k("NetworkPolicy", "default-deny", "payments", {"spec": {"podSelector": {}}})

test_k8s016_workload_policy_in_other_manifest_allowed if not "TG-K8S-016" in scan_ids([deployment], [netpol])

test_k8s016_workload_policy_absent_everywhere_denied if "TG-K8S-016" in scan_ids([deployment], [k("Service", "api", "payments", {})])

test_k8s016_workload_policy_other_namespace_denied if "TG-K8S-016" in scan_ids([deployment], [k("NetworkPolicy", "deny", "other", {})])

test_k8s016_namespace_policy_in_other_manifest_allowed if not "TG-K8S-016" in scan_ids([k("Namespace", "payments", "", {})], [netpol])

test_k8s016_namespace_policy_absent_everywhere_denied if "TG-K8S-016" in scan_ids([k("Namespace", "payments", "", {})], [deployment])

# Reported once per namespace: at the Namespace when the scan defines it ...
test_k8s016_workload_not_reported_when_namespace_defined if not "TG-K8S-016" in scan_ids([deployment], [k("Namespace", "payments", "", {})])

# ... else at the namespace's first workload (k.yaml sorts before z.yaml).
test_k8s016_first_workload_reported if "TG-K8S-016" in scan_ids([deployment], [k("StatefulSet", "db", "payments", {"spec": {"template": {"spec": {"containers": [good]}}}})])

test_k8s016_later_workload_not_reported if {
	first := [entry("a.yaml", k("StatefulSet", "db", "payments", {}))]
	d := object.union(doc([deployment]), {"scan": {"documents": array.concat(first, [entry("k.yaml", deployment)]), "by_kind": {
		"StatefulSet": {"payments": first},
		"Deployment": {"payments": [entry("k.yaml", deployment)]},
	}}})
	not "TG-K8S-016" in {v.id | some v in kubernetes.deny with input as d}
}

# Without the scan view a workload's namespace is not judged from one file.
test_k8s016_workload_without_scan_view_not_guessed if not "TG-K8S-016" in doc_ids([deployment])

test_k8s016_workload_without_namespace_not_guessed if not "TG-K8S-016" in scan_ids([k("Deployment", "api", "", {"spec": {"template": {"spec": {"containers": [good]}}}})], [])

# Issue 13 §5.4: placeholders are not credentials; real-looking values still are.
env_ids(value) := ids({"containers": [object.union(good, {"env": [{"name": "DB_PASSWORD", "value": value}]})]})

placeholders := [
	"DB_PASSWORD_VAL", "API_KEY_VALUE", "TOKEN_HERE", "__DB_PASSWORD__",
	"changeme", "changeme123", "CHANGE_ME_PLEASE", "replace-me-now", "your_password_here", "<db-password>", "<your token>",
	"${DB_PASSWORD}", "prefix-${DB_PASSWORD}", "$(cat /run/secrets/db)", "$DB_PASSWORD", "{{ .Values.db.password }}", "#{DbPassword}#",
	"placeholder-value", "dummy-password", "example-secret", "********", "xxxxxxxxxx", "redacted!",
]

test_k8s011_placeholders_not_credentials if {
	found := [p | some p in placeholders; "TG-K8S-011" in env_ids(p)]
	found == []
}

test_k8s011_real_values_still_credentials if {
	real := ["Sup3rS3cret!x", "hunter2hunter2", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "P4ssw0rd_2024", "correct-horse-battery"]
	missed := [v | some v in real; not "TG-K8S-011" in env_ids(v)]
	missed == []
}

test_k8s012_configmap_placeholders_allowed if not "TG-K8S-012" in doc_ids([k("ConfigMap", "c", "default", {"data": {"api_key": "API_KEY_VAL", "db_password": "changeme", "token": "<token>", "secret": "${SECRET}"}})])

ingress(spec) := k("Ingress", "web", "shop", {"kind": "Ingress", "spec": spec})

rules := [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]

test_k8s019_ingress_without_tls_denied if "TG-K8S-019" in doc_ids([ingress({"rules": rules})])

test_k8s019_ingress_with_tls_allowed if not "TG-K8S-019" in doc_ids([ingress({"rules": rules, "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]})])
