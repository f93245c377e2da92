#!/usr/bin/env bash
# The main job on the bundled example (make demo):
#   1. the gate blocks the payments API on a leaked Stripe key, a vulnerable pinned urllib3 (fix named), a high SAST finding,
#      infrastructure misconfigurations (public S3 ACL, SSH open to the internet, a privileged container, USER root; with PCI DSS
#      references) and a missing approval;
#   2. the author cannot waive the SAST finding (no bypass role), the security lead can;
#      nobody can waive the leaked key (the secrets gate allows no bypass);
#   3. a release manager approves the change (four-eyes);
#   4. the key is rotated and removed, urllib3 is upgraded to the named fix; the gate passes;
#   5. the ledger verifies, is exported, and the bundle verifies offline.
#   6. six weeks of bundled deploys and incidents go into the same ledger and give a DORA report.
# It works on a copy of examples/payments-api under the demo directory.
set -euo pipefail
TG=$(realpath "${1:-build/release/src/tollgate}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(realpath -m "${DEMO_DIR:-build/demo}")
rm -rf "$work" && mkdir -p "$work"
cp -r "$here/payments-api" "$work/payments-api"
ex="$work/payments-api"
export TOLLGATE_LEDGER="$work/ledger.db"
export TOLLGATE_LEDGER_KEY="$work/ledger.key"
keys="$ex/.tollgate/demo-keys"
author="Bob <bob@payments.example>"
commit=4f9c2e1d7a3b5c6e8f0a1b2c3d4e5f6a7b8c9d0e
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A ledger signing key for this run"
"$TG" keys gen --out "$TOLLGATE_LEDGER_KEY" --name payments-ledger | tail -1

say "The offline OSV advisory database the dependency gate reads (docs/deps.md)"
export TOLLGATE_DB="$work/osv"
"$TG" db import "$ex/advisories" | tail -1

say "1. tollgate gate: Bob's change $commit"
set +e
"$TG" gate "$ex" --author "$author" --commit "$commit"; rc=$?
set -e
echo "exit code $rc (1 = blocked)"
[ "$rc" = 1 ] || { echo "expected the gate to block"; exit 1; }

fp=$("$TG" scan import "$ex/reports/sast.sarif" --gate sast --format json --fail-on none |
     python3 -c 'import json,sys; print(next(f["fingerprint"] for f in json.load(sys.stdin)["findings"] if f["severity"]=="high"))')
expires=$(date -u -d '+30 days' +%F)

say "2a. Bob tries to waive his own finding (he holds no bypass role)"
set +e
"$TG" waive --path "$ex" --gate sast --finding "$fp" --reason "will fix later" --expires "$expires" --key "$keys/bob.key" 2>&1; rc=$?
set -e
echo "exit code $rc (2 = refused)"

say "2b. Alice (security) waives it for 30 days: compensating control in place"
"$TG" waive --path "$ex" --gate sast --finding "$fp" --expires "$expires" --key "$keys/alice.key" \
  --reason "WAF rule 942100 blocks SQLi on /v1/refunds; fix tracked in PAY-1234"

say "2c. Nobody can waive the leaked Stripe key"
secret_fp=$("$TG" scan secrets "$ex" --format json --fail-on none | python3 -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["fingerprint"])')
set +e
"$TG" waive --path "$ex" --gate secrets --finding "$secret_fp" --reason "test key" --expires "$expires" --key "$keys/alice.key" 2>&1; rc=$?
set -e
echo "exit code $rc (2 = refused)"

say "3. Carol (release) approves the change"
"$TG" approve --path "$ex" --commit "$commit" --key "$keys/carol.key" --reason "reviewed PR #481"

say "4. Bob rotates the key in the Stripe dashboard and reads it from the environment"
sed -i 's/^STRIPE_SECRET_KEY = .*/STRIPE_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]/' "$ex/app/settings.py"
grep -n STRIPE_SECRET_KEY "$ex/app/settings.py"

say "4a. Bob upgrades urllib3 to the fixed version the dependency gate named"
sed -i 's/^urllib3==.*/urllib3==1.26.5/' "$ex/requirements.txt"
grep -n urllib3 "$ex/requirements.txt"

say "4b. Bob fixes the infrastructure findings (private ACL, SSH from the VPC only, unprivileged container, USER payments)"
"$TG" scan iac "$ex" --fail-on none | grep -E '^  (CRITICAL|HIGH|MEDIUM)' || true
sed -i 's/acl    = "public-read"/acl    = "private"/; s|cidr_blocks = \["0.0.0.0/0"\]|cidr_blocks = ["10.20.0.0/16"]|' "$ex/infra/main.tf"
sed -i 's/privileged: true/privileged: false/' "$ex/k8s/deployment.yaml"
sed -i 's/^USER root$/USER payments/' "$ex/Dockerfile"
"$TG" scan iac "$ex" --fail-on medium && echo "no infrastructure findings"

say "4c. tollgate gate again"
"$TG" gate "$ex" --author "$author" --commit "$commit" --format sarif --output "$work/gate.sarif"
echo "SARIF for code scanning dashboards: $work/gate.sarif"

say "5. The evidence: verify, export, verify the bundle offline"
"$TG" ledger verify --trusted-key "$TOLLGATE_LEDGER_KEY.pub"
"$TG" ledger export --output "$work/evidence.json"
"$TG" ledger verify --bundle "$work/evidence.json" --trusted-key "$TOLLGATE_LEDGER_KEY.pub"
"$TG" ledger proof inclusion --index 0 | head -5
echo "..."
say "Ledger entries"
"$TG" ledger show | cut -c1-160

# Issue 6: SLO status, burn-rate rules, canary judgement and the deploy freeze.
say "6. SLO status of the payments API (error budget from bundled SLI data)"
"$TG" slo budget --spec "$ex/slo/payments.yaml"
"$TG" slo rules "$ex/slo/payments.yaml" --output "$work/slo-rules.yaml"
if command -v promtool >/dev/null; then promtool check rules "$work/slo-rules.yaml"; fi

say "7. Canary judgement of the next release (recorded in the ledger)"
set +e
"$TG" canary judge --baseline "$ex/canary/baseline.csv" --canary "$ex/canary/canary.csv" --config "$ex/canary/judge.yaml"; rc=$?
set -e
echo "exit code $rc (0 = promote, 1 = hold or rollback)"

say "8. An outage spends the error budget: the error-budget gate freezes deploys"
"$TG" gate "$ex" --config "$ex/slo/freeze.tollgate.yaml" --author "$author" --commit "$commit" | tail -3
printf '2026-03-04T00:00:00Z,5000,5100\n' >> "$ex/slo/availability.csv"
set +e
"$TG" gate "$ex" --config "$ex/slo/freeze.tollgate.yaml" --author "$author" --commit "$commit"; rc=$?
set -e
echo "exit code $rc (1 = deploys frozen)"
[ "$rc" = 1 ] || { echo "expected the freeze to block"; exit 1; }
say "9. Delivery: six weeks of deploys (JSON Lines) and incidents (CSV), recorded in the ledger"
"$TG" event import "$ex/events/deploys.jsonl"
"$TG" event import "$ex/events/incidents.csv"
say "9b. tollgate dora report"
"$TG" dora report --from 2026-09-07 --to 2026-10-19
"$TG" dora report --service payments-api --from 2026-09-07 --to 2026-10-19 --format json |
  python3 -c 'import json,sys; o=json.load(sys.stdin)["overall"]; print("payments-api as JSON:", {k: o[k] for k in ("deployments","deploys_per_week","lead_time_hours","change_failure_rate","time_to_restore_hours","stage")})'
say "9c. tollgate kpi report and kpi roi: the KPI table against its targets, ROI from illustrative rates"
"$TG" kpi report --from 2026-09-07 --to 2026-10-19
"$TG" kpi roi --inputs "$ex/roi.yaml" --from 2026-09-07 --to 2026-10-19 | tail -12
"$TG" ledger verify --trusted-key "$TOLLGATE_LEDGER_KEY.pub"
