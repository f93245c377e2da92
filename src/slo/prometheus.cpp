// SLI samples from the Prometheus HTTP API (`/api/v1/query_range`).
#include <cmath>
#include <cstdio>
#include <map>

#include <httplib.h>

#include "slo/slo.h"

namespace tollgate::slo {
namespace {

class HttplibGetter final : public HttpGetter {
 public:
  Result<std::string> Get(const std::string& base_url, const std::string& path_and_query) override {
    // base_url: http://host[:port][/prefix]
    const std::string scheme = "http://";
    if (base_url.rfind(scheme, 0) != 0)
      return Fail(Error::Input("--prometheus: only http:// URLs are supported, got '" + base_url + "'"));
    std::string rest = base_url.substr(scheme.size());
    std::string prefix;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      prefix = rest.substr(slash);
      rest = rest.substr(0, slash);
    }
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    std::string host = rest;
    int port = 80;
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
      host = rest.substr(0, colon);
      try {
        port = std::stoi(rest.substr(colon + 1));
      } catch (const std::exception&) {
        return Fail(Error::Input("--prometheus: bad port in '" + base_url + "'"));
      }
      if (port <= 0 || port > 65535) return Fail(Error::Input("--prometheus: bad port in '" + base_url + "'"));
    }
    if (host.empty()) return Fail(Error::Input("--prometheus: no host in '" + base_url + "'"));
    httplib::Client cli(host, port);
    cli.set_connection_timeout(5, 0);
    cli.set_read_timeout(30, 0);
    auto res = cli.Get(prefix + path_and_query);
    if (!res) return Fail(Error::Io("Prometheus at " + base_url + ": " + httplib::to_string(res.error())));
    if (res->status != 200) {
      std::string body = res->body.substr(0, 300);
      return Fail(Error::Input("Prometheus at " + base_url + " answered HTTP " + std::to_string(res->status) + ": " + body));
    }
    return res->body;
  }
};

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Substitute(std::string q, Seconds window) {
  const std::string w = FormatDuration(window);
  for (const char* pat : {"{{.window}}", "{{ .window }}"}) {
    const std::string p = pat;
    for (std::size_t pos = q.find(p); pos != std::string::npos; pos = q.find(p, pos + w.size())) q.replace(pos, p.size(), w);
  }
  return q;
}

double UnixSeconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The sum over all series of a matrix, per timestamp (seconds).
Result<std::map<std::int64_t, double>> QueryRange(HttpGetter& http, const std::string& base, const std::string& query,
                                                  TimePoint from, TimePoint to, Seconds step) {
  auto body = QueryRangeBody(http, base, query, from, to, step);
  if (!body) return Fail(body.error());
  Json j;
  try {
    j = Json::parse(*body);
  } catch (const std::exception& e) {
    return Fail(Error::Input("Prometheus answered something that is not JSON: " + std::string(e.what())));
  }
  if (!j.is_object() || j.value("status", "") != "success")
    return Fail(Error::Input("Prometheus query failed: " + (j.is_object() ? j.value("error", std::string("unknown error")) : std::string("bad answer"))));
  const Json* data = j.contains("data") ? &j["data"] : nullptr;
  if (!data || !data->is_object() || data->value("resultType", "") != "matrix" || !(*data)["result"].is_array())
    return Fail(Error::Input("Prometheus query_range answer is not a matrix"));
  std::map<std::int64_t, double> out;
  for (const auto& series : (*data)["result"]) {
    if (!series.is_object() || !series.contains("values") || !series["values"].is_array())
      return Fail(Error::Input("Prometheus matrix series without values"));
    for (const auto& p : series["values"]) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string())
        return Fail(Error::Input("Prometheus matrix value is not [time, \"value\"]"));
      const std::string& vs = p[1].get_ref<const std::string&>();
      char* end = nullptr;
      double v = std::strtod(vs.c_str(), &end);
      if (end != vs.c_str() + vs.size()) return Fail(Error::Input("Prometheus value '" + vs + "' is not a number"));
      if (!std::isfinite(v)) continue;  // NaN where nothing happened: no events
      out[static_cast<std::int64_t>(std::llround(p[0].get<double>()))] += v;
    }
  }
  return out;
}

}  // namespace

Result<std::string> QueryRangeBody(HttpGetter& http, const std::string& base_url, const std::string& query,
                                   TimePoint from, TimePoint to, Seconds step) {
  char range[128];
  std::snprintf(range, sizeof range, "&start=%.3f&end=%.3f&step=%lld", UnixSeconds(from), UnixSeconds(to),
                static_cast<long long>(step.count()));
  return http.Get(base_url, "/api/v1/query_range?query=" + UrlEncode(query) + range);
}

Seconds DefaultStep(TimePoint from, TimePoint to) {
  const auto span = std::chrono::duration_cast<Seconds>(to - from).count();
  std::int64_t step = 300;
  if (span / step > 10000) step = (span / 10000 + 59) / 60 * 60;
  return Seconds(step);
}

std::unique_ptr<HttpGetter> MakeHttpGetter() { return std::make_unique<HttplibGetter>(); }

Result<std::vector<Sample>> QueryPrometheus(HttpGetter& http, const std::string& base_url, const Slo& slo, TimePoint from,
                                            TimePoint to, Seconds step) {
  if (step.count() <= 0) return Fail(Error::Input("the query step must be positive"));
  if ((to - from) / step > 11000)
    return Fail(Error::Input("the range holds more than 11000 steps (Prometheus' limit): use a longer --step"));
  const double secs = static_cast<double>(step.count());
  std::vector<Sample> out;
  auto point = [](std::int64_t t) { return TimePoint(std::chrono::seconds(t)); };
  if (slo.sli.kind == Sli::Kind::kRaw) {
    auto ratio = QueryRange(http, base_url, Substitute(slo.sli.error_ratio_query, step), from, to, step);
    if (!ratio) return Fail(ratio.error());
    for (const auto& [t, r] : *ratio) {
      double e = std::min(1.0, std::max(0.0, r));
      out.push_back(Sample{point(t), 1 - e, 1});
    }
    return out;
  }
  auto total = QueryRange(http, base_url, Substitute(slo.sli.total_query, step), from, to, step);
  if (!total) return Fail(total.error());
  const bool good_kind = slo.sli.kind == Sli::Kind::kGoodTotal;
  auto other = QueryRange(http, base_url, Substitute(good_kind ? slo.sli.good_query : slo.sli.error_query, step), from, to, step);
  if (!other) return Fail(other.error());
  for (const auto& [t, rate] : *total) {
    double tot = std::max(0.0, rate * secs);
    auto it = other->find(t);
    double o = it == other->end() ? (good_kind ? tot : 0.0) : std::max(0.0, it->second * secs);
    double good = good_kind ? std::min(tot, o) : std::max(0.0, tot - std::min(tot, o));
    out.push_back(Sample{point(t), good, tot});
  }
  return out;
}

}  // namespace tollgate::slo
