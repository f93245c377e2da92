// `tollgate event import`: JSON Lines, CSV and provider webhook payloads.
#include <fstream>
#include <sstream>

#include "delivery/delivery.h"
#include "delivery/webhooks.h"

namespace tollgate::delivery {
namespace {

std::string Where(const std::string& file, std::size_t line) { return file + ":" + std::to_string(line); }

// ParseJson of one line reports "file:1:col"; name the real line instead.
Error RelineError(const Error& e, const std::string& file, std::size_t line) {
  std::string msg = e.message();
  std::string prefix = file + ":1:";
  if (msg.rfind(prefix, 0) == 0) msg = Where(file, line) + ":" + msg.substr(prefix.size());
  return Error::Input(msg);
}

template <typename Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  std::size_t lineno = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    TG_TRY(fn(line, lineno));
  }
  return Ok();
}

Status ReadJsonLines(std::string_view text, const std::string& file, ImportResult& out) {
  return ForEachLine(text, [&](std::string_view line, std::size_t lineno) -> Status {
    auto j = ParseJson(line, file);
    if (!j) return Fail(RelineError(j.error(), file, lineno));
    auto e = EventFromJson(*j, Where(file, lineno));
    if (!e) return Fail(e.error());
    out.events.push_back(std::move(*e));
    out.wheres.push_back(Where(file, lineno));
    return Ok();
  });
}

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line
// breaks. `line` of each record is where it starts.
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, const std::string& file) {
  std::vector<CsvRecord> out;
  std::size_t i = 0, line = 1;
  while (i < text.size()) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) return Fail(Error::Input(Where(file, rec.line) + ": unterminated quoted field"));
          char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          return Fail(Error::Input(Where(file, line) + ": text after a closing quote"));
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') return Fail(Error::Input(Where(file, line) + ": a quote inside an unquoted field"));
          field += text[i++];
        }
      }
      rec.fields.push_back(field);
      if (i >= text.size()) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        if (text[i] == '\r') ++i;
        if (i < text.size() && text[i] == '\n') ++i;
        ++line;
        end_of_record = true;
      }
    }
    bool blank = rec.fields.size() == 1 && rec.fields[0].find_first_not_of(" \t") == std::string::npos;
    if (!blank) out.push_back(std::move(rec));
  }
  return out;
}

// Columns: type,id,service,env,commit,status,time,action,caused_by,changes;
// the header names them in any order. `changes` is "sha@RFC3339" items
// separated by ';' (empty: unknown).
Status ReadCsv(std::string_view text, const std::string& file, ImportResult& out) {
  auto records = ParseCsv(text, file);
  if (!records) return Fail(records.error());
  if (records->empty()) return Ok();
  static const std::vector<std::string> kColumns = {"type",   "id",     "service",   "env",     "commit", "status",
                                                    "time",   "action", "caused_by", "changes", "ref"};
  const CsvRecord& header = (*records)[0];
  std::vector<std::string> cols;
  for (const auto& h : header.fields) {
    std::string name = h;
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end())
      return Fail(Error::Input(Where(file, header.line) + ": unknown column \"" + name +
                               "\" (expected a header of: type,id,service,env,commit,status,time,action,caused_by,changes,ref)"));
    if (std::find(cols.begin(), cols.end(), name) != cols.end())
      return Fail(Error::Input(Where(file, header.line) + ": column \"" + name + "\" appears twice"));
    cols.push_back(name);
  }
  if (std::find(cols.begin(), cols.end(), "type") == cols.end())
    return Fail(Error::Input(Where(file, header.line) + ": the header must name a \"type\" column"));
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& rec = (*records)[r];
    std::string where = Where(file, rec.line);
    if (rec.fields.size() != cols.size())
      return Fail(Error::Input(where + ": " + std::to_string(rec.fields.size()) + " fields, the header has " +
                               std::to_string(cols.size())));
    Json j = Json::object();
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const std::string& v = rec.fields[c];
      if (v.empty()) continue;
      if (cols[c] == "changes") {
        Json a = Json::array();
        std::size_t p = 0;
        while (p <= v.size()) {
          std::size_t semi = v.find(';', p);
          std::string item = v.substr(p, semi == std::string::npos ? std::string::npos : semi - p);
          p = semi == std::string::npos ? v.size() + 1 : semi + 1;
          if (item.find_first_not_of(' ') == std::string::npos) continue;
          auto at = item.find('@');
          if (at == std::string::npos || at == 0)
            return Fail(Error::Input(where + ": changes item \"" + item + "\" is not commit@time"));
          a.push_back(Json{{"commit", item.substr(0, at)}, {"time", item.substr(at + 1)}});
        }
        j["changes"] = std::move(a);
      } else {
        j[cols[c]] = v;
      }
    }
    auto e = EventFromJson(j, where);
    if (!e) return Fail(e.error());
    out.events.push_back(std::move(*e));
    out.wheres.push_back(where);
  }
  return Ok();
}

// A provider file holds one payload (pretty-printed JSON) or one per line.
Result<std::vector<std::pair<Json, std::size_t>>> ReadPayloads(std::string_view text, const std::string& file) {
  std::vector<std::pair<Json, std::size_t>> out;
  auto whole = ParseJson(text, file);
  if (whole) {
    out.emplace_back(std::move(*whole), 1);
    return out;
  }
  // Not one document: JSON Lines of payloads, or a broken file.
  std::size_t lines = 0;
  for (char c : text) lines += (c == '\n');
  if (lines <= 1) return Fail(whole.error());
  Error first_error = whole.error();
  bool any = false;
  Status s = ForEachLine(text, [&](std::string_view line, std::size_t lineno) -> Status {
    auto j = ParseJson(line, file);
    if (!j) return Fail(any || lineno > 1 ? RelineError(j.error(), file, lineno) : first_error);
    any = true;
    out.emplace_back(std::move(*j), lineno);
    return Ok();
  });
  if (!s) return Fail(s.error());
  return out;
}

}  // namespace

Result<ImportFormat> ParseImportFormat(std::string_view name) {
  if (name.empty() || name == "auto") return ImportFormat::kAuto;
  if (name == "jsonl" || name == "json") return ImportFormat::kJsonLines;
  if (name == "csv") return ImportFormat::kCsv;
  if (name == "github") return ImportFormat::kGithub;
  if (name == "gitlab") return ImportFormat::kGitlab;
  if (name == "pagerduty") return ImportFormat::kPagerDuty;
  return Fail(Error::Input("unknown import format \"" + std::string(name) +
                           "\" (expected jsonl, csv, github, gitlab or pagerduty)"));
}

Result<ImportResult> ReadImportText(std::string_view text, const std::string& file, const ImportOptions& opts) {
  ImportResult out;
  ImportFormat format = opts.format;
  if (format == ImportFormat::kAuto) {
    bool csv = file.size() >= 4 && file.compare(file.size() - 4, 4, ".csv") == 0;
    format = csv ? ImportFormat::kCsv : ImportFormat::kJsonLines;
  }
  switch (format) {
    case ImportFormat::kJsonLines: TG_TRY(ReadJsonLines(text, file, out)); break;
    case ImportFormat::kCsv: TG_TRY(ReadCsv(text, file, out)); break;
    case ImportFormat::kGithub:
    case ImportFormat::kGitlab:
    case ImportFormat::kPagerDuty: {
      auto payloads = ReadPayloads(text, file);
      if (!payloads) return Fail(payloads.error());
      Provider p = format == ImportFormat::kGithub   ? Provider::kGithub
                   : format == ImportFormat::kGitlab ? Provider::kGitlab
                                                     : Provider::kPagerDuty;
      for (const auto& [payload, line] : *payloads) {
        auto mapped = EventsFromPayload(p, payload, Where(file, line));
        if (!mapped) return Fail(mapped.error());
        for (auto& e : mapped->events) {
          out.events.push_back(std::move(e));
          out.wheres.push_back(Where(file, line));
        }
        for (auto& n : mapped->notes) out.notes.push_back(std::move(n));
      }
      break;
    }
    case ImportFormat::kAuto: break;
  }
  if (!opts.service.empty()) {
    for (auto& e : out.events) {
      if (e.kind == Event::Kind::kDeploy) e.deploy.service = opts.service;
      else if (e.kind == Event::Kind::kChange) e.change.service = opts.service;
      else e.incident.service = opts.service;
    }
  }
  return out;
}

Result<ImportResult> ReadImportFile(const std::string& path, const ImportOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Fail(Error::Io(path + ": cannot read"));
  return ReadImportText(ss.str(), path, opts);
}

}  // namespace tollgate::delivery
