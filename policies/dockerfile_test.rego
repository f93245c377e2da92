package tollgate.iac.dockerfile_test

import rego.v1

import data.tollgate.iac.dockerfile

ins(cmd, value, line) := {"cmd": cmd, "value": value, "args": split(value, " "), "line": line, "stage": 0}

doc(stages, instructions) := {"format": "dockerfile", "file": "Dockerfile", "stages": stages, "instructions": instructions}

base := [{"index": 0, "image": "debian:12", "name": "", "line": 1}]

user := ins("user", "app", 9)

ids(d) := {v.id | some v in dockerfile.deny with input as d}

# Instructions in a pinned debian:12 stage that ends as user app.
run_ids(instructions) := ids(doc(base, array.concat(instructions, [user])))

test_clean_dockerfile if count(run_ids([ins("run", "apt-get install -y git=1:2.39.2-1", 2)])) == 0

test_finding_has_metadata if {
	some v in dockerfile.deny with input as doc(base, [])
	v.id == "TG-DF-001"
	v.line == 1
	"7.2.2" in v.pci
	v.remediation != ""
}

test_df001_no_user_denied if "TG-DF-001" in ids(doc(base, [ins("from", "debian:12", 1)]))

test_df001_user_allowed if not "TG-DF-001" in ids(doc(base, [user]))

test_df001_user_in_build_stage_only_denied if {
	stages := [{"index": 0, "image": "golang:1.22", "name": "build", "line": 1}, {"index": 1, "image": "debian:12", "name": "", "line": 3}]
	"TG-DF-001" in ids(doc(stages, [user]))
}

test_df002_root_user_denied if "TG-DF-002" in ids(doc(base, [user, ins("user", "root", 10)]))

test_df002_uid0_group_denied if "TG-DF-002" in ids(doc(base, [ins("user", "0:0", 10)]))

test_df002_app_user_allowed if not "TG-DF-002" in ids(doc(base, [ins("user", "root", 2), user]))

test_df003_add_url_denied if "TG-DF-003" in run_ids([ins("add", "https://x/y.tgz /opt/", 2)])

test_df003_add_local_allowed if not "TG-DF-003" in run_ids([ins("add", "y.tgz /opt/", 2)])

test_df003_add_checksum_allowed if not "TG-DF-003" in run_ids([ins("add", "--checksum=sha256:abc https://x/y.tgz /opt/", 2)])

test_df004_latest_base_denied if "TG-DF-004" in ids(doc([{"index": 0, "image": "ubuntu", "name": "", "line": 1}], [user]))

test_df004_pinned_base_allowed if not "TG-DF-004" in ids(doc([{"index": 0, "image": "registry:5000/ubuntu:22.04", "name": "", "line": 1}], [user]))

test_df004_stage_reference_allowed if {
	stages := [{"index": 0, "image": "golang:1.22", "name": "build", "line": 1}, {"index": 1, "image": "build", "name": "", "line": 3}]
	not "TG-DF-004" in ids(doc(stages, []))
}

test_df005_sudo_denied if "TG-DF-005" in run_ids([ins("run", "apt-get update && sudo make install", 2)])

test_df005_sudoers_word_allowed if not "TG-DF-005" in run_ids([ins("run", "rm -f /etc/sudoers.d/app", 2)])

test_df006_expose_ssh_denied if "TG-DF-006" in run_ids([ins("expose", "8080 22/tcp", 2)])

test_df006_expose_https_allowed if not "TG-DF-006" in run_ids([ins("expose", "443 2222", 2)])

test_df007_curl_pipe_sh_denied if "TG-DF-007" in run_ids([ins("run", "curl -fsSL https://get.example.com | sh", 2)])

test_df007_wget_pipe_bash_denied if "TG-DF-007" in run_ids([ins("run", "wget -qO- https://x.example/i.sh | sudo bash -s", 2)])

test_df007_checked_download_allowed if not "TG-DF-007" in run_ids([ins("run", "curl -fsSLo i.sh https://x.example/i.sh && sha256sum -c i.sum && sh i.sh", 2)])

test_df008_unpinned_apt_denied if "TG-DF-008" in run_ids([ins("run", "apt-get update && apt-get install -y --no-install-recommends curl", 2)])

test_df008_pinned_apt_allowed if not "TG-DF-008" in run_ids([ins("run", "apt-get update && apt-get install -y curl=7.88.1-10", 2)])

test_df009_env_password_denied if "TG-DF-009" in run_ids([ins("env", "DB_PASSWORD=Sup3rS3cretValue", 2)])

test_df009_legacy_env_token_denied if "TG-DF-009" in run_ids([ins("env", "GITHUB_TOKEN ghp_abcdefghijklmnop", 2)])

test_df009_arg_without_default_allowed if not "TG-DF-009" in run_ids([ins("arg", "NPM_TOKEN", 2), ins("env", "APP_PORT=8080 SECRET_FILE=/run/secrets/db", 3)])

test_other_formats_ignored if count({v | some v in dockerfile.deny with input as {"format": "kubernetes", "resources": []}}) == 0

test_df009_placeholders_allowed if count({v | some v in ["DB_PASSWORD=DB_PASSWORD_VAL", "API_TOKEN=changeme123", "DB_PASSWORD=<password>", "DB_PASSWORD=${DB_PASSWORD}", "DB_PASSWORD=$DB_PASSWORD", "API_KEY=your-api-key-here"]; "TG-DF-009" in run_ids([ins("env", v, 2)])}) == 0

test_df009_real_value_next_to_placeholder_denied if "TG-DF-009" in run_ids([ins("env", "DB_PASSWORD=Zq9!vR2#kLp0 API_KEY=API_KEY_VAL", 2)])

test_df010_insecure_downloads_denied if {
	every v in [
		"curl -fsSLk https://get.example.com/x.tgz -o x.tgz", "curl --insecure https://x", "wget --no-check-certificate https://x",
		"pip install --trusted-host pypi.internal flask==3.0.0", "npm config set strict-ssl false", "git config --global http.sslVerify false",
	] {
		"TG-DF-010" in run_ids([ins("run", v, 2)])
	}
}

test_df010_verified_downloads_allowed if {
	every v in ["curl -fsSL https://get.example.com/x.tgz -o x.tgz", "wget -q https://x", "pip install --require-hashes -r requirements.txt", "echo skip-keys"] {
		not "TG-DF-010" in run_ids([ins("run", v, 2)])
	}
}
