// Semantic equivalence with Sloth: for every Sloth spec in
// ../shared/corpora/sloth that we accept, our rules and the rules Sloth
// generated have the same SLOs, objectives, periods, SLI window set, SLI
// expressions per window (whitespace aside), and the same alert conditions
// (short window, long window, factor and threshold) for page and ticket.
// Names differ (tollgate_* labels instead of sloth_*; docs/slo.md). Specs we
// reject must be the Sloth-plugin ones, rejected with a message saying so.
#include <cmath>
#include <limits>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "support/corpus.h"
#include <yaml-cpp/yaml.h>

#include "slo/slo.h"
#include "test_util.h"

namespace {

using namespace tollgate;
namespace fs = std::filesystem;

const fs::path kSloth = fs::path(TOLLGATE_SHARED_DIR) / "corpora" / "sloth";

struct Condition {
  std::string short_window, long_window;
  double factor = 0, threshold = 0;
  bool operator<(const Condition& o) const {
    return std::tie(short_window, long_window, factor) < std::tie(o.short_window, o.long_window, o.factor);
  }
};

struct SloRules {
  double objective = std::numeric_limits<double>::quiet_NaN();
  double days = std::numeric_limits<double>::quiet_NaN();
  std::map<std::string, std::string> sli;  // window -> expression without whitespace
  std::string period_window;
  std::map<std::string, std::vector<Condition>> alerts;  // severity -> conditions
};

std::string NoSpace(const std::string& s) {
  std::string o;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) o += c;
  return o;
}

std::string Label(const YAML::Node& labels, const char* a, const char* b) {
  if (labels[a]) return labels[a].as<std::string>();
  if (labels[b]) return labels[b].as<std::string>();
  return "";
}

double VectorValue(const std::string& expr) {
  std::smatch m;
  static const std::regex re(R"(vector\(([0-9.e+-]+)\))");
  if (!std::regex_search(expr, m, re)) return std::numeric_limits<double>::quiet_NaN();
  return std::stod(m[1]);
}

// Reads either generator's output into SLO id -> rules.
std::map<std::string, SloRules> Extract(const std::string& text) {
  std::map<std::string, SloRules> out;
  for (const YAML::Node& doc : YAML::LoadAll(text)) {
    if (!doc.IsMap()) continue;
    YAML::Node groups = doc["groups"] ? doc["groups"] : doc["spec"]["groups"];
    for (const auto& g : groups) {
      for (const auto& r : g["rules"]) {
        const std::string expr = r["expr"].as<std::string>();
        if (r["record"]) {
          const std::string rec = r["record"].as<std::string>();
          const std::string id = Label(r["labels"], "sloth_id", "tollgate_id");
          SloRules& s = out[id];
          if (rec.rfind("slo:sli_error:ratio_rate", 0) == 0) {
            const std::string w = Label(r["labels"], "sloth_window", "tollgate_window");
            if (expr.find("sum_over_time(slo:sli_error:ratio_rate5m") != std::string::npos)
              s.period_window = w;
            else
              s.sli[w] = NoSpace(expr);
          } else if (rec == "slo:objective:ratio") {
            s.objective = VectorValue(expr);
          } else if (rec == "slo:time_period:days") {
            s.days = VectorValue(expr);
          }
        } else if (r["alert"]) {
          std::smatch m;
          static const std::regex id_re(R"re((?:sloth|tollgate)_id="([^"]+)")re");
          EXPECT_TRUE(std::regex_search(expr, m, id_re)) << expr;
          const std::string id = m[1];
          const std::string sev = Label(r["labels"], "sloth_severity", "tollgate_severity");
          static const std::regex cond_re(R"(ratio_rate(\w+)\{[^}]*\} > \(([0-9.e+-]+) \* ([0-9.e+-]+)\))");
          std::vector<std::tuple<std::string, double, double>> parts;
          for (auto it = std::sregex_iterator(expr.begin(), expr.end(), cond_re); it != std::sregex_iterator(); ++it)
            parts.emplace_back((*it)[1], std::stod((*it)[2]), std::stod((*it)[3]));
          EXPECT_EQ(parts.size() % 2, 0u) << expr;
          auto& conds = out[id].alerts[sev];
          for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
            Condition c;
            c.short_window = std::get<0>(parts[i]);
            c.long_window = std::get<0>(parts[i + 1]);
            c.factor = std::get<1>(parts[i]);
            EXPECT_DOUBLE_EQ(std::get<1>(parts[i + 1]), c.factor) << "one factor per window pair";
            c.threshold = c.factor * std::get<2>(parts[i]);
            conds.push_back(c);
          }
          std::sort(conds.begin(), conds.end());
        }
      }
    }
  }
  return out;
}

// Sloth's Go templates in the integration goldens.
std::string Untemplate(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\{\{ \.version \}\})"), "dev");
  s = std::regex_replace(s, std::regex(R"re(\{\{"(\{\{[^"]*\}\})"\}\})re"), "$1");
  return s;
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

// Compares; returns the number of SLOs compared (0 on a mismatch).
int Compare(const std::string& name, const std::map<std::string, SloRules>& ours,
            const std::map<std::string, SloRules>& theirs) {
  std::set<std::string> a, b;
  for (const auto& [id, _] : ours) a.insert(id);
  for (const auto& [id, _] : theirs) b.insert(id);
  EXPECT_EQ(a, b) << name << ": the same SLOs";
  if (a != b) return 0;
  int n = 0;
  for (const auto& [id, t] : theirs) {
    const SloRules& o = ours.at(id);
    const std::string where = name + " / " + id;
    if (!std::isnan(t.objective)) {
      EXPECT_TRUE(Near(o.objective, t.objective)) << where << " objective " << o.objective << " vs " << t.objective;
    }
    if (!std::isnan(t.days)) {
      EXPECT_TRUE(Near(o.days, t.days)) << where << " period days";
    }
    EXPECT_EQ(o.period_window, t.period_window) << where;
    EXPECT_EQ(o.sli, t.sli) << where << ": SLI windows and expressions";
    EXPECT_EQ(o.alerts.size(), t.alerts.size()) << where << ": alert severities";
    for (const auto& [sev, tc] : t.alerts) {
      auto it = o.alerts.find(sev);
      if (it == o.alerts.end()) {
        ADD_FAILURE() << where << ": no " << sev << " alert";
        continue;
      }
      const auto& oc = it->second;
      EXPECT_EQ(oc.size(), tc.size()) << where << " " << sev;
      for (std::size_t i = 0; i < std::min(oc.size(), tc.size()); ++i) {
        EXPECT_EQ(oc[i].short_window, tc[i].short_window) << where << " " << sev;
        EXPECT_EQ(oc[i].long_window, tc[i].long_window) << where << " " << sev;
        EXPECT_TRUE(Near(oc[i].factor, tc[i].factor)) << where << " " << sev << " factor " << oc[i].factor << " vs " << tc[i].factor;
        EXPECT_TRUE(Near(oc[i].threshold, tc[i].threshold)) << where << " " << sev << " threshold " << oc[i].threshold << " vs " << tc[i].threshold;
      }
    }
    ++n;
  }
  return n;
}

struct Case {
  std::string in, out;
  std::string period = "30d";
  std::string windows;
  bool alerts = true, recordings = true;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const auto& e : fs::directory_iterator(kSloth / "examples")) {
    if (!e.is_regular_file()) continue;
    const fs::path gen = kSloth / "examples" / "_gen" / e.path().filename();
    if (fs::exists(gen)) cases.push_back(Case{e.path().string(), gen.string(), "30d", "", true, true});
  }
  const fs::path td = kSloth / "test" / "integration" / "prometheus" / "testdata";
  const std::string win7 = (kSloth / "test" / "integration" / "prometheus" / "windows" / "7d.yaml").string();
  auto add = [&](const char* in, const char* out, const char* period, const std::string& windows, bool alerts, bool rec) {
    cases.push_back(Case{(td / in).string(), (td / out).string(), period, windows, alerts, rec});
  };
  add("in-base.yaml", "out-base.yaml.tpl", "30d", "", true, true);
  add("in-base.yaml", "out-base-28d.yaml.tpl", "28d", "", true, true);
  add("in-base.yaml", "out-base-custom-windows-7d.yaml.tpl", "7d", win7, true, true);
  add("in-base.yaml", "out-base-no-alerts.yaml.tpl", "30d", "", false, true);
  add("in-base.yaml", "out-base-no-recordings.yaml.tpl", "30d", "", true, false);
  add("in-base.yaml", "out-base-extra-labels.yaml.tpl", "30d", "", true, true);
  add("in-base-k8s.yaml", "out-base-k8s.yaml.tpl", "30d", "", true, true);
  add("in-multifile.yaml", "out-multifile.yaml.tpl", "30d", "", true, true);
  add("in-multifile-k8s.yaml", "out-multifile-k8s.yaml.tpl", "30d", "", true, true);
  add("in-openslo.yaml", "out-openslo.yaml.tpl", "30d", "", true, true);
  add("in-sli-plugin.yaml", "out-sli-plugin.yaml.tpl", "30d", "", true, true);
  add("in-slo-plugin.yaml", "out-slo-plugin.yaml.tpl", "30d", "", true, true);
  add("in-slo-plugin-k8s.yaml", "out-slo-plugin-k8s.yaml.tpl", "30d", "", true, true);
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.out < b.out; });
  return cases;
}

TEST(SlothEquivalence, SameWindowsFactorsThresholdsAndSliExpressions) {
  TG_REQUIRE_CORPUS(kSloth, "the Sloth corpus");
  int accepted = 0, rejected = 0, slos = 0;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.in + " -> " + fs::path(c.out).filename().string());
    auto spec = slo::LoadSpec(c.in);
    if (!spec) {
      // Only Sloth's plugins are out of scope, and they must be named as the reason.
      EXPECT_NE(spec.error().message().find("plugins"), std::string::npos) << spec.error().message();
      ++rejected;
      continue;
    }
    slo::RulesOptions o;
    o.default_period = *slo::ParsePeriod(c.period);
    o.alerts = c.alerts;
    o.recordings = c.recordings;
    if (!c.windows.empty()) {
      auto w = slo::ParseAlertWindows(slotest::ReadAll(c.windows), c.windows);
      ASSERT_TRUE(w) << w.error().message();
      o.windows = *w;
    }
    auto rules = slo::GenerateRules(spec->slos, o);
    ASSERT_TRUE(rules) << rules.error().message();
    auto theirs = Extract(Untemplate(slotest::ReadAll(c.out)));
    auto ours = Extract(*rules);
    // An alerts-only output has no recordings to carry the SLO ids: compare alerts.
    int n = Compare(fs::path(c.out).filename().string(), ours, theirs);
    EXPECT_GT(n, 0);
    slos += n;
    ++accepted;
  }
  std::cout << "[ sloth    ] " << accepted << " Sloth outputs equivalent (" << slos << " SLOs), " << rejected
            << " specs rejected as Sloth plugins\n";
  EXPECT_GE(accepted, 20);
}

TEST(SlothEquivalence, ValidateCorpusGoodPassesBadFails) {
  const fs::path v = kSloth / "test" / "integration" / "prometheus" / "testdata" / "validate";
  TG_REQUIRE_CORPUS(v, "the Sloth corpus");
  int good = 0, bad = 0;
  for (const auto& e : fs::directory_iterator(v / "good")) {
    auto s = slo::LoadSpec(e.path().string());
    EXPECT_TRUE(s) << e.path() << ": " << (s ? "" : s.error().message());
    ++good;
  }
  for (const auto& e : fs::directory_iterator(v / "bad")) {
    auto s = slo::LoadSpec(e.path().string());
    // Deliberate difference: Sloth refuses a 28-day OpenSLO window when its
    // default period is 30 days; tollgate takes the window as the SLO period.
    if (e.path().filename() == "bad-openslo.yaml") {
      ASSERT_TRUE(s) << s.error().message();
      EXPECT_EQ(s->slos[0].period->length, std::chrono::seconds(28 * 86400));
      continue;
    }
    EXPECT_FALSE(s) << e.path();
    if (!s) {
      EXPECT_EQ(s.error().code(), ErrorCode::kInput);
    }
    ++bad;
  }
  EXPECT_EQ(good, 7);
  EXPECT_EQ(bad, 6);
}

}  // namespace
