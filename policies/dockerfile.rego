# METADATA
# title: Dockerfile checks
# description: Built-in checks over input.stages and input.instructions of a Dockerfile (docs/iac-model.md).
package tollgate.iac.dockerfile

import rego.v1

import data.tollgate.iac.lib

last_stage := count(input.stages) - 1

final_users := [i | some i in input.instructions; i.cmd == "user"; i.stage == last_stage]

run_instructions := [i | lib.dockerfile; some i in input.instructions; i.cmd == "run"]

# METADATA
# title: Container runs as root (no USER)
# description: Without a USER instruction in the final stage the container's process runs as root, so any compromise starts with root privileges.
# custom:
#   id: TG-DF-001
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["2.2.1", "7.2.2"]
#   cis: [CIS Docker 1.6.0 4.1]
#   nist: [AC-6]
#   remediation: Create an unprivileged user and add USER <name or uid> to the final stage.
deny contains f if {
	lib.dockerfile
	count(input.stages) > 0
	count(final_users) == 0
	f := lib.finding(rego.metadata.rule(), input.stages[last_stage], "the final stage has no USER instruction: the container runs as root")
}

# METADATA
# title: Container runs as root (USER root)
# description: The last USER of the final stage is root, so the container's process runs with root privileges.
# custom:
#   id: TG-DF-002
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["2.2.1", "7.2.2"]
#   cis: [CIS Docker 1.6.0 4.1]
#   nist: [AC-6]
#   remediation: End the final stage with USER <unprivileged name or uid>.
deny contains f if {
	lib.dockerfile
	count(final_users) > 0
	u := final_users[count(final_users) - 1]
	split(u.value, ":")[0] in {"root", "0"}
	f := lib.finding(rego.metadata.rule(), u, "the final USER is root")
}

# METADATA
# title: ADD fetches a URL
# description: ADD <url> downloads without integrity verification at build time; the content can change or be tampered with.
# custom:
#   id: TG-DF-003
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["6.3.2"]
#   cis: [CIS Docker 1.6.0 4.9]
#   nist: [SI-7, CM-14]
#   remediation: Download with curl/wget and verify a checksum (or use ADD --checksum), or COPY a vendored file.
deny contains f if {
	lib.dockerfile
	some i in input.instructions
	i.cmd == "add"
	some a in i.args
	regex.match(`^https?://`, a)
	not some_checksum(i)
	f := lib.finding(rego.metadata.rule(), i, sprintf("ADD %s: use curl/wget with a checksum or COPY", [a]))
}

some_checksum(i) if {
	some a in i.args
	startswith(a, "--checksum=")
}

# METADATA
# title: Base image not pinned
# description: A :latest or untagged base image changes under the same name; builds are not reproducible and pull unreviewed code.
# custom:
#   id: TG-DF-004
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["6.3.2", "6.5.1"]
#   nist: [CM-2, CM-14, SI-7]
#   remediation: Pin the base image to a version tag, better to a digest (image@sha256:...).
deny contains f if {
	lib.dockerfile
	some s in input.stages
	s.image != "scratch"
	not stage_name(s.image)
	lib.unpinned_image(s.image)
	f := lib.finding(rego.metadata.rule(), s, sprintf("FROM %s uses :latest or no tag", [s.image]))
}

stage_name(image) if {
	some s in input.stages
	s.name != ""
	lower(s.name) == lower(image)
}

# METADATA
# title: sudo in RUN
# description: sudo in a build step means the image carries sudo and a user allowed to use it, an easy path back to root at run time.
# custom:
#   id: TG-DF-005
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["2.2.1", "7.2.2"]
#   nist: [AC-6, CM-7]
#   remediation: Run privileged build steps before USER (as root) and do not install sudo.
deny contains f if {
	some i in run_instructions
	regex.match(`(^|[;&|(\s])sudo(\s|$)`, i.value)
	f := lib.finding(rego.metadata.rule(), i, "RUN uses sudo")
}

# METADATA
# title: SSH port exposed
# description: A container exposing port 22 runs (or invites) an SSH daemon, an unneeded remote-administration service.
# custom:
#   id: TG-DF-006
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["2.2.4", "2.2.5", "1.2.5"]
#   cis: [CIS Docker 1.6.0 5.7]
#   nist: [CM-7]
#   remediation: Remove EXPOSE 22 and the SSH server; use kubectl exec or docker exec for debugging.
deny contains f if {
	lib.dockerfile
	some i in input.instructions
	i.cmd == "expose"
	some a in i.args
	split(a, "/")[0] == "22"
	f := lib.finding(rego.metadata.rule(), i, "EXPOSE 22 (SSH)")
}

# METADATA
# title: Remote script piped to a shell
# description: curl | sh runs whatever the server returns at build time, without integrity verification.
# custom:
#   id: TG-DF-007
#   severity: medium
#   resources: [Dockerfile]
#   pci: ["6.3.2"]
#   nist: [SI-7, CM-14]
#   remediation: Download to a file, verify its checksum or signature, then run it.
deny contains f if {
	some i in run_instructions
	regex.match(`(curl|wget)\s[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh(\s|$)`, i.value)
	f := lib.finding(rego.metadata.rule(), i, "RUN pipes a downloaded script into a shell")
}

# METADATA
# title: apt-get install without pinned versions
# description: Unpinned packages make builds unreproducible and pull whatever version the mirror serves that day.
# custom:
#   id: TG-DF-008
#   severity: low
#   resources: [Dockerfile]
#   pci: ["6.3.2"]
#   nist: [CM-2, CM-14]
#   remediation: Pin versions (apt-get install -y pkg=1.2.3-1) or build from a digest-pinned base that is rebuilt regularly.
deny contains f if {
	some i in run_instructions
	some cmd in regex.split(`&&|;|\|\|`, i.value)
	regex.match(`^\s*apt-get\s+(.*\s)?install\s`, cmd)
	words := [w | some w in split(trim_space(regex.replace(cmd, `\s+`, " ")), " "); not startswith(w, "-"); w != ""]
	pkgs := [w | some j, w in words; j > 0; words[j - 1] != "apt-get"; w != "install"; not contains(w, "=")]
	count(pkgs) > 0
	f := lib.finding(rego.metadata.rule(), i, sprintf("apt-get install without versions: %s", [concat(" ", pkgs)]))
}

# METADATA
# title: Credential in ENV or ARG
# description: ENV and ARG values are stored in the image metadata and history, readable by anyone who can pull the image.
# custom:
#   id: TG-DF-009
#   severity: high
#   resources: [Dockerfile]
#   pci: ["8.3.2", "8.6.2"]
#   cis: [CIS Docker 1.6.0 4.10]
#   nist: [IA-5, SC-28]
#   remediation: Pass secrets at build time with RUN --mount=type=secret and at run time from the orchestrator's secret store.
deny contains f if {
	lib.dockerfile
	some i in input.instructions
	i.cmd in {"env", "arg"}
	some a in env_pairs(i)
	lib.credential_name(a[0])
	lib.credential_value(trim(a[1], `"'`))
	f := lib.finding(rego.metadata.rule(), i, sprintf("%s %s holds a literal credential", [upper(i.cmd), a[0]]))
}

# NAME=value pairs, and the legacy `ENV NAME value` form.
env_pairs(i) := [[k, v] | some a in i.args; contains(a, "="); k := split(a, "=")[0]; v := substring(a, count(k) + 1, -1)] if contains(i.args[0], "=")

env_pairs(i) := [[i.args[0], concat(" ", array.slice(i.args, 1, count(i.args)))]] if {
	i.cmd == "env"
	count(i.args) > 1
	not contains(i.args[0], "=")
}

# METADATA
# title: TLS certificate verification turned off in RUN
# description: curl -k, wget --no-check-certificate, pip --trusted-host, npm strict-ssl false or git http.sslVerify false accept any certificate, so a man in the middle can swap what the build downloads.
# custom:
#   id: TG-DF-010
#   severity: high
#   resources: [RUN]
#   pci: ["4.2.1", "6.3.2"]
#   nist: [SC-8, SI-7]
#   remediation: Remove the option; add the internal CA to the image's trust store (update-ca-certificates) instead of skipping verification.
deny contains f if {
	some i in run_instructions
	some name, re in insecure_tls
	regex.match(re, i.value)
	f := lib.finding(rego.metadata.rule(), i, sprintf("RUN turns off TLS verification (%s)", [name]))
}

insecure_tls := {
	"curl -k/--insecure": `(^|[\s;&|(])curl\s(.*\s)?(-[a-zA-Z]*k[a-zA-Z]*|--insecure)(\s|$)`,
	"wget --no-check-certificate": `wget\s(.*\s)?--no-check-certificate`,
	"pip --trusted-host": `pip3?\s(.*\s)?install\s(.*\s)?--trusted-host`,
	"npm/yarn strict-ssl false": `(npm|yarn)\s+config\s+set\s+strict-ssl\s+false`,
	"git http.sslVerify false": `(?i)git\s+config\s(.*\s)?http\.sslverify\s+false`,
	"NODE_TLS_REJECT_UNAUTHORIZED=0": `NODE_TLS_REJECT_UNAUTHORIZED=0`,
}
