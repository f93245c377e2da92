// `tollgate event import`: JSON Lines, CSV and provider webhook payloads.
// JSON Lines and CSV are read as they go (EventSource), so a file of any size
// is never held whole; webhook payloads are small and read whole.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/file.h"
#include "core/utf8.h"
#include "delivery/delivery.h"
#include "delivery/webhooks.h"

namespace tollgate::delivery {
namespace {

// The longest line or CSV record: the ledger refuses a larger event anyway.
constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;

std::string Where(const std::string& file, std::size_t line) { return file + ":" + std::to_string(line); }

// ParseJson of one line reports "file:1:col"; name the real line instead.
Error RelineError(const Error& e, const std::string& file, std::size_t line) {
  std::string msg = e.message();
  std::string prefix = file + ":1:";
  if (msg.rfind(prefix, 0) == 0) msg = Where(file, line) + ":" + msg.substr(prefix.size());
  return Error::Input(msg);
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Bytes of a file descriptor (read in chunks) or of a string in memory.
class Input {
 public:
  Input(int fd, std::string file) : fd_(fd), file_(std::move(file)) {}
  Input(std::string_view text, std::string file) : fd_(-1), file_(std::move(file)), view_(text), eof_(true) {}

  const std::string& file() const { return file_; }

  // Refills the buffer when it is used up; false at the end of input.
  Result<bool> More() {
    if (pos_ < view_.size()) return true;
    if (eof_) return false;
    chunk_.resize(kChunk);
    for (;;) {
      ssize_t n = ::read(fd_, chunk_.data(), chunk_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(Error::Io(file_ + ": cannot read: " + std::strerror(errno)));
      if (n == 0) {
        eof_ = true;
        view_ = {};
        pos_ = 0;
        return false;
      }
      view_ = std::string_view(chunk_.data(), static_cast<std::size_t>(n));
      pos_ = 0;
      return true;
    }
  }
  // The next byte, or -1 at the end.
  Result<int> Get() {
    if (pos_ >= view_.size()) {
      auto more = More();
      if (!more) return Fail(more.error());
      if (!*more) return -1;
    }
    return static_cast<unsigned char>(view_[pos_++]);
  }
  Result<int> Peek() {
    if (pos_ >= view_.size()) {
      auto more = More();
      if (!more) return Fail(more.error());
      if (!*more) return -1;
    }
    return static_cast<unsigned char>(view_[pos_]);
  }
  // The next line without its end ("\n" or "\r\n") in `line`, which is valid
  // until the next call; false at the end of input. `lineno` counts lines.
  Result<bool> Line(std::string_view& line, std::size_t& lineno) {
    carry_.clear();
    bool any = false;
    for (;;) {
      auto more = More();
      if (!more) return Fail(more.error());
      if (!*more) break;
      any = true;
      std::string_view rest = view_.substr(pos_);
      std::size_t nl = rest.find('\n');
      std::string_view piece = rest.substr(0, nl);
      if (carry_.size() + piece.size() > kMaxRecordBytes)
        return Fail(Error::Input(Where(file_, lineno + 1) + ": a line longer than 1 MiB (an event is at most 1 MiB)"));
      pos_ += piece.size();
      if (nl != std::string_view::npos && carry_.empty()) {
        ++pos_;
        line = piece;  // in the buffer: no copy
        return Finish(line, lineno);
      }
      carry_.append(piece);
      if (nl != std::string_view::npos) {
        ++pos_;
        break;
      }
    }
    if (!any) return false;
    line = carry_;
    return Finish(line, lineno);
  }
  // Skips a UTF-8 byte order mark at the start; true if there was one.
  Result<bool> SkipBom() {
    auto more = More();
    if (!more) return Fail(more.error());
    if (*more && view_.substr(pos_).substr(0, kBom.size()) == kBom) {
      pos_ += kBom.size();
      return true;
    }
    return false;
  }

 private:
  static bool Finish(std::string_view& line, std::size_t& lineno) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }

  static constexpr std::size_t kChunk = std::size_t{1} << 20;
  int fd_;
  std::string file_;
  std::string chunk_;
  std::string_view view_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::string carry_;
};

void ApplyService(Event& e, const std::string& service) {
  if (service.empty()) return;
  if (e.kind == Event::Kind::kDeploy) e.deploy.service = service;
  else if (e.kind == Event::Kind::kChange) e.change.service = service;
  else e.incident.service = service;
}

class JsonLinesSource : public EventSource {
 public:
  JsonLinesSource(Input in, std::string service) : in_(std::move(in)), service_(std::move(service)) {}
  Result<bool> Next(Event& event, std::string& where) override {
    if (lineno_ == 0) {
      // JSON forbids a byte order mark (RFC 8259 section 8.1); refusing it
      // says so instead of failing on the first line's first "character".
      auto bom = in_.SkipBom();
      if (!bom) return Fail(bom.error());
      if (*bom)
        return Fail(Error::Input(Where(in_.file(), 1) +
                                 ": the file starts with a UTF-8 byte order mark, which JSON Lines must not have "
                                 "(save it as UTF-8 without BOM)"));
    }
    std::string_view line;
    for (;;) {
      auto got = in_.Line(line, lineno_);
      if (!got) return Fail(got.error());
      if (!*got) return false;
      if (line.find_first_not_of(" \t") != std::string_view::npos) break;
    }
    const std::string& file = in_.file();
    auto j = ParseJson(line, file);
    if (!j) return Fail(RelineError(j.error(), file, lineno_));
    where = Where(file, lineno_);
    auto e = EventFromJson(*j, where);
    if (!e) return Fail(e.error());
    event = std::move(*e);
    ApplyService(event, service_);
    return true;
  }

 private:
  Input in_;
  std::string service_;
  std::size_t lineno_ = 0;
};

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line
// breaks. Columns: type,id,service,env,commit,status,time,action,caused_by,
// changes,ref; the header names them in any order. `changes` is
// "sha@RFC3339" items separated by ';' (empty: unknown).
class CsvSource : public EventSource {
 public:
  CsvSource(Input in, std::string service) : in_(std::move(in)), service_(std::move(service)) {}

  Result<bool> Next(Event& event, std::string& where) override {
    if (!started_) {
      started_ = true;
      auto bom = in_.SkipBom();
      if (!bom) return Fail(bom.error());
      if (*bom) notes.push_back(in_.file() + ": skipped the UTF-8 byte order mark before the CSV header");
      auto header = Record();
      if (!header) return Fail(header.error());
      if (!*header) return false;
      TG_TRY(Header());
    }
    auto rec = Record();
    if (!rec) return Fail(rec.error());
    if (!*rec) return false;
    where = Where(in_.file(), start_line_);
    if (fields_.size() != cols_.size())
      return Fail(Error::Input(where + ": " + std::to_string(fields_.size()) + " fields, the header has " +
                               std::to_string(cols_.size())));
    Json j = Json::object();
    for (std::size_t c = 0; c < cols_.size(); ++c) {
      const std::string& v = fields_[c];
      if (v.empty()) continue;
      if (cols_[c] == "changes") {
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
        j[cols_[c]] = v;
      }
    }
    auto e = EventFromJson(j, where);
    if (!e) return Fail(e.error());
    event = std::move(*e);
    ApplyService(event, service_);
    return true;
  }

 private:
  Status Header() {
    static const std::vector<std::string> kColumns = {"type",   "id",     "service",   "env",     "commit", "status",
                                                      "time",   "action", "caused_by", "changes", "ref"};
    std::string where = Where(in_.file(), start_line_);
    for (const auto& h : fields_) {
      std::string name = h;
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end())
        return Fail(Error::Input(where + ": unknown column \"" + name +
                                 "\" (expected a header of: type,id,service,env,commit,status,time,action,caused_by,changes,ref)"));
      if (std::find(cols_.begin(), cols_.end(), name) != cols_.end())
        return Fail(Error::Input(where + ": column \"" + name + "\" appears twice"));
      cols_.push_back(name);
    }
    if (std::find(cols_.begin(), cols_.end(), "type") == cols_.end())
      return Fail(Error::Input(where + ": the header must name a \"type\" column"));
    return Ok();
  }

  // The next non-blank record into fields_; false at the end of input.
  Result<bool> Record() {
    for (;;) {
      auto first = in_.Peek();
      if (!first) return Fail(first.error());
      if (*first < 0) return false;
      start_line_ = line_;
      fields_.clear();
      std::size_t bytes = 0;
      bool end_of_record = false;
      while (!end_of_record) {
        std::string field;
        auto c = in_.Peek();
        if (!c) return Fail(c.error());
        if (*c == '"') {
          (void)in_.Get();
          for (;;) {
            auto q = in_.Get();
            if (!q) return Fail(q.error());
            if (*q < 0) return Fail(Error::Input(Where(in_.file(), start_line_) + ": unterminated quoted field"));
            if (*q == '"') {
              auto next = in_.Peek();
              if (!next) return Fail(next.error());
              if (*next == '"') {
                (void)in_.Get();
                field += '"';
                continue;
              }
              break;
            }
            if (*q == '\n') ++line_;
            field += static_cast<char>(*q);
            if (++bytes > kMaxRecordBytes) return TooLong();
          }
          auto after = in_.Peek();
          if (!after) return Fail(after.error());
          if (*after >= 0 && *after != ',' && *after != '\n' && *after != '\r')
            return Fail(Error::Input(Where(in_.file(), line_) + ": text after a closing quote"));
        } else {
          for (;;) {
            auto u = in_.Peek();
            if (!u) return Fail(u.error());
            if (*u < 0 || *u == ',' || *u == '\n' || *u == '\r') break;
            if (*u == '"') return Fail(Error::Input(Where(in_.file(), line_) + ": a quote inside an unquoted field"));
            field += static_cast<char>(*u);
            (void)in_.Get();
            if (++bytes > kMaxRecordBytes) return TooLong();
          }
        }
        if (!IsValidUtf8(field))
          return Fail(Error::Input(Where(in_.file(), start_line_) + ": field " + std::to_string(fields_.size() + 1) +
                                   " is not valid UTF-8"));
        fields_.push_back(std::move(field));
        auto sep = in_.Get();
        if (!sep) return Fail(sep.error());
        if (*sep == ',') continue;
        if (*sep == '\r') {
          auto lf = in_.Peek();
          if (!lf) return Fail(lf.error());
          if (*lf == '\n') (void)in_.Get();
        }
        if (*sep >= 0) ++line_;
        end_of_record = true;
      }
      bool blank = fields_.size() == 1 && fields_[0].find_first_not_of(" \t") == std::string::npos;
      if (!blank) return true;
    }
  }
  Result<bool> TooLong() {
    return Fail(Error::Input(Where(in_.file(), start_line_) + ": a record longer than 1 MiB (an event is at most 1 MiB)"));
  }

  Input in_;
  std::string service_;
  bool started_ = false;
  std::size_t line_ = 1, start_line_ = 1;
  std::vector<std::string> fields_;
  std::vector<std::string> cols_;
};

ImportFormat Resolve(ImportFormat format, const std::string& file) {
  if (format != ImportFormat::kAuto) return format;
  bool csv = file.size() >= 4 && file.compare(file.size() - 4, 4, ".csv") == 0;
  return csv ? ImportFormat::kCsv : ImportFormat::kJsonLines;
}

std::unique_ptr<EventSource> MakeSource(ImportFormat format, Input in, const std::string& service) {
  if (format == ImportFormat::kCsv) return std::make_unique<CsvSource>(std::move(in), service);
  return std::make_unique<JsonLinesSource>(std::move(in), service);
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

bool IsWebhookFormat(ImportFormat format) {
  return format == ImportFormat::kGithub || format == ImportFormat::kGitlab || format == ImportFormat::kPagerDuty;
}

Result<std::unique_ptr<EventSource>> OpenEventStream(int fd, const std::string& file, const ImportOptions& opts) {
  ImportFormat format = Resolve(opts.format, file);
  if (IsWebhookFormat(format)) return Fail(Error::Internal("OpenEventStream: webhook payloads are read whole"));
  return MakeSource(format, Input(fd, file), opts.service);
}

Result<ImportResult> ReadImportText(std::string_view text, const std::string& file, const ImportOptions& opts) {
  ImportResult out;
  ImportFormat format = Resolve(opts.format, file);
  if (!IsWebhookFormat(format)) {
    auto source = MakeSource(format, Input(text, file), opts.service);
    Event e;
    std::string where;
    for (;;) {
      auto got = source->Next(e, where);
      if (!got) return Fail(got.error());
      if (!*got) break;
      out.events.push_back(std::move(e));
      out.wheres.push_back(where);
    }
    out.notes = std::move(source->notes);
    return out;
  }
  auto payloads = ReadPayloads(text, file);
  if (!payloads) return Fail(payloads.error());
  Provider p = format == ImportFormat::kGithub   ? Provider::kGithub
               : format == ImportFormat::kGitlab ? Provider::kGitlab
                                                 : Provider::kPagerDuty;
  for (const auto& [payload, line] : *payloads) {
    auto mapped = EventsFromPayload(p, payload, Where(file, line));
    if (!mapped) return Fail(mapped.error());
    for (auto& e : mapped->events) {
      ApplyService(e, opts.service);
      out.events.push_back(std::move(e));
      out.wheres.push_back(Where(file, line));
    }
    for (auto& n : mapped->notes) out.notes.push_back(std::move(n));
  }
  return out;
}

Result<ImportResult> ReadImportFile(const std::string& path, const ImportOptions& opts) {
  auto text = ReadFileBounded(path, kMaxPayloadFileBytes, "events");
  if (!text) return Fail(text.error());
  return ReadImportText(*text, path, opts);
}

}  // namespace tollgate::delivery
