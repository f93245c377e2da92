# Tollgate: the two front doors are `make demo` and `make test`.
# Both install missing Debian packages first (apt-get; run as root or with sudo).

SHELL := /bin/bash
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

DEB_PACKAGES := build-essential cmake ninja-build pkg-config ccache git python3 python3-jsonschema \
  libsqlite3-dev libssl-dev libvectorscan-dev libre2-dev libtomlplusplus-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libgit2-dev libarchive-dev libexpected-dev \
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
# SLOs and canary judgement (issue 6): HTTP client, promtool/prometheus for rule checks, SciPy for the statistics check.
DEB_PACKAGES += libcpp-httplib-dev prometheus python3-scipy curl
# Delivery (DORA): fast reading of ledger event bodies.
DEB_PACKAGES += libsimdjson-dev
# bench/admission-run.sh reads the Gatekeeper templates' Rego with PyYAML.
DEB_PACKAGES += python3-yaml
# Rego: exact big integers.
DEB_PACKAGES += libgmp-dev
# IaC: Unicode normalisation (NFC) of HCL strings.
DEB_PACKAGES += libicu-dev
# Platform service (issue 16): Boost.Beast/Asio 1.74 HTTP layer (bench/http/README.md; not libboost1.81-dev, which conflicts with python3-scipy), wrk for its load benchmarks.
DEB_PACKAGES += libboost-dev wrk
# The PostgreSQL ledger and server state (issue 16); the server itself is
# installed by .ci/postgres.sh for the tests.
DEB_PACKAGES += libpq-dev
# Attestations (issue 18): the independent DSSE/Ed25519 verifier in tests/ledger/verify_attestations.py.
DEB_PACKAGES += python3-cryptography
# The portal's browser code (issue 17, web/): Node and npm for esbuild and the
# browser tests, Chromium for those tests. NodeSource's nodejs provides npm
# itself: Debian's npm is asked for only when no npm is installed.
DEB_PACKAGES += nodejs chromium $(if $(shell command -v npm),,npm)

.PHONY: deps web release debug asan demo serve test test-asan fuzz bench clean

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The portal's npm packages from the committed lockfile (again when it changes).
web: deps
	@if [ ! -x web/node_modules/.bin/esbuild ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  echo "npm ci --prefix web"; npm ci --prefix web --silent --no-fund --no-audit; fi

release: deps web
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

debug: deps web
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)

asan: deps web
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

# The main job on the bundled example: a blocked gate, a waiver, an approval, a passing gate.
demo: release
	./examples/demo.sh build/release/src/tollgate

# The platform service on the example: prints the URL and a first admin token.
SERVE_DIR ?= build/serve
serve: release
	mkdir -p $(SERVE_DIR)
	build/release/src/tollgate serve --listen 127.0.0.1:8080 --ledger $(SERVE_DIR)/ledger.db \
	  --service payments-api=examples/payments-api/tollgate.yaml

test: release
	ctest --preset release -j $(JOBS)

test-asan: asan
	ctest --preset asan -j $(JOBS)

# Bounded libFuzzer runs (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 60
fuzz: deps web
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target fuzz_config fuzz_yaml fuzz_event fuzz_sarif fuzz_secrets fuzz_slo fuzz_lockfiles fuzz_versions fuzz_delivery fuzz_webhook fuzz_rego fuzz_graphql fuzz_hcl fuzz_dockerfile fuzz_admission
	./fuzz/run.sh build/fuzz/fuzz $(FUZZ_SECONDS)

bench: release
	./bench/run.sh build/release
	./bench/rego_run.sh build/release
	./bench/secrets_engine_run.sh build/release

clean:
	rm -rf build
