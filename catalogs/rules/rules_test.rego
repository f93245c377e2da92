# Unit tests of the evidence rules (tollgate policy test catalogs/rules).
package tollgate.compliance.rules_test

import data.tollgate.compliance.rules

params := {
	"production_envs": ["prod"],
	"required_scanners": ["secrets", "deps", "iac"],
	"emergency_approval_days": 3,
	"incident_max_open_days": 30,
	"scan_max_interval_days": 90,
	"waiver_max_days": 90,
	"vuln_fix_days": 30,
}

day := 86400

decision(seq, kind, outcome, extra) := object.union(
	{
		"seq": seq, "t": 100 * day, "in_period": true, "service": "api", "gate": kind, "kind": kind,
		"commit": "c1", "outcome": outcome, "bypass": ["security"], "blocking": [], "blocking_complete": true,
		"waived": [], "author": "Alice", "author_email": "alice@example.com",
	},
	extra,
)

deploy(seq) := {"seq": seq, "t": 101 * day, "in_period": true, "service": "api", "env": "prod", "commit": "c1", "status": "success", "changes": []}

base := {
	"period": {"from_t": 90 * day, "to_t": 190 * day},
	"params": params,
	"ledger": {"verified": true, "checkpoints": 1, "unsigned_entries": 0},
	"gate_decisions": [decision(1, "secrets", "pass", {}), decision(2, "deps", "pass", {}), decision(3, "iac", "pass", {})],
	"waivers": [],
	"approvals": [{"seq": 4, "t": 100 * day, "in_period": true, "commit": "c1", "approver": "bob"}],
	"deploys": [deploy(5)],
	"changes": [{"seq": 0, "t": 99 * day, "in_period": true, "service": "api", "commit": "c1"}],
	"incidents": [],
}

seqs(r) := [v.seq | some v in r.violations]

# The evidence document's by_commit index, as the report builds it.
indexed(inp) := object.union(inp, {"by_commit": {c: {
	"gate_decisions": [x | some x in inp.gate_decisions; x.commit == c],
	"approvals": [x | some x in inp.approvals; x.commit == c],
	"changes": [x | some x in inp.changes; x.commit == c],
} |
	some list in ["gate_decisions", "approvals", "changes"]
	some item in inp[list]
	c := item.commit
}})

test_a_gated_approved_traced_deploy_is_clean if {
	r := rules.deploys_gated with input as indexed(base)
	r.applicable
	r.violations == []
	r.evidence == [1, 2, 3, 5]
	r1 := rules.changes_approved with input as indexed(base)
	r1.violations == []
	r2 := rules.changes_traceable with input as indexed(base)
	r2.violations == []
	r3 := rules.emergency_changes_reviewed with input as indexed(base)
	r3.violations == []
}

test_a_deploy_whose_last_decision_blocked_violates if {
	inp := json.patch(base, [{"op": "add", "path": "/gate_decisions/-", "value": decision(4, "iac", "blocked", {})}])
	r := rules.deploys_gated with input as indexed(inp)
	seqs(r) == [5]
	contains(r.violations[0].why, "did not pass")
}

test_a_deploy_after_only_later_decisions_is_ungated if {
	inp := json.patch(base, [{"op": "replace", "path": "/deploys/0/seq", "value": 0}])
	r := rules.deploys_gated with input as indexed(inp)
	count(r.violations) == 3
}

test_no_production_deploy_is_not_applicable if {
	inp := json.patch(base, [{"op": "replace", "path": "/deploys/0/env", "value": "staging"}])
	r4 := rules.deploys_gated with input as indexed(inp)
	not r4.applicable
	r5 := rules.changes_approved with input as indexed(inp)
	not r5.applicable
}

test_a_waiver_by_the_author_is_a_violation_and_taints_the_decision if {
	inp := json.patch(base, [
		{"op": "add", "path": "/waivers/-", "value": {"seq": 0, "in_period": true, "approver": "alice", "issued_t": 90 * day, "expires_t": 100 * day}},
		{"op": "replace", "path": "/gate_decisions/1/waived", "value": [{"seq": 0, "finding": "F", "approver": "alice"}]},
	])
	r6 := rules.waivers_authorised with input as indexed(inp)
	seqs(r6) == [0]
	r7 := rules.deploys_gated with input as indexed(inp)
	seqs(r7) == [5]
}

test_a_waiver_by_another_person_is_fine if {
	inp := json.patch(base, [
		{"op": "add", "path": "/waivers/-", "value": {"seq": 0, "in_period": true, "approver": "carol", "issued_t": 90 * day, "expires_t": 100 * day}},
		{"op": "replace", "path": "/gate_decisions/1/waived", "value": [{"seq": 0, "finding": "F", "approver": "carol"}]},
	])
	r := rules.waivers_authorised with input as indexed(inp)
	r.violations == []
	r.evidence == [0, 1, 2, 3]
}

test_a_waiver_on_a_gate_without_bypass_is_a_violation if {
	inp := json.patch(base, [
		{"op": "replace", "path": "/gate_decisions/0/waived", "value": [{"seq": 0, "finding": "F", "approver": "carol"}]},
		{"op": "replace", "path": "/gate_decisions/0/bypass", "value": "none"},
	])
	r8 := rules.waivers_authorised with input as indexed(inp)
	seqs(r8) == [0]
	r9 := rules.secrets_not_waived with input as indexed(inp)
	seqs(r9) == [1]
}

test_an_approval_by_the_author_does_not_count if {
	inp := json.patch(base, [{"op": "replace", "path": "/approvals/0/approver", "value": "ALICE@example.com"}])
	r := rules.changes_approved with input as indexed(inp)
	seqs(r) == [5]
	contains(r.violations[0].why, "other than its author")
}

test_an_emergency_change_approved_in_time_passes_emergency_but_not_prior_approval if {
	inp := json.patch(base, [{"op": "replace", "path": "/approvals/0", "value": {"seq": 6, "t": 103 * day, "commit": "c1", "approver": "bob"}}])
	r10 := rules.changes_approved with input as indexed(inp)
	seqs(r10) == [5]
	r11 := rules.emergency_changes_reviewed with input as indexed(inp)
	r11.violations == []
}

test_an_emergency_change_approved_late_violates if {
	inp := json.patch(base, [{"op": "replace", "path": "/approvals/0", "value": {"seq": 6, "t": 105 * day, "commit": "c1", "approver": "bob"}}])
	r12 := rules.emergency_changes_reviewed with input as indexed(inp)
	seqs(r12) == [5]
}

test_an_untraced_deploy_violates if {
	inp := json.patch(base, [{"op": "replace", "path": "/changes", "value": []}])
	r13 := rules.changes_traceable with input as indexed(inp)
	seqs(r13) == [5]
}

test_incidents_open_too_long_violate if {
	inp := json.patch(base, [{"op": "replace", "path": "/incidents", "value": [
		{"seq": 7, "t": 100 * day, "in_period": true, "id": "I1", "service": "api", "action": "open"},
		{"seq": 8, "t": 101 * day, "in_period": true, "id": "I2", "service": "api", "action": "open"},
		{"seq": 9, "t": 102 * day, "in_period": true, "id": "I2", "service": "api", "action": "resolve"},
		{"seq": 10, "t": 180 * day, "in_period": true, "id": "I3", "service": "api", "action": "open"},
	]}])
	r := rules.incidents_resolved with input as indexed(inp)
	seqs(r) == [7]
	r.evidence == [7, 8, 9, 10]
}

test_scans_missing_or_far_apart_violate if {
	inp := json.patch(base, [
		{"op": "add", "path": "/gate_decisions/-", "value": decision(9, "secrets", "pass", {"t": 195 * day})},
		{"op": "remove", "path": "/gate_decisions/2"},
	])
	r := rules.scans_regular with input as indexed(inp)
	count(r.violations) == 2
	seqs(r) == [9]
}

lifecycle(first_t, fixed_t) := {
	"service": "api", "gate": "dependencies", "kind": "deps", "finding": "V",
	"first_seq": 1, "first_t": first_t, "fixed_seq": 8, "fixed_t": fixed_t,
}

with_lifecycles(ls) := json.patch(base, [{"op": "add", "path": "/finding_lifecycles", "value": ls}])

test_a_vulnerability_fixed_late_violates if {
	r := rules.vulnerabilities_remediated with input as indexed(with_lifecycles([lifecycle(60 * day, 95 * day)]))
	seqs(r) == [1]
	contains(r.violations[0].why, "fixed 35 days after")
	r.evidence == [1, 2, 8]
}

test_a_vulnerability_fixed_in_time_or_before_the_period_is_fine if {
	r1 := rules.vulnerabilities_remediated with input as indexed(with_lifecycles([lifecycle(80 * day, 100 * day)]))
	r1.violations == []
	r2 := rules.vulnerabilities_remediated with input as indexed(with_lifecycles([lifecycle(10 * day, 85 * day)]))
	r2.violations == []
}

test_an_unfixed_vulnerability_violates_only_after_its_deadline if {
	young := object.union(lifecycle(170 * day, null), {"fixed_seq": null})
	r1 := rules.vulnerabilities_remediated with input as indexed(with_lifecycles([young]))
	r1.violations == []
	old := object.union(lifecycle(150 * day, null), {"fixed_seq": null})
	r2 := rules.vulnerabilities_remediated with input as indexed(with_lifecycles([old]))
	seqs(r2) == [1]
	contains(r2.violations[0].why, "still unfixed")
}

test_an_unverified_or_unsigned_ledger_violates if {
	bad := json.patch(base, [{"op": "replace", "path": "/ledger", "value": {"verified": false, "error": "leaf 3 differs"}}])
	r16 := rules.ledger_integrity with input as indexed(bad)
	[v.why | some v in r16.violations] == ["the ledger failed verification: leaf 3 differs"]
	unsigned := json.patch(base, [{"op": "replace", "path": "/ledger/unsigned_entries", "value": 2}])
	r17 := rules.ledger_integrity with input as indexed(unsigned)
	count(r17.violations) == 1
	r18 := rules.ledger_integrity with input as indexed(base)
	r18.violations == []
}
