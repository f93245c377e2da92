#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include "server/client.h"

#include <httplib.h>

namespace tollgate::server {
namespace {

Result<Json> Post(const Remote& remote, const std::string& path, const std::string& body, const std::string& type) {
  if (remote.url.rfind("http://", 0) != 0 && remote.url.rfind("https://", 0) != 0)
    return Fail(Error::Input("--server " + remote.url + ": expected http://HOST:PORT or https://HOST:PORT"));
  if (remote.token.empty()) return Fail(Error::Input("--server needs a token: set TOLLGATE_TOKEN"));
  std::string base = remote.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  httplib::Client cli(base);
  cli.set_connection_timeout(10, 0);
  cli.set_read_timeout(300, 0);
  cli.set_write_timeout(60, 0);
  if (!remote.ca_file.empty()) cli.set_ca_cert_path(remote.ca_file.c_str());
  cli.enable_server_certificate_verification(true);
  httplib::Headers headers{{"Authorization", "Bearer " + remote.token}};
  auto res = cli.Post(path.c_str(), headers, body, type.c_str());
  if (!res) return Fail(Error::Io(base + path + ": " + httplib::to_string(res.error())));
  auto j = ParseJson(res->body, base + path);
  std::string why = j && j->is_object() && j->contains("error") && (*j)["error"].is_string()
                        ? (*j)["error"].get<std::string>()
                        : res->body.substr(0, 200);
  if (res->status == 401 || res->status == 403)
    return Fail(Error::Input(base + path + ": HTTP " + std::to_string(res->status) + ": " + why));
  if (res->status >= 400 && res->status < 500)
    return Fail(Error::Input(base + path + ": HTTP " + std::to_string(res->status) + ": " + why));
  if (res->status == 503) return Fail(Error::Integrity(base + path + ": HTTP 503: " + why));
  if (res->status >= 300) return Fail(Error::Io(base + path + ": HTTP " + std::to_string(res->status) + ": " + why));
  if (!j) return Fail(j.error());
  return *j;
}

}  // namespace

Result<RemoteGateRun> SubmitGateRun(const Remote& remote, const gate::Config& config, const gate::Submission& s) {
  Json gates = Json::object();
  for (std::size_t i = 0; i < config.gates.size() && i < s.findings.size(); ++i) {
    Json list = Json::array();
    for (const auto& f : s.findings[i]) list.push_back(ToJson(f));
    gates[config.gates[i].name] = std::move(list);
  }
  std::string author = s.author.name;
  if (!s.author.email.empty()) author += (author.empty() ? "" : " ") + std::string("<") + s.author.email + ">";
  Json body{{"service", s.service.empty() ? config.service : s.service},
            {"commit", s.commit},
            {"author", author},
            {"repository", s.repository},
            {"branch", s.branch},
            {"gates", gates}};
  auto j = Post(remote, "/api/v1/gate-runs", body.dump(), "application/json");
  if (!j) return Fail(j.error());
  RemoteGateRun out;
  if (!j->contains("report")) return Fail(Error::Io(remote.url + ": the answer carries no report"));
  auto report = ReportFromJson((*j)["report"]);
  if (!report) return Fail(report.error());
  out.report = std::move(*report);
  out.blocked = j->value("decision", "blocked") != "pass";
  if (j->contains("ledger") && (*j)["ledger"].is_object()) {
    out.first = (*j)["ledger"].value("first", std::uint64_t{0});
    out.last = (*j)["ledger"].value("last", std::uint64_t{0});
  }
  return out;
}

Result<RemoteEvents> PostEvents(const Remote& remote, const std::string& jsonl) {
  auto j = Post(remote, "/api/v1/events", jsonl, "application/x-ndjson");
  if (!j) return Fail(j.error());
  RemoteEvents out;
  out.recorded = j->value("recorded", std::uint64_t{0});
  if (j->contains("ledger") && (*j)["ledger"].is_object()) {
    out.first = (*j)["ledger"].value("first", std::uint64_t{0});
    out.last = (*j)["ledger"].value("last", std::uint64_t{0});
  }
  return out;
}

}  // namespace tollgate::server
