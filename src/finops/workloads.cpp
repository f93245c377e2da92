// Workload manifests for right-sizing (docs/finops.md "Right-sizing"):
// Deployments, StatefulSets, DaemonSets and the HPAs that scale them, read
// strictly with core/yaml.h; Kubernetes quantities.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/yaml.h"
#include "finops/rightsize.h"

namespace tollgate::finops {
namespace {

constexpr std::size_t kMaxManifestBytes = std::size_t{32} << 20;

const YAML::Node* Child(const YAML::Node& map, const char* key, YAML::Node& slot) {
  if (!map.IsMap()) return nullptr;
  slot = map[key];
  return slot.IsDefined() && !slot.IsNull() ? &slot : nullptr;
}

Result<YAML::Node> Mapping(const yaml::Reader& r, const YAML::Node& parent, const char* key, const std::string& what,
                           bool required) {
  YAML::Node n = parent[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) return Fail(r.Bad(parent, what + " has no '" + key + "'"));
    return YAML::Node(YAML::NodeType::Null);
  }
  if (!n.IsMap()) return Fail(r.Bad(n, what + "." + key + " must be a mapping, not " + yaml::KindName(n)));
  return n;
}

Status ReadResources(const yaml::Reader& r, const YAML::Node& res, const std::string& what, ContainerSpec& c) {
  if (!res.IsDefined() || res.IsNull()) return Ok();
  if (!res.IsMap()) return Fail(r.Bad(res, what + " must be a mapping"));
  for (const char* part : {"requests", "limits"}) {
    YAML::Node m = res[part];
    if (!m.IsDefined() || m.IsNull()) continue;
    if (!m.IsMap()) return Fail(r.Bad(m, what + "." + part + " must be a mapping"));
    ResourceValues& v = std::string(part) == "requests" ? c.requests : c.limits;
    for (const auto& kv : m) {
      const std::string key = kv.first.Scalar();
      if (key != "cpu" && key != "memory") continue;  // ephemeral-storage, extended resources
      auto text = r.String(kv.second, what + "." + part + "." + key);
      if (!text) return Fail(text.error());
      auto q = ParseQuantity(*text);
      if (!q) return Fail(r.Bad(kv.second, what + "." + part + "." + key + ": '" + *text + "' is not a Kubernetes quantity"));
      if (key == "cpu") {
        v.cpu_millis = static_cast<std::int64_t>(std::ceil(*q * 1000 - 1e-9));
        v.cpu_text = *text;
      } else {
        v.memory_bytes = static_cast<std::int64_t>(std::ceil(*q - 1e-6));
        v.memory_text = *text;
      }
    }
  }
  return Ok();
}

Status ReadWorkload(const yaml::Reader& r, const yaml::Document& d, const std::string& kind, std::vector<Workload>& out) {
  const YAML::Node& root = d.root;
  Workload w;
  w.kind = kind;
  w.file = r.file();
  w.line = d.start.line + 1;
  auto meta = Mapping(r, root, "metadata", kind, true);
  if (!meta) return Fail(meta.error());
  auto name = r.String((*meta)["name"], kind + " metadata.name");
  if (!name) return Fail(r.Bad(*meta, kind + " has no metadata.name"));
  w.name = *name;
  const std::string what = kind + " " + w.name;
  w.ns = "default";
  if (YAML::Node ns = (*meta)["namespace"]; ns.IsDefined() && !ns.IsNull()) {
    auto s = r.String(ns, what + " metadata.namespace");
    if (!s) return Fail(s.error());
    w.ns = *s;
  }
  auto spec = Mapping(r, root, "spec", what, true);
  if (!spec) return Fail(spec.error());
  if (YAML::Node rep = (*spec)["replicas"]; kind != "DaemonSet" && rep.IsDefined() && !rep.IsNull()) {
    auto n = r.Int(rep, what + " spec.replicas");
    if (!n) return Fail(n.error());
    if (*n < 0) return Fail(r.Bad(rep, what + " spec.replicas is negative"));
    w.replicas = *n;
  }
  auto tmpl = Mapping(r, *spec, "template", what + " spec", true);
  if (!tmpl) return Fail(tmpl.error());
  auto pod = Mapping(r, *tmpl, "spec", what + " spec.template", true);
  if (!pod) return Fail(pod.error());
  YAML::Node containers = (*pod)["containers"];
  if (!containers.IsDefined() || !containers.IsSequence() || containers.size() == 0)
    return Fail(r.Bad(containers.IsDefined() ? containers : *pod, what + " spec.template.spec.containers must be a non-empty list"));
  for (const auto& c : containers) {
    if (!c.IsMap()) return Fail(r.Bad(c, what + ": a container must be a mapping"));
    ContainerSpec cs;
    auto cname = r.String(c["name"], what + " container name");
    if (!cname) return Fail(r.Bad(c, what + ": a container has no name"));
    cs.name = *cname;
    TG_TRY(ReadResources(r, c["resources"], what + " container " + cs.name + " resources", cs));
    w.containers.push_back(std::move(cs));
  }
  out.push_back(std::move(w));
  return Ok();
}

// An HPA becomes a pseudo-workload of kind "HorizontalPodAutoscaler" that
// LoadManifests attaches to its target and drops.
Status ReadHpa(const yaml::Reader& r, const yaml::Document& d, std::vector<Workload>& out) {
  const YAML::Node& root = d.root;
  auto meta = Mapping(r, root, "metadata", "HorizontalPodAutoscaler", true);
  if (!meta) return Fail(meta.error());
  auto name = r.String((*meta)["name"], "HorizontalPodAutoscaler metadata.name");
  if (!name) return Fail(name.error());
  const std::string what = "HorizontalPodAutoscaler " + *name;
  Workload h;
  h.kind = "HorizontalPodAutoscaler";
  h.file = r.file();
  h.line = d.start.line + 1;
  h.ns = "default";
  if (YAML::Node ns = (*meta)["namespace"]; ns.IsDefined() && !ns.IsNull()) {
    auto s = r.String(ns, what + " metadata.namespace");
    if (!s) return Fail(s.error());
    h.ns = *s;
  }
  auto spec = Mapping(r, root, "spec", what, true);
  if (!spec) return Fail(spec.error());
  auto ref = Mapping(r, *spec, "scaleTargetRef", what + " spec", true);
  if (!ref) return Fail(ref.error());
  auto tkind = r.String((*ref)["kind"], what + " spec.scaleTargetRef.kind");
  if (!tkind) return Fail(tkind.error());
  auto tname = r.String((*ref)["name"], what + " spec.scaleTargetRef.name");
  if (!tname) return Fail(tname.error());
  h.name = *tkind + "/" + *tname;  // the target
  h.hpa = *name;
  YAML::Node metrics = (*spec)["metrics"];
  if (metrics.IsDefined() && !metrics.IsNull()) {
    if (!metrics.IsSequence()) return Fail(r.Bad(metrics, what + " spec.metrics must be a list"));
    for (const auto& m : metrics) {
      if (!m.IsMap()) return Fail(r.Bad(m, what + ": a metric must be a mapping"));
      for (const char* key : {"resource", "containerResource"}) {
        YAML::Node slot;
        if (const YAML::Node* res = Child(m, key, slot); res && res->IsMap()) {
          auto rname = r.String((*res)["name"], what + " metric resource name");
          if (!rname) return Fail(rname.error());
          if (*rname == "cpu") h.hpa_cpu = true;
          if (*rname == "memory") h.hpa_memory = true;
        }
      }
    }
  } else {
    // autoscaling/v1 (targetCPUUtilizationPercentage), or v2 without
    // metrics: both scale on CPU (80% by default).
    h.hpa_cpu = true;
  }
  out.push_back(std::move(h));
  return Ok();
}

}  // namespace

std::optional<double> ParseQuantity(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  static const std::pair<const char*, double> kSuffixes[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}, {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3},
      {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}};
  double mult = 1;
  std::string_view num = text;
  for (const auto& [suffix, m] : kSuffixes) {
    const std::string_view s = suffix;
    if (num.size() > s.size() && num.substr(num.size() - s.size()) == s) {
      num.remove_suffix(s.size());
      mult = m;
      break;
    }
  }
  // digits [. digits] [e|E [sign] digits], optional leading '+'
  std::size_t i = 0;
  if (i < num.size() && num[i] == '+') ++i;
  const std::size_t digits_from = i;
  bool any = false;
  while (i < num.size() && std::isdigit(static_cast<unsigned char>(num[i]))) ++i, any = true;
  if (i < num.size() && num[i] == '.') {
    ++i;
    while (i < num.size() && std::isdigit(static_cast<unsigned char>(num[i]))) ++i, any = true;
  }
  if (!any) return std::nullopt;
  if (i < num.size() && (num[i] == 'e' || num[i] == 'E')) {
    if (mult != 1) return std::nullopt;  // "1e3Mi" is not a quantity
    ++i;
    if (i < num.size() && (num[i] == '+' || num[i] == '-')) ++i;
    bool exp_digits = false;
    while (i < num.size() && std::isdigit(static_cast<unsigned char>(num[i]))) ++i, exp_digits = true;
    if (!exp_digits) return std::nullopt;
  }
  if (i != num.size()) return std::nullopt;
  const std::string s(num.substr(digits_from));
  const double v = std::strtod(s.c_str(), nullptr) * mult;
  if (!std::isfinite(v) || v > 1e18) return std::nullopt;
  return v;
}

std::string FormatMillicores(std::int64_t millis) {
  if (millis % 1000 == 0) return std::to_string(millis / 1000);
  return std::to_string(millis) + "m";
}

std::string FormatBytes(std::int64_t bytes) {
  constexpr std::int64_t kMi = 1 << 20, kGi = std::int64_t{1} << 30;
  if (bytes != 0 && bytes % kGi == 0) return std::to_string(bytes / kGi) + "Gi";
  if (bytes % kMi == 0) return std::to_string(bytes / kMi) + "Mi";
  return std::to_string(bytes);
}

Status ParseManifests(std::string_view text, const std::string& file, std::vector<Workload>& out) {
  auto docs = yaml::ParseStream(text, file);
  if (!docs) return Fail(docs.error());
  const yaml::Reader r(file);
  for (const auto& d : *docs) {
    TG_TRY(yaml::Guarded(file, [&]() -> Status {
      if (!d.root.IsMap()) return Fail(r.Bad(d.root, std::string("a manifest must be a mapping, not ") + yaml::KindName(d.root)));
      YAML::Node k = d.root["kind"];
      if (!k.IsDefined() || !k.IsScalar()) return Ok();  // not a Kubernetes object we read (kustomization.yaml ...)
      const std::string kind = k.Scalar();
      if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet") return ReadWorkload(r, d, kind, out);
      if (kind == "HorizontalPodAutoscaler") return ReadHpa(r, d, out);
      return Ok();
    }));
  }
  return Ok();
}

Result<std::vector<Workload>> LoadManifests(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string ext = it->path().extension().string();
      if (ext == ".yaml" || ext == ".yml") files.push_back(it->path().string());
    }
    if (ec) return Fail(Error::Io("--manifests " + path + ": " + ec.message()));
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return Fail(Error::NotFound("--manifests " + path + ": no such file or directory"));
  }
  std::vector<Workload> all;
  for (const auto& f : files) {
    auto text = yaml::ReadFile(f, kMaxManifestBytes, "manifest");
    if (!text) return Fail(text.error());
    TG_TRY(ParseManifests(*text, f, all));
  }
  std::vector<Workload> workloads, hpas;
  for (auto& w : all) (w.kind == "HorizontalPodAutoscaler" ? hpas : workloads).push_back(std::move(w));
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    auto [it, fresh] = seen.emplace(workloads[i].Id(), i);
    if (!fresh)
      return Fail(Error::Input(workloads[i].file + ":" + std::to_string(workloads[i].line) + ": " + workloads[i].kind + " " +
                               workloads[i].ns + "/" + workloads[i].name + " is also defined at " +
                               workloads[it->second].file + ":" + std::to_string(workloads[it->second].line)));
  }
  for (const auto& h : hpas) {
    auto slash = h.name.find('/');
    auto it = seen.find(h.ns + "/" + h.name.substr(0, slash) + "/" + h.name.substr(slash + 1));
    if (it == seen.end()) continue;  // scales something not among the manifests
    Workload& w = workloads[it->second];
    w.hpa = h.hpa;
    w.hpa_cpu = w.hpa_cpu || h.hpa_cpu;
    w.hpa_memory = w.hpa_memory || h.hpa_memory;
  }
  if (workloads.empty())
    return Fail(Error::Input("--manifests " + path + ": no Deployment, StatefulSet or DaemonSet found"));
  return workloads;
}

}  // namespace tollgate::finops
