# Module boundaries, checked on every build (cmake/check_modules.cmake):
# a module includes its own headers, and of another module only the public
# headers listed here, and only if that module is among its dependencies.
# Dependencies point down the table of docs/ARCHITECTURE (core uses nothing of
# ours; cli uses everything).
set(TOLLGATE_MODULES core scan/import scan/secrets scan/deps rego scan/iac admission ledger slo canary delivery finops compliance kpi gate server cli)

set(TOLLGATE_PUBLIC_core canonical_json.h embedded.h file.h finding.h finding_store.h git.h hash.h json_stream.h jsonc.h report.h result.h signing.h sqlite.h stream_file.h time.h utf8.h walk.h yaml.h)
set(TOLLGATE_PUBLIC_scan/import sarif.h)
set(TOLLGATE_PUBLIC_scan/secrets secrets.h)
set(TOLLGATE_PUBLIC_scan/deps deps.h)
# ast.h and value.h are the types rego.h's API hands out.
set(TOLLGATE_PUBLIC_rego rego.h ast.h value.h check.h documents.h conformance.h test_runner.h migrate.h)
set(TOLLGATE_PUBLIC_scan/iac iac.h catalog.h)
set(TOLLGATE_PUBLIC_admission admission.h suite.h)
set(TOLLGATE_PUBLIC_ledger ledger.h store.h pg.h attest.h principals.h)
set(TOLLGATE_PUBLIC_slo slo.h)
set(TOLLGATE_PUBLIC_canary canary.h)
set(TOLLGATE_PUBLIC_finops finops.h rightsize.h)
set(TOLLGATE_PUBLIC_delivery delivery.h dora.h record.h webhooks.h)
set(TOLLGATE_PUBLIC_compliance compliance.h)
set(TOLLGATE_PUBLIC_kpi kpi.h)
set(TOLLGATE_PUBLIC_gate gate.h config.h waiver.h run.h policy_gate.h)
set(TOLLGATE_PUBLIC_server server.h client.h)
set(TOLLGATE_PUBLIC_cli "")

set(TOLLGATE_DEPS_core "")
set(TOLLGATE_DEPS_scan/import core)
set(TOLLGATE_DEPS_scan/secrets core)
set(TOLLGATE_DEPS_scan/deps core)
set(TOLLGATE_DEPS_rego core)
set(TOLLGATE_DEPS_scan/iac core rego)
set(TOLLGATE_DEPS_admission core rego)
set(TOLLGATE_DEPS_ledger core)
set(TOLLGATE_DEPS_slo core)
set(TOLLGATE_DEPS_canary core)
set(TOLLGATE_DEPS_finops core slo)
set(TOLLGATE_DEPS_delivery core ledger)
set(TOLLGATE_DEPS_compliance core ledger rego)
set(TOLLGATE_DEPS_kpi core ledger delivery compliance)
set(TOLLGATE_DEPS_gate core ledger rego scan/import scan/secrets scan/deps scan/iac admission slo finops compliance)
set(TOLLGATE_DEPS_server core ledger gate delivery slo scan/iac admission)
set(TOLLGATE_DEPS_cli ${TOLLGATE_MODULES})
