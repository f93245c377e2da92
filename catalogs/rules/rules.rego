# Evidence rules over the evidence document that `tollgate report compliance`
# builds from the ledger (docs/compliance.md). Each rule is an object:
#   {"applicable": bool, "violations": [{"seq": n, "why": "..."}], "evidence": [seq, ...]}
# A violation without "seq" concerns the ledger as a whole.
package tollgate.compliance.rules

day_seconds := 86400

# Successful production deploys in the period.
prod_deploys contains d if {
	some d in input.deploys
	d.in_period
	d.status == "success"
	d.env in input.params.production_envs
}

# The gate decisions, approvals and changes of a commit (input.by_commit).
no_entries := {"gate_decisions": [], "approvals": [], "changes": []}

of_commit(commit) := object.get(input.by_commit, commit, no_entries)

# The gate decisions of `kind` on the deploy's commit and service recorded before it.
decisions_before(d, kind) := [g |
	some g in of_commit(d.commit).gate_decisions
	g.service == d.service
	g.kind == kind
	g.seq < d.seq
]

# The last such decision (the one in force at deploy time).
last_decision(d, kind) := g if {
	ds := decisions_before(d, kind)
	count(ds) > 0
	last := max({x.seq | some x in ds})
	some g in ds
	g.seq == last
}

# Passing, and every waiver it relied on is valid.
gate_passed(g) if {
	g.outcome == "pass"
	not relies_on_bad_waiver(g)
}

relies_on_bad_waiver(g) if {
	some w in g.waived
	some p in waiver_problems
	p.seq == w.seq
}

gate_gap(d, kind) := sprintf("no %s gate decision on commit %s before this deploy", [kind, d.commit]) if {
	not last_decision(d, kind)
} else := sprintf("the %s gate decision in force (seq %d) did not pass", [kind, last_decision(d, kind).seq]) if {
	last_decision(d, kind).outcome != "pass"
} else := sprintf("the %s gate decision in force (seq %d) relied on an invalid waiver", [kind, last_decision(d, kind).seq]) if {
	not gate_passed(last_decision(d, kind))
}

# Every production deploy had a passing (or validly waived) decision of each
# required scanner on its commit.
deploys_gated := {
	"applicable": count(prod_deploys) > 0,
	"violations": [v |
		some d in prod_deploys
		some kind in input.params.required_scanners
		why := gate_gap(d, kind)
		v := {"seq": d.seq, "why": sprintf("deploy of %s to %s: %s", [d.service, d.env, why])}
	],
	"evidence": sort({s |
		some d in prod_deploys
		some s in array.concat([d.seq], [g.seq |
			some kind in input.params.required_scanners
			g := last_decision(d, kind)
		])
	}),
}

# The same person: the approver's name equals the author's name, e-mail or
# e-mail local part (case-insensitive).
same_person(name, g) if lower(name) == lower(g.author)

same_person(name, g) if lower(name) == lower(g.author_email)

same_person(name, g) if {
	g.author_email != ""
	lower(name) == lower(split(g.author_email, "@")[0])
}

waiver_by_seq(seq) := w if {
	some w in input.waivers
	w.seq == seq
}

# Problems with waivers: accepted on a change by its own author, on a gate
# that allows no bypass, or valid for longer than the catalog allows.
waiver_problems contains {"seq": w.seq, "why": sprintf("waiver by %s was accepted on commit %s (decision seq %d) although %s wrote it", [w.approver, g.commit, g.seq, w.approver])} if {
	some g in input.gate_decisions
	some w in g.waived
	same_person(w.approver, g)
}

waiver_problems contains {"seq": w.seq, "why": sprintf("waiver was accepted by decision seq %d of gate %s, which allows no bypass", [g.seq, g.gate])} if {
	some g in input.gate_decisions
	g.bypass == "none"
	some w in g.waived
}

waiver_problems contains {"seq": w.seq, "why": sprintf("waiver is valid for %d days, more than the %d allowed", [days, input.params.waiver_max_days])} if {
	some w in input.waivers
	w.in_period
	w.expires_t - w.issued_t > input.params.waiver_max_days * day_seconds
	days := floor((w.expires_t - w.issued_t) / day_seconds)
}

# Waivers the report looks at: recorded in the period or used by a decision in it.
waivers_considered contains w.seq if {
	some w in input.waivers
	w.in_period
}

waivers_considered contains w.seq if {
	some g in input.gate_decisions
	g.in_period
	some w in g.waived
}

waivers_authorised := {
	"applicable": count(waivers_considered) + count([g | some g in input.gate_decisions; g.in_period]) > 0,
	"violations": [p | some p in waiver_problems; p.seq in waivers_considered],
	"evidence": sort(waivers_considered | {g.seq | some g in input.gate_decisions; g.in_period}),
}

approver_is_author(name, commit) if {
	some g in of_commit(commit).gate_decisions
	same_person(name, g)
}

author_known(commit) if {
	some g in of_commit(commit).gate_decisions
	g.author != ""
}

# Approvals of the commit by someone other than its author.
four_eyes_approvals(commit) := [a |
	author_known(commit)
	some a in of_commit(commit).approvals
	not approver_is_author(a.approver, commit)
]

approved_before(d) if {
	some a in four_eyes_approvals(d.commit)
	a.seq < d.seq
}

approval_gap(d) := sprintf("the author of commit %s is unknown (no gate decision names it), so four-eyes cannot be checked", [d.commit]) if {
	not author_known(d.commit)
} else := sprintf("no approval of commit %s by someone other than its author", [d.commit]) if {
	count(four_eyes_approvals(d.commit)) == 0
} else := sprintf("commit %s was approved only after the deploy", [d.commit]) if {
	not approved_before(d)
}

# Four-eyes: every production deploy's commit was approved before the deploy
# by someone other than its author.
changes_approved := {
	"applicable": count(prod_deploys) > 0,
	"violations": [{"seq": d.seq, "why": approval_gap(d)} | some d in prod_deploys; approval_gap(d)],
	"evidence": sort({s |
		some d in prod_deploys
		some s in array.concat([d.seq], [a.seq | some a in four_eyes_approvals(d.commit); a.seq < d.seq])
	}),
}

# Emergency changes: a production deploy not approved beforehand must be
# approved (four-eyes) within emergency_approval_days after it.
approved_within(d, days) if {
	some a in four_eyes_approvals(d.commit)
	a.t <= d.t + (days * day_seconds)
}

emergency_changes_reviewed := {
	"applicable": count(prod_deploys) > 0,
	"violations": [v |
		some d in prod_deploys
		not approved_before(d)
		not approved_within(d, input.params.emergency_approval_days)
		v := {"seq": d.seq, "why": sprintf("deploy of commit %s was not approved before it nor within %d days after", [d.commit, input.params.emergency_approval_days])}
	],
	"evidence": sort({s |
		some d in prod_deploys
		some s in array.concat([d.seq], [a.seq | some a in four_eyes_approvals(d.commit)])
	}),
}

traced(d) if {
	some c in of_commit(d.commit).changes
	c.service == d.service
}

traced(d) if count(d.changes) > 0

gated(d) if {
	some g in of_commit(d.commit).gate_decisions
	g.service == d.service
}

# Every production deploy links to a recorded change and to gate decisions on its commit.
changes_traceable := {
	"applicable": count(prod_deploys) > 0,
	"violations": array.concat(
		[{"seq": d.seq, "why": sprintf("deploy of commit %s traces to no recorded change", [d.commit])} | some d in prod_deploys; not traced(d)],
		[{"seq": d.seq, "why": sprintf("deploy of commit %s has no gate decision on that commit", [d.commit])} | some d in prod_deploys; not gated(d)],
	),
	"evidence": sort({s |
		some d in prod_deploys
		some s in array.concat([d.seq], [c.seq | some c in of_commit(d.commit).changes; c.service == d.service])
	}),
}

opened_incidents contains i if {
	some i in input.incidents
	i.in_period
	i.action == "open"
}

resolution(i) := r if {
	some r in input.incidents
	r.action == "resolve"
	r.id == i.id
	r.service == i.service
	r.seq > i.seq
}

# Every incident opened in the period is resolved, or younger than incident_max_open_days at the period's end.
incidents_resolved := {
	"applicable": count(opened_incidents) > 0,
	"violations": [v |
		some i in opened_incidents
		not resolution(i)
		input.period.to_t - i.t > input.params.incident_max_open_days * day_seconds
		v := {"seq": i.seq, "why": sprintf("incident %s of %s is still open more than %d days after it was opened", [i.id, i.service, input.params.incident_max_open_days])}
	],
	"evidence": sort({s |
		some i in opened_incidents
		some s in array.concat([i.seq], [r.seq | r := resolution(i)])
	}),
}

# Services the period has gate decisions or production deploys for.
active_services contains g.service if {
	some g in input.gate_decisions
	g.in_period
}

active_services contains d.service if some d in prod_deploys

period_decisions(service, kind) := [g |
	some g in input.gate_decisions
	g.in_period
	g.service == service
	g.kind == kind
]

# Each active service was scanned by every required scanner in the period,
# with no gap longer than scan_max_interval_days between scans.
scans_regular := {
	"applicable": count(active_services) > 0,
	"violations": array.concat(
		[{"why": sprintf("service %s had no %s scan in the period", [s, kind])} |
			some s in active_services
			some kind in input.params.required_scanners
			count(period_decisions(s, kind)) == 0
		],
		[{"seq": later.seq, "why": sprintf("%s scans of %s were %d days apart (seq %d to %d)", [kind, s, gap_days, earlier.seq, later.seq])} |
			some s in active_services
			some kind in input.params.required_scanners
			ds := sort([[g.t, g.seq] | some g in period_decisions(s, kind)])
			some n in numbers.range(1, count(ds) - 1)
			earlier := {"t": ds[n - 1][0], "seq": ds[n - 1][1]}
			later := {"t": ds[n][0], "seq": ds[n][1]}
			later.t - earlier.t > input.params.scan_max_interval_days * day_seconds
			gap_days := floor((later.t - earlier.t) / day_seconds)
		],
	),
	"evidence": sort({g.seq |
		some s in active_services
		some kind in input.params.required_scanners
		some g in period_decisions(s, kind)
	}),
}

dependency_decisions contains g if {
	some g in input.gate_decisions
	g.kind == "deps"
}

# Blocking dependency findings open at some time in the period: from the
# decision that first listed one to the first later decision of the same
# service and gate that no longer did (input.finding_lifecycles).
dependency_findings contains l if {
	some l in input.finding_lifecycles
	l.kind == "deps"
	l.first_t < input.period.to_t
	not fixed_before_period(l)
}

fixed_before_period(l) if {
	l.fixed_t != null
	l.fixed_t < input.period.from_t
}

allowed_fix_seconds := input.params.vuln_fix_days * day_seconds

remediation_violation(l) := sprintf("dependency finding %s of %s was fixed %d days after it was first seen (seq %d, fixed at seq %d); %d allowed", [l.finding, l.service, floor((l.fixed_t - l.first_t) / day_seconds), l.first_seq, l.fixed_seq, input.params.vuln_fix_days]) if {
	l.fixed_t != null
	l.fixed_t - l.first_t > allowed_fix_seconds
} else := sprintf("dependency finding %s of %s, first seen at seq %d, is still unfixed after more than %d days", [l.finding, l.service, l.first_seq, input.params.vuln_fix_days]) if {
	l.fixed_t == null
	input.period.to_t - l.first_t > allowed_fix_seconds
}

vulnerabilities_remediated := {
	"applicable": count([g | some g in dependency_decisions; g.in_period]) > 0,
	"violations": [{"seq": l.first_seq, "why": why} | some l in dependency_findings; why := remediation_violation(l)],
	"evidence": sort({g.seq | some g in dependency_decisions; g.in_period} | {s |
		some l in dependency_findings
		some s in [l.first_seq, l.fixed_seq]
		s != null
	}),
}

secrets_decisions contains g if {
	some g in input.gate_decisions
	g.in_period
	g.kind == "secrets"
}

# Leaked credentials are never waived: secrets gates allow no bypass and no
# secrets finding was accepted by a waiver.
secrets_not_waived := {
	"applicable": count(secrets_decisions) > 0,
	"violations": array.concat(
		[{"seq": g.seq, "why": sprintf("secrets gate %s accepted %d waived finding(s)", [g.gate, count(g.waived)])} | some g in secrets_decisions; count(g.waived) > 0],
		[{"seq": g.seq, "why": sprintf("secrets gate %s allows bypass by %s", [g.gate, concat(", ", g.bypass)])} | some g in secrets_decisions; is_array(g.bypass)],
	),
	"evidence": sort({g.seq | some g in secrets_decisions}),
}

# The ledger verifies, has signed checkpoints and none of its entries sit after the last one.
ledger_integrity := {
	"applicable": true,
	"violations": array.concat(
		[{"why": sprintf("the ledger failed verification: %s", [input.ledger.error])} | not input.ledger.verified],
		array.concat(
			[{"why": "the ledger has no signed checkpoint"} | input.ledger.verified; input.ledger.checkpoints == 0],
			[{"why": sprintf("%d entries are not covered by a signed checkpoint", [input.ledger.unsigned_entries])} |
				input.ledger.verified
				input.ledger.checkpoints > 0
				input.ledger.unsigned_entries > 0
			],
		),
	),
	"evidence": [],
}
