#include "app.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace httpbench {
namespace {

// A JSON object of about `bytes` bytes: {"kind":..,"generation":N,"rows":[{"service":"svc-i","value":i},...]}.
std::string json_of_size(const char* kind, std::uint64_t generation, std::size_t bytes) {
  nlohmann::json doc = {{"kind", kind}, {"generation", generation}, {"rows", nlohmann::json::array()}};
  for (int i = 0; doc.dump().size() + 40 < bytes; ++i) {
    doc["rows"].push_back({{"service", "svc-" + std::to_string(i)}, {"value", i * 7}});
  }
  return doc.dump();
}

// The string at `key` of an object, or "" (never throws on untrusted input, unlike json::value).
std::string str_at(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Reply error(int status, const std::string& message) { return {status, nlohmann::json{{"error", message}}.dump()}; }

void exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string what = std::string(sql) + ": " + (msg ? msg : "?");
    sqlite3_free(msg);
    throw std::runtime_error(what);
  }
}

}  // namespace

bool parse_options(int argc, char** argv, Options& out) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--guard") {
      out.guard = true;
      continue;
    }
    if (flag == "--no-nodelay") {
      out.nodelay = false;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", argv[0], flag.c_str());
      return false;
    }
    const char* v = argv[++i];
    if (flag == "--port") {
      out.port = std::atoi(v);
    } else if (flag == "--db") {
      out.db = v;
    } else if (flag == "--threads") {
      out.threads = std::atoi(v);
    } else if (flag == "--max-body") {
      out.max_body = std::strtoull(v, nullptr, 10);
    } else if (flag == "--timeout") {
      out.timeout_s = std::atoi(v);
    } else if (flag == "--blocking") {
      out.blocking = std::atoi(v);
    } else if (flag == "--keepalive-max") {
      out.keepalive_max = std::atoi(v);
    } else {
      std::fprintf(stderr,
                   "usage: %s --port N [--db PATH] [--threads N] [--max-body BYTES] [--timeout S] "
                   "[--blocking N] [--keepalive-max N] [--guard] [--no-nodelay]\n",
                   argv[0]);
      return false;
    }
  }
  return out.port > 0;
}

App::App(const std::string& db_path)
    : static_body_(json_of_size("static", 0, 2048)), report_(json_of_size("report", 0, 2048)) {
  if (sqlite3_open(db_path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + db_path);
  exec(db_, "PRAGMA journal_mode=WAL");
  exec(db_, "PRAGMA synchronous=FULL");
  exec(db_,
       "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, type TEXT NOT NULL, time TEXT NOT NULL, "
       "service TEXT, body TEXT NOT NULL)");
  if (sqlite3_prepare_v2(db_, "INSERT INTO events(type, time, service, body) VALUES(?,?,?,?)", -1, &insert_, nullptr) !=
      SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db_));
  }
  refresher_ = std::thread([this] { refresh_loop(); });
}

App::~App() {
  stop_ = true;
  refresher_.join();
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

void App::refresh_loop() {
  for (std::uint64_t gen = 1; !stop_; ++gen) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string next = json_of_size("report", gen, 2048);
    std::unique_lock lock(report_mu_);
    report_.swap(next);
  }
}

std::string App::report() const {
  std::shared_lock lock(report_mu_);
  return report_;
}

Reply App::events(std::string_view body) {
  struct Row {
    std::string type, time, service;
    std::string_view line;
  };
  std::vector<Row> rows;
  std::size_t line_no = 0;
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto ev = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_discarded() || !ev.is_object())
      return error(400, "line " + std::to_string(line_no) + ": not a JSON object");
    auto type = ev.find("type");
    auto time = ev.find("time");
    if (type == ev.end() || !type->is_string() || time == ev.end() || !time->is_string()) {
      return error(400, "line " + std::to_string(line_no) + ": type and time must be strings");
    }
    rows.push_back({type->get<std::string>(), time->get<std::string>(), str_at(ev, "service"), line});
  }
  if (rows.empty()) return error(400, "no events");

  std::lock_guard lock(db_mu_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return error(503, "busy");
  for (const Row& r : rows) {
    sqlite3_bind_text(insert_, 1, r.type.data(), static_cast<int>(r.type.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 2, r.time.data(), static_cast<int>(r.time.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 3, r.service.data(), static_cast<int>(r.service.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 4, r.line.data(), static_cast<int>(r.line.size()), SQLITE_STATIC);
    int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return error(503, sqlite3_errmsg(db_));
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return error(503, "commit failed");
  }
  acked_ += rows.size();
  return {202, nlohmann::json{{"accepted", rows.size()}}.dump()};
}

Reply App::admission(std::string_view body) const {
  auto review = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded() || !review.is_object()) return error(400, "not a JSON object");
  if (str_at(review, "apiVersion") != "admission.k8s.io/v1" || str_at(review, "kind") != "AdmissionReview") {
    return error(400, "not an admission.k8s.io/v1 AdmissionReview");
  }
  const auto& req = review["request"];
  if (!req.is_object() || !req.contains("uid") || !req["uid"].is_string()) return error(400, "request.uid missing");
  bool allowed = true;
  std::string message;
  const nlohmann::json* containers = nullptr;
  if (req.contains("object") && req["object"].is_object() && req["object"].contains("spec") &&
      req["object"]["spec"].is_object() && req["object"]["spec"].contains("containers")) {
    containers = &req["object"]["spec"]["containers"];
  }
  if (containers != nullptr && containers->is_array()) {
    for (const auto& c : *containers) {
      if (!c.is_object()) continue;
      auto sc = c.find("securityContext");
      if (sc != c.end() && sc->is_object() && sc->contains("privileged") && (*sc)["privileged"] == true) {
        allowed = false;
        message = "container " + str_at(c, "name") + " is privileged";
      }
    }
  }
  nlohmann::json response = {{"uid", req["uid"]}, {"allowed", allowed}};
  if (!allowed) response["status"] = {{"code", 403}, {"message", message}};
  return {200,
          nlohmann::json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", response}}
              .dump()};
}

std::int64_t App::stored_events() {
  std::lock_guard lock(db_mu_);
  sqlite3_stmt* st = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM events", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return n;
}

long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace httpbench
