# The cost gate's built-in rules (docs/finops.md "Cost gate"): read the cost
# document of a Terraform plan (input) and the gate's `limits:` (input.limits).
# A limit that is not set is not checked; a resource whose price is not found
# always blocks unless its type is listed in limits.allow_unpriced.
package tollgate.cost

import rego.v1

limits := object.get(input, "limits", {})

money(x) := sprintf("%.2f %s", [x, input.currency])

# Fail closed: a resource Tollgate could not price has an unknown cost, never zero.
deny_unpriced contains v if {
	some r in input.resources
	r.price_not_found
	not r.type in object.get(limits, "allow_unpriced", [])
	v := {
		"msg": sprintf("%s: price not found (%s): its monthly cost is unknown", [r.address, concat("; ", r.not_found)]),
		"severity": "high",
	}
}

deny_monthly_increase contains v if {
	max := limits.max_monthly_increase
	input.diff_monthly_cost > max
	v := {
		"msg": sprintf("the monthly cost rises by %s (%s -> %s), over the limit of %s", [
			money(input.diff_monthly_cost), money(input.past_monthly_cost), money(input.monthly_cost), money(max),
		]),
		"severity": "high",
	}
}

# Only when there was a cost before: from zero, every increase is infinite.
deny_increase_percent contains v if {
	max := limits.max_increase_percent
	input.past_monthly_cost > 0
	input.diff_percent > max
	v := {
		"msg": sprintf("the monthly cost rises by %.2f%% (%s -> %s), over the limit of %v%%", [
			input.diff_percent, money(input.past_monthly_cost), money(input.monthly_cost), max,
		]),
		"severity": "high",
	}
}

deny_resource_monthly contains v if {
	max := limits.max_resource_monthly
	some r in input.resources
	r.action != "delete"
	r.monthly_cost != null
	r.monthly_cost > max
	v := {
		"msg": sprintf("%s costs %s a month, over the per-resource limit of %s", [r.address, money(r.monthly_cost), money(max)]),
		"severity": "high",
	}
}

deny_instance_family contains v if {
	some r in input.resources
	r.action != "delete"
	r.instance_family in object.get(limits, "forbidden_instance_families", [])
	v := {
		"msg": sprintf("%s uses %s: instance family %s is forbidden", [r.address, r.instance_type, r.instance_family]),
		"severity": "high",
	}
}
