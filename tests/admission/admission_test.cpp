// Gatekeeper's model: templates (v0 Rego, libs, v1beta1), constraint
// matching, enforcement actions, AdmissionReview responses, gator suites,
// audits. Expected values follow Gatekeeper's documented semantics.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admission/admission.h"
#include "admission/suite.h"

namespace fs = std::filesystem;
using tollgate::Json;
using namespace tollgate::admission;

namespace {

const fs::path kData = fs::path(TOLLGATE_SOURCE_DIR) / "tests/admission/testdata";

PolicySet Fixtures() {
  auto set = PolicySet::Load({(kData / "templates").string()}, {(kData / "constraints").string()});
  EXPECT_TRUE(set) << set.error().message();
  return std::move(*set);
}

Json Pod(const std::string& ns, const Json& labels) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", Json{{"name", "api"}, {"namespace", ns}, {"labels", labels}}},
              {"spec", Json{{"containers", Json::array({Json{{"name", "c"}, {"image", "nginx:1.25"}}})}}}};
}

Json Review(const Json& object, const std::string& uid = "u-1") {
  Json req = AuditRequest(object);
  req["uid"] = uid;
  req["operation"] = "CREATE";
  return Json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", req}};
}

Inventory Namespaces() {
  Inventory inv;
  for (const auto& [name, labels] : std::vector<std::pair<std::string, Json>>{
           {"payments", Json::object()}, {"kube-system", Json::object()}, {"cards", Json{{"pci", "true"}}},
           {"team-a", Json::object()}, {"shop-prod", Json::object()}}) {
    auto s = inv.Add(Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Json{{"name", name}, {"labels", labels}}}}, "ns");
    EXPECT_TRUE(s);
  }
  return inv;
}

std::vector<std::string> Names(const std::vector<Violation>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) out.push_back(v.constraint_name + ":" + std::string(ActionName(v.action)));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// A v0 template (partial set rule `violation[{...}] { }`, a lib, `=` in a
// function head) yields a set of violations, not an object keyed by them.
TEST(AdmissionTemplates, V0TemplatesWithLibsGiveViolationSets) {
  PolicySet set = Fixtures();
  EXPECT_EQ(set.template_count(), 2u);
  EXPECT_EQ(set.constraint_count(), 4u);
  Inventory inv = Namespaces();
  auto v = set.Review(AuditRequest(Pod("payments", Json::object())), &inv);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].constraint_name, "must-have-owner");
  EXPECT_EQ((*v)[0].msg, "Pod/api lacks the labels {\"owner\"}");
  EXPECT_EQ((*v)[0].Message(), "[must-have-owner] Pod/api lacks the labels {\"owner\"}");
  EXPECT_EQ((*v)[0].details["missing"], Json::array({"owner"}));
}

// spec.match: kinds (group and kind, * wildcards), namespaces and
// excludedNamespaces with prefix/suffix globs, namespaceSelector on the
// Namespace's labels, enforcement actions per constraint.
TEST(AdmissionMatch, KindsNamespacesGlobsAndSelectors) {
  PolicySet set = Fixtures();
  Inventory inv = Namespaces();
  auto review = [&](const Json& obj) {
    auto v = set.Review(AuditRequest(obj), &inv);
    EXPECT_TRUE(v) << v.error().message();
    return v ? Names(*v) : std::vector<std::string>{};
  };
  // excluded by the kube-* glob
  EXPECT_TRUE(review(Pod("kube-system", Json::object())).empty());
  // team-* (prefix) and *-prod (suffix) select the dryrun constraint
  EXPECT_EQ(review(Pod("team-a", Json{{"owner", "x"}})), std::vector<std::string>{"cost-centre-dryrun:dryrun"});
  EXPECT_EQ(review(Pod("shop-prod", Json{{"owner", "x"}})), std::vector<std::string>{"cost-centre-dryrun:dryrun"});
  // the PCI namespace (selected by its label) warns about the classification
  EXPECT_EQ(review(Pod("cards", Json{{"owner", "x"}})), std::vector<std::string>{"pci-classification:warn"});
  // a Deployment in group apps matches; a ConfigMap (core group, not listed) does not
  Json dep{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", Json{{"name", "d"}, {"namespace", "payments"}}}};
  EXPECT_EQ(review(dep), std::vector<std::string>{"must-have-owner:deny"});
  Json cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", Json{{"name", "c"}, {"namespace", "payments"}}}};
  EXPECT_TRUE(review(cm).empty());
  // a Namespace object is its own namespace for namespaces and selectors
  Json ns{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Json{{"name", "cards"}, {"labels", Json{{"pci", "true"}}}}}};
  EXPECT_EQ(review(ns), std::vector<std::string>{"pci-classification:warn"});
}

// A namespaceSelector on an object whose Namespace is unknown cannot be
// decided: an error, never a silent "does not match".
TEST(AdmissionMatch, UnknownNamespaceForASelectorIsAnError) {
  PolicySet set = Fixtures();
  Inventory empty;
  auto v = set.Review(AuditRequest(Pod("nowhere", Json{{"owner", "x"}})), &empty);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("namespaceSelector needs the Namespace 'nowhere'"), std::string::npos);
  // given in the request, it decides
  Json req = AuditRequest(Pod("nowhere", Json{{"owner", "x"}}));
  req["namespaceObject"] = Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Json{{"name", "nowhere"}, {"labels", Json{{"pci", "true"}}}}}};
  auto w = set.Review(req, &empty);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(Names(*w), std::vector<std::string>{"pci-classification:warn"});
}

// AdmissionReview v1: uid echoed; deny → allowed false, 403 and the joined
// messages; warn → allowed with warnings; dryrun → allowed, recorded.
TEST(AdmissionDecide, ResponsesFollowTheEnforcementActions) {
  PolicySet set = Fixtures();
  Inventory inv = Namespaces();
  auto denied = Decide(set, Review(Pod("payments", Json::object()), "uid-42"), &inv);
  ASSERT_TRUE(denied) << denied.error().message();
  const Json& r = denied->response;
  EXPECT_EQ(r["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(r["kind"], "AdmissionReview");
  EXPECT_EQ(r["response"]["uid"], "uid-42");
  EXPECT_EQ(r["response"]["allowed"], false);
  EXPECT_EQ(r["response"]["status"]["code"], 403);
  EXPECT_EQ(r["response"]["status"]["message"], "[must-have-owner] Pod/api lacks the labels {\"owner\"}");

  auto warned = Decide(set, Review(Pod("cards", Json{{"owner", "x"}})), &inv);
  ASSERT_TRUE(warned);
  EXPECT_EQ(warned->response["response"]["allowed"], true);
  ASSERT_EQ(warned->response["response"]["warnings"].size(), 1u);
  EXPECT_NE(warned->response["response"]["warnings"][0].get<std::string>().find("[pci-classification]"), std::string::npos);

  auto dry = Decide(set, Review(Pod("team-a", Json{{"owner", "x"}})), &inv);
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->response["response"]["allowed"], true);
  EXPECT_FALSE(dry->response["response"].contains("warnings"));
  ASSERT_EQ(dry->event["payload"]["violations"].size(), 1u);
  EXPECT_EQ(dry->event["payload"]["violations"][0]["action"], "dryrun");
}

// The ledger event names the request, the policy set and the verdict, with
// the object's SHA-256 but never its contents (which may hold secrets).
TEST(AdmissionDecide, TheEventHoldsNoObjectContents) {
  PolicySet set = Fixtures();
  Inventory inv = Namespaces();
  Json pod = Pod("payments", Json::object());
  pod["spec"]["containers"][0]["env"] = Json::array({Json{{"name", "DB_PASSWORD"}, {"value", "s3cr3t-Value-9"}}});
  auto d = Decide(set, Review(pod), &inv);
  ASSERT_TRUE(d);
  const std::string dump = d->event.dump();
  EXPECT_EQ(dump.find("s3cr3t-Value-9"), std::string::npos);
  EXPECT_EQ(d->event["type"], "admission");
  EXPECT_EQ(d->event["payload"]["policy_digest"], set.Digest());
  EXPECT_EQ(d->event["payload"]["object_sha256"].get<std::string>().rfind("sha256:", 0), 0u);
  EXPECT_EQ(d->event["payload"]["allowed"], false);
  EXPECT_EQ(d->event["payload"]["operation"], "CREATE");
}

// Kubernetes keeps warnings of at most 256 characters, 4096 in all.
TEST(AdmissionDecide, WarningsRespectKubernetesLimits) {
  std::vector<SourceDocument> templates, constraints;
  auto docs = ReadDocuments({(kData / "templates/requiredlabels.yaml").string()});
  ASSERT_TRUE(docs);
  templates = *docs;
  std::vector<std::string> labels;
  for (int i = 0; i < 200; ++i) labels.push_back("label-with-a-rather-long-name-number-" + std::to_string(i));
  for (int i = 0; i < 40; ++i)
    constraints.push_back({"c.yaml", 0,
                           Json{{"apiVersion", "constraints.gatekeeper.sh/v1beta1"},
                                {"kind", "TestRequiredLabels"},
                                {"metadata", Json{{"name", "w" + std::to_string(i)}}},
                                {"spec", Json{{"enforcementAction", "warn"}, {"parameters", Json{{"labels", labels}}}}}}});
  auto set = PolicySet::FromDocuments(templates, constraints);
  ASSERT_TRUE(set) << set.error().message();
  auto d = Decide(*set, Review(Pod("payments", Json::object())));
  ASSERT_TRUE(d) << d.error().message();
  const Json& w = d->response["response"]["warnings"];
  ASSERT_GT(w.size(), 0u);
  EXPECT_LT(w.size(), 40u);
  std::size_t total = 0;
  for (const auto& x : w) {
    EXPECT_LE(x.get<std::string>().size(), 256u);
    total += x.get<std::string>().size();
  }
  EXPECT_LE(total, 4096u);
  EXPECT_EQ(d->violations.size(), 40u);  // every violation is still recorded
}

// Bad input: a malformed review is an error; a template or constraint that
// is wrong fails the load naming its file.
TEST(AdmissionDecide, MalformedInputIsRefused) {
  PolicySet set = Fixtures();
  EXPECT_FALSE(Decide(set, Json{{"kind", "AdmissionReview"}, {"apiVersion", "admission.k8s.io/v1"}}));
  EXPECT_FALSE(Decide(set, Json{{"kind", "Pod"}}));
  Json no_uid = Review(Pod("payments", Json::object()));
  no_uid["request"].erase("uid");
  EXPECT_FALSE(Decide(set, no_uid));

  auto tmpl = ReadDocuments({(kData / "templates/requiredlabels.yaml").string()});
  ASSERT_TRUE(tmpl);
  auto constraint = [](Json spec) {
    return SourceDocument{"bad.yaml", 3,
                          Json{{"apiVersion", "constraints.gatekeeper.sh/v1beta1"},
                               {"kind", "TestRequiredLabels"},
                               {"metadata", Json{{"name", "x"}}},
                               {"spec", std::move(spec)}}};
  };
  auto wrong_type = PolicySet::FromDocuments(*tmpl, {constraint(Json{{"parameters", Json{{"labels", "owner"}}}})});
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message().find("bad.yaml:3: spec.parameters.labels: must be of type array"), std::string::npos)
      << wrong_type.error().message();
  auto bad_action = PolicySet::FromDocuments(*tmpl, {constraint(Json{{"enforcementAction", "block"}})});
  ASSERT_FALSE(bad_action);
  EXPECT_NE(bad_action.error().message().find("unknown enforcementAction 'block'"), std::string::npos);
  Json unknown_kind = constraint(Json::object()).doc;
  unknown_kind["kind"] = "Nope";
  EXPECT_FALSE(PolicySet::FromDocuments(*tmpl, {{"c.yaml", 1, unknown_kind}}));
  Json broken = (*tmpl)[0].doc;
  broken["spec"]["targets"][0]["rego"] = "package x\nviolation[{\"msg\": m}] { m := }\n";
  EXPECT_FALSE(PolicySet::FromDocuments({{"t.yaml", 1, broken}}, {}));
  // v0 syntax read as v1 by the template's own choice is refused, never reinterpreted
  Json as_v1 = (*tmpl)[0].doc;
  as_v1["spec"]["targets"][0]["code"] = Json::array({Json{{"engine", "Rego"}, {"source", Json{{"version", "v1"}}}}});
  EXPECT_FALSE(PolicySet::FromDocuments({{"t.yaml", 1, as_v1}}, {}));
}

// An evaluation error denies with code 500: failing closed.
TEST(AdmissionDecide, AnEvaluationErrorDenies) {
  auto tmpl = ReadDocuments({(kData / "templates/requiredlabels.yaml").string()});
  ASSERT_TRUE(tmpl);
  Json t = (*tmpl)[0].doc;
  t["spec"]["targets"][0]["rego"] =
      "package testrequiredlabels\nviolation[{\"msg\": msg}] { x := to_number(input.parameters.n); msg := sprintf(\"%v\", [x]) }\n";
  t["spec"]["targets"][0].erase("libs");
  t["spec"]["crd"]["spec"]["validation"] = Json::object();
  Json c{{"apiVersion", "constraints.gatekeeper.sh/v1beta1"},
         {"kind", "TestRequiredLabels"},
         {"metadata", Json{{"name", "boom"}}},
         {"spec", Json{{"parameters", Json{{"n", Json::array()}}}}}};
  auto set = PolicySet::FromDocuments({{"t.yaml", 1, t}}, {{"c.yaml", 1, c}});
  ASSERT_TRUE(set) << set.error().message();
  // the violation rule returns a non-object: malformed, so an error
  Json t2 = t;
  t2["spec"]["targets"][0]["rego"] = "package testrequiredlabels\nviolation[\"just a string\"] { true }\n";
  auto set2 = PolicySet::FromDocuments({{"t.yaml", 1, t2}}, {{"c.yaml", 1, c}});
  ASSERT_TRUE(set2) << set2.error().message();
  auto d = Decide(*set2, Review(Pod("payments", Json::object())));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->response["response"]["allowed"], false);
  EXPECT_EQ(d->response["response"]["status"]["code"], 500);
  EXPECT_TRUE(d->event["payload"].contains("error"));
}

// gator verify: the fixture suite passes; a wrong expectation fails with the
// violations found.
TEST(AdmissionSuite, GatorSuitesPassAndFailAsAsserted) {
  auto r = RunSuite((kData / "suite/suite.yaml").string());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->cases.size(), 6u);
  EXPECT_TRUE(r->passed());
  for (const auto& c : r->cases) EXPECT_TRUE(c.passed) << c.test << "/" << c.name << ": " << c.message;

  fs::path dir = fs::temp_directory_path() / ("tg_adm_suite_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "s.yaml") << "apiVersion: test.gatekeeper.sh/v1alpha1\nkind: Suite\ntests:\n"
                                   "- name: t\n  template: " << (kData / "templates/requiredlabels.yaml").string()
                                << "\n  constraint: " << (kData / "constraints/owner.yaml").string()
                                << "\n  cases:\n  - name: wrong\n    object: " << (kData / "suite/cases/pod-no-owner.yaml").string()
                                << "\n    inventory: [" << (kData / "inventory/namespaces.yaml").string()
                                << "]\n    assertions:\n    - violations: no\n";
  auto bad = RunSuite((dir / "s.yaml").string());
  ASSERT_TRUE(bad) << bad.error().message();
  EXPECT_FALSE(bad->passed());
  ASSERT_EQ(bad->cases.size(), 1u);
  EXPECT_NE(bad->cases[0].message.find("got 1 violations, want none"), std::string::npos) << bad->cases[0].message;
  std::ostringstream out;
  WriteSuiteResults({*bad}, out, false);
  EXPECT_NE(out.str().find("--- FAIL: t/wrong"), std::string::npos);
  EXPECT_NE(out.str().find("FAIL\t"), std::string::npos);
  fs::remove_all(dir);
}

// Audit: every object of a directory and of a `kubectl get -o json` List,
// no cap on violations, findings at the object's file and line.
TEST(AdmissionAudit, ListsAndDirectoriesWithoutACap) {
  PolicySet set = Fixtures();
  fs::path dir = fs::temp_directory_path() / ("tg_adm_audit_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Json list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
  list["items"].push_back(Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Json{{"name", "payments"}}}});
  for (int i = 0; i < 150; ++i) {
    Json p = Pod("payments", Json::object());
    p["metadata"]["name"] = "p" + std::to_string(i);
    list["items"].push_back(p);
  }
  std::ofstream(dir / "cluster.json") << list.dump();
  std::ofstream(dir / "more.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cards\n  labels:\n    pci: \"true\"\n"
                                      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n  namespace: cards\n"
                                      "  labels:\n    owner: a\n    data-classification: pci\n";
  auto r = Audit(set, {dir.string()});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->objects, 153u);
  // 150 pods without an owner (Gatekeeper's audit would keep 20), and the
  // PCI Namespace itself, which its own label selects, lacks the classification
  ASSERT_EQ(r->findings.size(), 151u);
  std::set<std::string> fps;
  std::size_t deny = 0;
  for (const auto& f : r->findings) {
    fps.insert(f.fingerprint);
    EXPECT_EQ(f.rule_id, "TestRequiredLabels");
    if (f.details["action"] == "deny") ++deny;
    else EXPECT_EQ(f.details["object"], "v1/Namespace//cards");
  }
  EXPECT_EQ(deny, 150u);
  EXPECT_EQ(fps.size(), 151u);
  // bad input names the file
  std::ofstream(dir / "broken.yaml") << "apiVersion: v1\nkind: Pod\nmetadata: [\n";
  auto bad = Audit(set, {dir.string()});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("broken.yaml"), std::string::npos);
  fs::remove_all(dir);
}
