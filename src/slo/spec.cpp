// SLO specs: Sloth prometheus/v1 (and its Kubernetes CR spelling), OpenSLO
// v1alpha (as Sloth reads it) and OpenSLO v1 (SLO with inline or referenced
// SLI, ratioMetric or thresholdMetric, Occurrences budgeting).
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/yaml.h"
#include "slo/slo.h"

namespace tollgate::slo {
namespace {

constexpr std::int64_t kDay = 86400;

// The SLI query must be a template over the window, as Sloth requires.
Status NeedsWindow(const yaml::Reader& r, const YAML::Node& n, const std::string& q, const std::string& key) {
  if (q.find("{{.window}}") == std::string::npos && q.find("{{ .window }}") == std::string::npos)
    return Fail(r.Bad(n, "'" + key + "' must contain {{.window}} where the rate window goes"));
  return Ok();
}

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
Status CheckLabelNames(const yaml::Reader& r, const YAML::Node& n, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    bool ok = !k.empty() && k.rfind("__", 0) != 0 && (std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_');
    for (char c : k) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) return Fail(r.Bad(n, "'" + k + "' is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"));
  }
  return Ok();
}

Status CheckObjective(const yaml::Reader& r, const YAML::Node& n, double objective) {
  if (!(objective > 0) || !(objective < 100))
    return Fail(r.Bad(n, "impossible objective " + std::to_string(objective) +
                             ": it must be above 0 and below 100 percent (100% leaves no error budget)"));
  return Ok();
}

// Sloth spells keys in snake_case in prometheus/v1 and camelCase in the CR.
const YAML::Node Key(const YAML::Node& map, const char* snake, const char* camel) {
  if (map[snake]) return map[snake];
  return map[camel];
}

Result<AlertSeverity> ParseSeverity(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  AlertSeverity s;
  if (!n || n.IsNull()) return s;
  TG_TRY(r.OnlyKeys(n, {"disable", "labels", "annotations"}, what));
  if (n["disable"]) {
    auto b = r.Bool(n["disable"], "disable");
    if (!b) return Fail(b.error());
    s.disable = *b;
  }
  if (n["labels"]) {
    auto m = r.StringMap(n["labels"], "labels");
    if (!m) return Fail(m.error());
    TG_TRY(CheckLabelNames(r, n["labels"], *m));
    s.labels = *m;
  }
  if (n["annotations"]) {
    auto m = r.StringMap(n["annotations"], "annotations");
    if (!m) return Fail(m.error());
    TG_TRY(CheckLabelNames(r, n["annotations"], *m));
    s.annotations = *m;
  }
  return s;
}

struct Extension {
  std::optional<Period> period;
  std::uint64_t min_events = 0;
  DataSource source;
};

// The `tollgate:` block: period, min_events and (top level only) data sources.
Status ParseExtension(const yaml::Reader& r, const YAML::Node& n, bool top, Extension& ext) {
  if (top)
    TG_TRY(r.OnlyKeys(n, {"period", "min_events", "data", "prometheus"}, "tollgate"));
  else
    TG_TRY(r.OnlyKeys(n, {"period", "min_events"}, "tollgate"));
  if (n["period"]) {
    auto s = r.String(n["period"], "period");
    if (!s) return Fail(s.error());
    auto p = ParsePeriod(*s);
    if (!p) return Fail(r.Bad(n["period"], p.error().message()));
    ext.period = *p;
  }
  if (n["min_events"]) {
    auto v = r.Number(n["min_events"], "min_events");
    if (!v) return Fail(v.error());
    if (*v < 0 || *v != std::floor(*v) || *v > 1e15)
      return Fail(r.Bad(n["min_events"], "'min_events' must be a whole number of events"));
    ext.min_events = static_cast<std::uint64_t>(*v);
  }
  if (top && n["data"]) {
    auto s = r.String(n["data"], "data");
    if (!s) return Fail(s.error());
    ext.source.data = *s;
  }
  if (top && n["prometheus"]) {
    auto s = r.String(n["prometheus"], "prometheus");
    if (!s) return Fail(s.error());
    ext.source.prometheus = *s;
  }
  return Ok();
}

// One SLO of a Sloth document (either spelling).
Result<Slo> ParseSlothSlo(const yaml::Reader& r, const YAML::Node& n, const std::string& service,
                          const std::map<std::string, std::string>& labels, const Extension& top,
                          const std::string& format) {
  if (n.IsMap() && n["plugins"]) return Fail(r.Bad(n["plugins"], "Sloth SLO plugins are Sloth Go code and are not supported"));
  TG_TRY(r.OnlyKeys(n, {"name", "objective", "description", "labels", "sli", "alerting", "tollgate"}, "slo"));
  Slo s;
  s.service = service;
  s.spec_format = format;
  s.labels = labels;
  s.period = top.period;
  s.min_events = top.min_events;
  if (!n["name"]) return Fail(r.Bad(n, "an SLO needs a 'name'"));
  auto name = r.String(n["name"], "name");
  if (!name) return Fail(name.error());
  if (name->empty()) return Fail(r.Bad(n["name"], "'name' must not be empty"));
  s.name = *name;
  if (!n["objective"]) return Fail(r.Bad(n, "SLO '" + s.name + "' needs an 'objective' (percent)"));
  auto obj = r.Number(n["objective"], "objective");
  if (!obj) return Fail(obj.error());
  TG_TRY(CheckObjective(r, n["objective"], *obj));
  s.objective = *obj;
  if (n["description"]) {
    auto d = r.String(n["description"], "description");
    if (!d) return Fail(d.error());
    s.description = *d;
  }
  if (n["labels"]) {
    auto m = r.StringMap(n["labels"], "labels");
    if (!m) return Fail(m.error());
    TG_TRY(CheckLabelNames(r, n["labels"], *m));
    for (const auto& [k, v] : *m) s.labels[k] = v;
  }
  if (n["tollgate"]) {
    Extension ext;
    ext.period = s.period;
    ext.min_events = s.min_events;
    TG_TRY(ParseExtension(r, n["tollgate"], false, ext));
    s.period = ext.period;
    s.min_events = ext.min_events;
  }
  const YAML::Node sli = n["sli"];
  if (!sli) return Fail(r.Bad(n, "SLO '" + s.name + "' needs an 'sli'"));
  TG_TRY(r.OnlyKeys(sli, {"events", "raw", "plugin"}, "sli"));
  int kinds = (sli["events"] ? 1 : 0) + (sli["raw"] ? 1 : 0) + (sli["plugin"] ? 1 : 0);
  if (kinds != 1) return Fail(r.Bad(sli, "'sli' needs exactly one of events or raw"));
  if (sli["plugin"]) return Fail(r.Bad(sli["plugin"], "SLI plugins are Sloth Go code and are not supported: write the events or raw queries"));
  if (sli["events"]) {
    const YAML::Node e = sli["events"];
    TG_TRY(r.OnlyKeys(e, {"error_query", "total_query", "errorQuery", "totalQuery"}, "sli.events"));
    YAML::Node eq = Key(e, "error_query", "errorQuery");
    YAML::Node tq = Key(e, "total_query", "totalQuery");
    if (!eq || !tq) return Fail(r.Bad(e, "'sli.events' needs error_query and total_query"));
    auto a = r.String(eq, "error_query");
    if (!a) return Fail(a.error());
    auto b = r.String(tq, "total_query");
    if (!b) return Fail(b.error());
    TG_TRY(NeedsWindow(r, eq, *a, "error_query"));
    TG_TRY(NeedsWindow(r, tq, *b, "total_query"));
    s.sli.kind = Sli::Kind::kEvents;
    s.sli.error_query = *a;
    s.sli.total_query = *b;
  } else {
    const YAML::Node e = sli["raw"];
    TG_TRY(r.OnlyKeys(e, {"error_ratio_query", "errorRatioQuery"}, "sli.raw"));
    YAML::Node q = Key(e, "error_ratio_query", "errorRatioQuery");
    if (!q) return Fail(r.Bad(e, "'sli.raw' needs error_ratio_query"));
    auto a = r.String(q, "error_ratio_query");
    if (!a) return Fail(a.error());
    TG_TRY(NeedsWindow(r, q, *a, "error_ratio_query"));
    s.sli.kind = Sli::Kind::kRaw;
    s.sli.error_ratio_query = *a;
  }
  if (const YAML::Node al = n["alerting"]) {
    TG_TRY(r.OnlyKeys(al, {"name", "labels", "annotations", "page_alert", "ticket_alert", "pageAlert", "ticketAlert"},
                      "alerting"));
    if (al["name"]) {
      auto a = r.String(al["name"], "alerting.name");
      if (!a) return Fail(a.error());
      if (a->empty()) return Fail(r.Bad(al["name"], "'alerting.name' must not be empty"));
      s.alerting.name = *a;
    }
    if (al["labels"]) {
      auto m = r.StringMap(al["labels"], "labels");
      if (!m) return Fail(m.error());
      TG_TRY(CheckLabelNames(r, al["labels"], *m));
      s.alerting.labels = *m;
    }
    if (al["annotations"]) {
      auto m = r.StringMap(al["annotations"], "annotations");
      if (!m) return Fail(m.error());
      TG_TRY(CheckLabelNames(r, al["annotations"], *m));
      s.alerting.annotations = *m;
    }
    auto page = ParseSeverity(r, Key(al, "page_alert", "pageAlert"), "page_alert");
    if (!page) return Fail(page.error());
    auto ticket = ParseSeverity(r, Key(al, "ticket_alert", "ticketAlert"), "ticket_alert");
    if (!ticket) return Fail(ticket.error());
    s.alerting.page = *page;
    s.alerting.ticket = *ticket;
  }
  if (s.min_events > 0 && s.sli.kind == Sli::Kind::kRaw)
    return Fail(r.Bad(n, "SLO '" + s.name + "': min_events needs an events SLI (a raw ratio has no event count)"));
  return s;
}

Status ParseSloth(const yaml::Reader& r, const YAML::Node& doc, bool k8s, Spec& spec) {
  const std::string format = k8s ? "sloth.slok.dev/v1" : "prometheus/v1";
  YAML::Node body = doc;
  for (const YAML::Node& n : {doc, doc["spec"]})
    if (n && n.IsMap())
      for (const char* key : {"slo_plugins", "sloPlugins"})
        if (n[key]) return Fail(r.Bad(n[key], "Sloth SLO plugins are Sloth Go code and are not supported"));
  if (k8s) {
    TG_TRY(r.OnlyKeys(doc, {"apiVersion", "kind", "metadata", "spec"}, "PrometheusServiceLevel"));
    if (!doc["kind"] || !doc["kind"].IsScalar() || doc["kind"].Scalar() != "PrometheusServiceLevel")
      return Fail(r.Bad(doc, "sloth.slok.dev/v1 documents must be of kind PrometheusServiceLevel"));
    body = doc["spec"];
    if (!body) return Fail(r.Bad(doc, "a PrometheusServiceLevel needs a 'spec'"));
    TG_TRY(r.OnlyKeys(body, {"service", "labels", "slos"}, "spec"));
  } else {
    TG_TRY(r.OnlyKeys(doc, {"version", "service", "labels", "slos", "tollgate"}, "prometheus/v1 spec"));
  }
  if (!body["service"]) return Fail(r.Bad(body, "the spec needs a 'service'"));
  auto service = r.String(body["service"], "service");
  if (!service) return Fail(service.error());
  if (service->empty()) return Fail(r.Bad(body["service"], "'service' must not be empty"));
  std::map<std::string, std::string> labels;
  if (body["labels"]) {
    auto m = r.StringMap(body["labels"], "labels");
    if (!m) return Fail(m.error());
    TG_TRY(CheckLabelNames(r, body["labels"], *m));
    labels = *m;
  }
  Extension top;
  if (!k8s && doc["tollgate"]) {
    TG_TRY(ParseExtension(r, doc["tollgate"], true, top));
    if (!top.source.data.empty()) spec.source.data = top.source.data;
    if (!top.source.prometheus.empty()) spec.source.prometheus = top.source.prometheus;
  }
  const YAML::Node slos = body["slos"];
  if (!slos || !slos.IsSequence() || slos.size() == 0) return Fail(r.Bad(body, "'slos' must be a non-empty list"));
  for (const auto& n : slos) {
    auto s = ParseSlothSlo(r, n, *service, labels, top, format);
    if (!s) return Fail(s.error());
    spec.slos.push_back(std::move(*s));
  }
  return Ok();
}

// OpenSLO v1alpha as Sloth reads it: one SLO per objective, named <name>-<i>.
Status ParseOpenSloV1alpha(const yaml::Reader& r, const YAML::Node& doc, Spec& spec) {
  TG_TRY(r.OnlyKeys(doc, {"apiVersion", "kind", "metadata", "spec"}, "openslo/v1alpha document"));
  if (!doc["kind"] || doc["kind"].Scalar() != "SLO") return Fail(r.Bad(doc, "only kind SLO is read from openslo/v1alpha"));
  const YAML::Node md = doc["metadata"];
  if (!md || !md["name"]) return Fail(r.Bad(doc, "the SLO needs metadata.name"));
  auto name = r.String(md["name"], "metadata.name");
  if (!name) return Fail(name.error());
  const YAML::Node sp = doc["spec"];
  if (!sp) return Fail(r.Bad(doc, "the SLO needs a spec"));
  TG_TRY(r.OnlyKeys(sp, {"service", "description", "budgetingMethod", "objectives", "timeWindows"}, "spec"));
  if (!sp["service"]) return Fail(r.Bad(sp, "spec.service is required"));
  auto service = r.String(sp["service"], "service");
  if (!service) return Fail(service.error());
  if (service->empty()) return Fail(r.Bad(sp["service"], "'service' must not be empty"));
  if (sp["budgetingMethod"] && sp["budgetingMethod"].Scalar() != "Occurrences")
    return Fail(r.Bad(sp["budgetingMethod"], "only budgetingMethod Occurrences is supported"));
  std::optional<Period> period;
  if (const YAML::Node tw = sp["timeWindows"]) {
    if (!tw.IsSequence() || tw.size() != 1) return Fail(r.Bad(tw, "'timeWindows' must hold exactly one window"));
    auto count = r.Number(tw[0]["count"], "count");
    if (!count) return Fail(count.error());
    auto unit = r.String(tw[0]["unit"], "unit");
    if (!unit) return Fail(unit.error());
    if (*unit != "Day" || *count < 1 || *count > 366 || *count != std::floor(*count))
      return Fail(r.Bad(tw[0], "only time windows of whole Days are supported"));
    period = Period{Period::Kind::kRolling, Seconds(static_cast<std::int64_t>(*count) * kDay)};
  }
  const YAML::Node objs = sp["objectives"];
  if (!objs || !objs.IsSequence() || objs.size() == 0) return Fail(r.Bad(sp, "'objectives' must be a non-empty list"));
  for (std::size_t i = 0; i < objs.size(); ++i) {
    const YAML::Node o = objs[i];
    TG_TRY(r.OnlyKeys(o, {"ratioMetrics", "target", "displayName"}, "objective"));
    Slo s;
    s.service = *service;
    s.name = *name + "-" + std::to_string(i);
    s.spec_format = "openslo/v1alpha";
    s.period = period;
    if (sp["description"]) s.description = sp["description"].Scalar();
    if (!o["target"]) return Fail(r.Bad(o, "objective needs a 'target' (ratio)"));
    auto t = r.Number(o["target"], "target");
    if (!t) return Fail(t.error());
    TG_TRY(CheckObjective(r, o["target"], *t * 100));
    s.objective = *t * 100;
    const YAML::Node rm = o["ratioMetrics"];
    if (!rm || !rm["good"] || !rm["total"]) return Fail(r.Bad(o, "objective needs ratioMetrics with good and total"));
    auto g = r.String(rm["good"]["query"], "good.query");
    if (!g) return Fail(g.error());
    auto tq = r.String(rm["total"]["query"], "total.query");
    if (!tq) return Fail(tq.error());
    TG_TRY(NeedsWindow(r, rm["good"]["query"], *g, "good.query"));
    TG_TRY(NeedsWindow(r, rm["total"]["query"], *tq, "total.query"));
    s.sli.kind = Sli::Kind::kGoodTotal;
    s.sli.good_query = *g;
    s.sli.total_query = *tq;
    // Sloth generates no alerts from OpenSLO specs; neither do we.
    s.alerting.page.disable = true;
    s.alerting.ticket.disable = true;
    spec.slos.push_back(std::move(s));
  }
  return Ok();
}

// OpenSLO v1 durations: "28d", "4w", "1M" (calendar month), "1Q" (quarter).
Result<Period> OpenSloPeriod(const std::string& d, bool rolling) {
  if (d == "1M" || d == "1Q") {
    if (rolling) return Fail(Error::Input("a rolling window of '" + d + "' is not supported: use days or isRolling: false"));
    return Period{d == "1M" ? Period::Kind::kCalendarMonth : Period::Kind::kCalendarQuarter,
                  Seconds((d == "1M" ? 30 : 90) * kDay)};
  }
  auto p = ParsePeriod(d);
  if (!p) return p;
  if (!rolling) return Fail(Error::Input("calendar windows must be 1M (month) or 1Q (quarter), got '" + d + "'"));
  return p;
}

std::string MetricQuery(const yaml::Reader& r, const YAML::Node& m, std::string* err_where) {
  // { metricSource: { type: Prometheus, spec: { query: ... } } }
  const YAML::Node ms = m["metricSource"];
  if (ms && ms["spec"] && ms["spec"]["query"] && ms["spec"]["query"].IsScalar()) return ms["spec"]["query"].Scalar();
  *err_where = r.Where(m);
  return {};
}

Result<Sli> OpenSloV1Indicator(const yaml::Reader& r, const YAML::Node& sli_spec, std::optional<double>* threshold_value,
                               std::string* threshold_op) {
  Sli sli;
  std::string where;
  if (const YAML::Node rm = sli_spec["ratioMetric"]) {
    if (!rm["total"]) return Fail(r.Bad(rm, "ratioMetric needs 'total'"));
    std::string total = MetricQuery(r, rm["total"], &where);
    if (total.empty()) return Fail(Error::Input(where + ": ratioMetric.total needs metricSource.spec.query"));
    sli.total_query = total;
    if (rm["good"]) {
      sli.kind = Sli::Kind::kGoodTotal;
      sli.good_query = MetricQuery(r, rm["good"], &where);
      if (sli.good_query.empty()) return Fail(Error::Input(where + ": ratioMetric.good needs metricSource.spec.query"));
    } else if (rm["bad"]) {
      sli.kind = Sli::Kind::kEvents;
      sli.error_query = MetricQuery(r, rm["bad"], &where);
      if (sli.error_query.empty()) return Fail(Error::Input(where + ": ratioMetric.bad needs metricSource.spec.query"));
    } else {
      return Fail(r.Bad(rm, "ratioMetric needs 'good' or 'bad'"));
    }
    for (const std::string* q : {&sli.total_query, &sli.good_query, &sli.error_query})
      if (!q->empty()) TG_TRY(NeedsWindow(r, rm, *q, "ratioMetric query"));
    return sli;
  }
  if (const YAML::Node tm = sli_spec["thresholdMetric"]) {
    std::string q = MetricQuery(r, tm, &where);
    if (q.empty()) return Fail(Error::Input(where + ": thresholdMetric needs metricSource.spec.query"));
    sli.kind = Sli::Kind::kRaw;
    sli.error_ratio_query = q;  // completed with the objective's op and value below
    *threshold_op = "pending";
    (void)threshold_value;
    return sli;
  }
  return Fail(r.Bad(sli_spec, "the SLI needs ratioMetric or thresholdMetric"));
}

// A thresholdMetric becomes the share of minutes in the window when the
// metric broke its threshold: 1 - avg_over_time((query OP bool value)[w:1m]).
Result<std::string> ThresholdRatioQuery(const std::string& query, const std::string& op, double value) {
  static const std::map<std::string, std::string> kOps{{"lt", "<"}, {"lte", "<="}, {"gt", ">"}, {"gte", ">="}};
  auto it = kOps.find(op);
  if (it == kOps.end()) return Fail(Error::Input("objective 'op' must be lt, lte, gt or gte, got '" + op + "'"));
  char v[64];
  std::snprintf(v, sizeof v, "%.12g", value);
  return "1 - avg_over_time(((" + query + ") " + it->second + " bool " + v + ")[{{.window}}:1m])";
}

Status ParseOpenSloV1(const yaml::Reader& r, const std::vector<YAML::Node>& docs, Spec& spec) {
  // SLIs defined as their own documents, for indicatorRef.
  std::map<std::string, YAML::Node> slis;
  for (const auto& d : docs)
    if (d["kind"] && d["kind"].Scalar() == "SLI" && d["metadata"] && d["metadata"]["name"])
      slis[d["metadata"]["name"].Scalar()] = d["spec"];
  for (const auto& doc : docs) {
    TG_TRY(r.OnlyKeys(doc, {"apiVersion", "kind", "metadata", "spec"}, "openslo/v1 document"));
    if (!doc["apiVersion"] || doc["apiVersion"].Scalar() != "openslo/v1")
      return Fail(r.Bad(doc, "documents of one file must share apiVersion openslo/v1"));
    const std::string kind = doc["kind"] ? doc["kind"].Scalar() : "";
    if (kind == "SLI" || kind == "Service" || kind == "AlertPolicy" || kind == "AlertCondition" ||
        kind == "AlertNotificationTarget" || kind == "DataSource")
      continue;
    if (kind != "SLO") return Fail(r.Bad(doc, "unknown OpenSLO kind '" + kind + "'"));
    const YAML::Node md = doc["metadata"];
    if (!md || !md["name"]) return Fail(r.Bad(doc, "the SLO needs metadata.name"));
    auto name = r.String(md["name"], "metadata.name");
    if (!name) return Fail(name.error());
    const YAML::Node sp = doc["spec"];
    if (!sp) return Fail(r.Bad(doc, "the SLO needs a spec"));
    TG_TRY(r.OnlyKeys(sp, {"service", "description", "budgetingMethod", "objectives", "timeWindow", "indicator",
                           "indicatorRef", "alertPolicies"},
                      "spec"));
    if (!sp["service"]) return Fail(r.Bad(sp, "spec.service is required"));
    auto service = r.String(sp["service"], "service");
    if (!service) return Fail(service.error());
    if (service->empty()) return Fail(r.Bad(sp["service"], "'service' must not be empty"));
    if (!sp["budgetingMethod"] || sp["budgetingMethod"].Scalar() != "Occurrences")
      return Fail(r.Bad(sp["budgetingMethod"] ? sp["budgetingMethod"] : sp,
                        "budgetingMethod must be Occurrences (Timeslices and RatioTimeslices are not supported)"));
    std::optional<Period> period;
    if (const YAML::Node tw = sp["timeWindow"]) {
      if (!tw.IsSequence() || tw.size() != 1) return Fail(r.Bad(tw, "'timeWindow' must hold exactly one window"));
      auto d = r.String(tw[0]["duration"], "duration");
      if (!d) return Fail(d.error());
      bool rolling = true;
      if (tw[0]["isRolling"]) {
        auto b = r.Bool(tw[0]["isRolling"], "isRolling");
        if (!b) return Fail(b.error());
        rolling = *b;
      }
      auto p = OpenSloPeriod(*d, rolling);
      if (!p) return Fail(r.Bad(tw[0], p.error().message()));
      period = *p;
    }
    YAML::Node sli_spec;
    if (sp["indicator"]) {
      sli_spec = sp["indicator"]["spec"];
    } else if (sp["indicatorRef"]) {
      auto it = slis.find(sp["indicatorRef"].Scalar());
      if (it == slis.end()) return Fail(r.Bad(sp["indicatorRef"], "no SLI named '" + sp["indicatorRef"].Scalar() + "' in this file"));
      sli_spec = it->second;
    }
    if (!sli_spec) return Fail(r.Bad(sp, "the SLO needs an indicator (inline) or an indicatorRef"));
    std::optional<double> tv;
    std::string top;
    auto sli = OpenSloV1Indicator(r, sli_spec, &tv, &top);
    if (!sli) return Fail(sli.error());
    const YAML::Node objs = sp["objectives"];
    if (!objs || !objs.IsSequence() || objs.size() == 0) return Fail(r.Bad(sp, "'objectives' must be a non-empty list"));
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const YAML::Node o = objs[i];
      Slo s;
      s.service = *service;
      s.name = objs.size() == 1 ? *name : *name + "-" + std::to_string(i);
      s.spec_format = "openslo/v1";
      s.period = period;
      s.sli = *sli;
      if (sp["description"]) s.description = sp["description"].Scalar();
      double objective = 0;
      if (o["target"]) {
        auto t = r.Number(o["target"], "target");
        if (!t) return Fail(t.error());
        objective = *t * 100;
        TG_TRY(CheckObjective(r, o["target"], objective));
      } else if (o["targetPercent"]) {
        auto t = r.Number(o["targetPercent"], "targetPercent");
        if (!t) return Fail(t.error());
        objective = *t;
        TG_TRY(CheckObjective(r, o["targetPercent"], objective));
      } else {
        return Fail(r.Bad(o, "objective needs 'target' or 'targetPercent'"));
      }
      s.objective = objective;
      if (!top.empty()) {
        if (!o["op"] || !o["value"]) return Fail(r.Bad(o, "a thresholdMetric objective needs 'op' and 'value'"));
        auto v = r.Number(o["value"], "value");
        if (!v) return Fail(v.error());
        auto q = ThresholdRatioQuery(sli->error_ratio_query, o["op"].Scalar(), *v);
        if (!q) return Fail(r.Bad(o["op"], q.error().message()));
        s.sli.error_ratio_query = *q;
      }
      // OpenSLO alerting lives in AlertPolicy documents; the standard page and
      // ticket alerts are generated, named after the SLO.
      spec.slos.push_back(std::move(s));
    }
  }
  if (spec.slos.empty()) return Fail(Error::Input(r.file() + ": no SLO document in this OpenSLO file"));
  return Ok();
}

}  // namespace

std::string Period::Label() const {
  switch (kind) {
    case Kind::kCalendarMonth: return "month";
    case Kind::kCalendarQuarter: return "quarter";
    case Kind::kRolling: break;
  }
  return FormatDuration(length);
}

TimePoint Period::Start(TimePoint now) const {
  using namespace std::chrono;
  if (kind == Kind::kRolling) return now - duration_cast<nanoseconds>(length);
  year_month_day ymd{floor<days>(now)};
  unsigned m = static_cast<unsigned>(ymd.month());
  if (kind == Kind::kCalendarQuarter) m = (m - 1) / 3 * 3 + 1;
  return TimePoint(sys_days(ymd.year() / month(m) / day(1)));
}

Result<Seconds> ParseDuration(const std::string& text) {
  if (text.size() < 2) return Fail(Error::Input("invalid duration '" + text + "' (e.g. 5m, 1h, 30d)"));
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = kDay; break;
    case 'w': unit = 7 * kDay; break;
    default: return Fail(Error::Input("invalid duration '" + text + "' (units s, m, h, d, w)"));
  }
  std::int64_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9' || n > 100000000) return Fail(Error::Input("invalid duration '" + text + "' (e.g. 5m, 1h, 30d)"));
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return Fail(Error::Input("duration '" + text + "' must be positive"));
  return Seconds(n * unit);
}

Result<Period> ParsePeriod(const std::string& text) {
  if (text == "month") return Period{Period::Kind::kCalendarMonth, Seconds(30 * kDay)};
  if (text == "quarter") return Period{Period::Kind::kCalendarQuarter, Seconds(90 * kDay)};
  auto d = ParseDuration(text);
  if (!d) return Fail(Error::Input("invalid SLO period '" + text + "' (e.g. 30d, 28d, 7d, month, quarter)"));
  if (*d < Seconds(kDay) || *d > Seconds(400 * kDay))
    return Fail(Error::Input("SLO period '" + text + "' must be between 1d and 400d"));
  return Period{Period::Kind::kRolling, *d};
}

double Slo::ErrorBudget() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", 1.0 - objective / 100.0);
  return std::strtod(buf, nullptr);
}

namespace {

constexpr std::size_t kMaxSpecBytes = std::size_t{4} << 20;

Result<Spec> ParseSpecUnchecked(const std::string& text, const std::string& file) {
  auto docs = yaml::ParseStream(text, file);  // OpenSLO files hold several documents
  if (!docs) return Fail(docs.error());
  const yaml::Reader r(file);
  Spec spec;
  spec.path = file;
  std::vector<YAML::Node> openslo_v1;
  for (const auto& d : *docs) {
    const YAML::Node& doc = d.root;
    if (!doc.IsMap()) return Fail(r.Bad(doc, "an SLO spec document must be a mapping"));
    if (doc["version"]) {
      if (!doc["version"].IsScalar() || doc["version"].Scalar() != "prometheus/v1")
        return Fail(r.Bad(doc["version"], "unsupported spec version '" + (doc["version"].IsScalar() ? doc["version"].Scalar() : std::string("?")) +
                                              "' (prometheus/v1, sloth.slok.dev/v1, openslo/v1alpha, openslo/v1)"));
      TG_TRY(ParseSloth(r, doc, false, spec));
    } else if (doc["apiVersion"] && doc["apiVersion"].IsScalar()) {
      const std::string& api = doc["apiVersion"].Scalar();
      if (api == "sloth.slok.dev/v1") {
        TG_TRY(ParseSloth(r, doc, true, spec));
      } else if (api == "openslo/v1alpha") {
        TG_TRY(ParseOpenSloV1alpha(r, doc, spec));
      } else if (api == "openslo/v1") {
        openslo_v1.push_back(doc);
      } else {
        return Fail(r.Bad(doc["apiVersion"], "unsupported apiVersion '" + api + "' (sloth.slok.dev/v1, openslo/v1alpha, openslo/v1)"));
      }
    } else {
      return Fail(r.Bad(doc, "not an SLO spec: expected 'version: prometheus/v1' or an OpenSLO 'apiVersion'"));
    }
  }
  if (!openslo_v1.empty()) TG_TRY(ParseOpenSloV1(r, openslo_v1, spec));
  if (spec.slos.empty()) return Fail(Error::Input(file + ": the file holds no SLO"));
  std::map<std::string, int> seen;
  for (const auto& s : spec.slos)
    if (++seen[s.Id()] > 1) return Fail(Error::Input(file + ": SLO '" + s.Id() + "' is defined twice"));
  return spec;
}

}  // namespace

Result<Spec> ParseSpec(const std::string& text, const std::string& file) {
  // yaml-cpp throws on some shapes the readers do not check one by one (a
  // subscript of a scalar deep inside an OpenSLO document).
  return yaml::Guarded(file, [&] { return ParseSpecUnchecked(text, file); });
}

Result<Spec> LoadSpec(const std::string& path) {
  auto text = yaml::ReadFile(path, kMaxSpecBytes, "SLO spec");
  if (!text) return Fail(text.error());
  auto spec = ParseSpec(*text, path);
  if (!spec) return spec;
  // Data paths in the spec are relative to the spec's directory.
  if (!spec->source.data.empty() && std::filesystem::path(spec->source.data).is_relative())
    spec->source.data = (std::filesystem::path(path).parent_path() / spec->source.data).lexically_normal().string();
  return spec;
}

}  // namespace tollgate::slo
