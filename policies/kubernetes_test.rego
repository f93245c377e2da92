package tollgate.iac.kubernetes_test

import rego.v1

import data.tollgate.iac.kubernetes

pod(spec) := {"format": "kubernetes", "file": "k.yaml", "resources": [{"kind": "Pod", "address": "Pod/p", "line": 1, "values": {"kind": "Pod", "spec": spec}}]}

good := {"name": "app", "image": "bank/app:1.2.3", "securityContext": {"runAsNonRoot": true}, "resources": {"limits": {"memory": "256Mi"}}}

ids(spec) := {v.id | some v in kubernetes.deny with input as pod(spec)}

test_good_pod_clean if count(ids({"containers": [good]})) == 0

test_privileged_denied if "TG-K8S-001" in ids({"containers": [object.union(good, {"securityContext": {"privileged": true, "runAsNonRoot": true}})]})

test_root_denied if "TG-K8S-002" in ids({"containers": [object.remove(good, ["securityContext"])]})

test_pod_level_nonroot_allowed if not "TG-K8S-002" in ids({"securityContext": {"runAsNonRoot": true}, "containers": [object.remove(good, ["securityContext"])]})

test_host_network_denied if "TG-K8S-003" in ids({"hostNetwork": true, "containers": [good]})

test_latest_denied if "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "bank/app:latest"})]})

test_untagged_denied if "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "registry:5000/bank/app"})]})

test_digest_allowed if not "TG-K8S-004" in ids({"containers": [object.union(good, {"image": "bank/app@sha256:abc"})]})

test_no_limits_denied if "TG-K8S-005" in ids({"containers": [object.remove(good, ["resources"])]})

test_deployment_checked if {
	d := {"format": "kubernetes", "file": "k.yaml", "resources": [{"kind": "Deployment", "address": "Deployment/d", "line": 1, "values": {"spec": {"template": {"spec": {"containers": [object.union(good, {"securityContext": {"privileged": true}})]}}}}}]}
	"TG-K8S-001" in {v.id | some v in kubernetes.deny with input as d}
}
