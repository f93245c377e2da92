#!/usr/bin/env bash
# IaC scan speed: bench/iac_run.sh TOLLGATE_BINARY [TF_FILES] [K8S_FILES]
# Generates a tree of realistic Terraform modules (.tf with variables, locals,
# interpolation, nested blocks, for expressions) and Kubernetes manifests
# (multi-document Deployments/Services), then runs `tollgate scan iac` with all
# built-in policies single-threaded and on all cores, printing files/s and the
# split between parsing and policy evaluation (--stats).
set -euo pipefail
bin=${1:?usage: $0 TOLLGATE_BINARY [TF_FILES] [K8S_FILES]}
ntf=${2:-2000}
nk8s=${3:-2000}
work=$(mktemp -d)
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$work"' EXIT

gen_tf() {  # module index, file index
  local m=$1 i=$2
  cat <<TF
variable "env_$i" {
  default = "prod"
}
locals {
  name_$i   = "bank-\${var.env_$i}-$m-$i"
  ports_$i  = [for p in [22, 443, 5432] : p if p != 22]
  common_$i = merge({ Owner = "payments", CostCenter = "cc-$m" }, { Env = var.env_$i })
}
resource "aws_s3_bucket" "logs_$i" {
  bucket = "\${local.name_$i}-logs"
  tags   = local.common_$i
}
resource "aws_s3_bucket_acl" "logs_$i" {
  bucket = aws_s3_bucket.logs_$i.id
  acl    = $(( i % 10 == 0 )) == 1 ? "public-read" : "private"
}
resource "aws_db_instance" "db_$i" {
  identifier          = local.name_$i
  engine              = "postgres"
  instance_class      = "db.t3.medium"
  storage_encrypted   = $([[ $((i % 7)) == 0 ]] && echo false || echo true)
  publicly_accessible = false
  tags                = local.common_$i
}
resource "aws_security_group" "web_$i" {
  name = "web-\${local.name_$i}"
  dynamic "ingress" {
    for_each = local.ports_$i
    content {
      from_port = ingress.value
      to_port   = ingress.value
    }
  }
  ingress {
    from_port   = $([[ $((i % 13)) == 0 ]] && echo 22 || echo 443)
    to_port     = $([[ $((i % 13)) == 0 ]] && echo 22 || echo 443)
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = [for c in ["10.0.0.0/8", "172.16.0.0/12"] : c]
  }
}
TF
}

gen_k8s() {
  local i=$1
  cat <<K8S
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-$i
  namespace: payments
  labels: {app: api-$i, tier: backend}
spec:
  replicas: 3
  selector:
    matchLabels: {app: api-$i}
  template:
    metadata:
      labels: {app: api-$i}
    spec:
      hostNetwork: $([[ $((i % 11)) == 0 ]] && echo true || echo false)
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: registry.example.com/api:$([[ $((i % 9)) == 0 ]] && echo latest || echo 1.4.$i)
          ports: [{containerPort: 8080}]
          securityContext: {privileged: false, allowPrivilegeEscalation: false}
          resources:
            limits: {memory: 512Mi, cpu: 500m}
            requests: {memory: 256Mi, cpu: 100m}
          env:
            - {name: LOG_LEVEL, value: info}
---
apiVersion: v1
kind: Service
metadata: {name: api-$i, namespace: payments}
spec:
  selector: {app: api-$i}
  ports: [{port: 80, targetPort: 8080}]
K8S
}

echo "generating $ntf .tf files (20 per module) and $nk8s manifests in $work"
for ((i = 0; i < ntf; i++)); do
  m=$((i / 20))
  mkdir -p "$work/tf/mod$m"
  gen_tf "$m" "$i" >"$work/tf/mod$m/f$i.tf"
done
mkdir -p "$work/k8s"
for ((i = 0; i < nk8s; i++)); do gen_k8s "$i" >"$work/k8s/app$i.yaml"; done

cores=$(nproc)
for jobs in 1 "$cores"; do
  start=$(date +%s.%N)
  "$bin" scan iac "$work/tf" "$work/k8s" --jobs "$jobs" --stats --fail-on none --format json --output "$work/out.json" >/dev/null 2>"$work/stats.txt"
  end=$(date +%s.%N)
  echo "jobs=$jobs: $(cat "$work/stats.txt"); process wall $(echo "$end - $start" | bc) s"
done
echo "findings: $(grep -c '"rule_id"' "$work/out.json")"
