// Built-ins: time (nanoseconds since the epoch, UTC; Go layouts).
//
// Only UTC (and fixed offsets in parsed text) are supported: a named time
// zone other than UTC is a builtin error, as there is no tz database here.
#include <array>
#include <cmath>
#include <limits>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

constexpr std::int64_t kNsPerSec = 1'000'000'000;

// Howard Hinnant's civil calendar algorithms.
std::int64_t DaysFromCivil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
void CivilFromDays(std::int64_t z, std::int64_t* y, std::int64_t* m, std::int64_t* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

struct Civil {
  std::int64_t year, month, day, hour, minute, second, nanos, weekday, yday;
};

Civil ToCivil(std::int64_t ns, std::int64_t offset_sec = 0) {
  std::int64_t secs = ns / kNsPerSec;
  std::int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  secs += offset_sec;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c{};
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = rem / 3600;
  c.minute = rem % 3600 / 60;
  c.second = rem % 60;
  c.nanos = frac;
  c.weekday = ((days % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
  c.yday = days - DaysFromCivil(c.year, 1, 1) + 1;
  return c;
}

// Seconds + nanos to ns, failing when out of int64 range.
std::int64_t ToNs(const char* fn, std::int64_t secs, std::int64_t nanos) {
  if (secs < 0 && nanos > 0) {
    secs += 1;
    nanos -= kNsPerSec;
  }
  std::int64_t v = 0;
  if (__builtin_mul_overflow(secs, kNsPerSec, &v) || __builtin_add_overflow(v, nanos, &v))
    ThrowBuiltinError(std::string(fn) + ": time outside of valid range");
  return v;
}

std::int64_t ArgNs(const char* fn, const Value& v) {
  if (!v.is_number()) ThrowOperandError(fn, 1, "number", v);
  if (v.is_int()) return v.as_int();
  double d = v.as_double();
  if (!(d >= -9.2233720368547758e18 && d <= 9.2233720368547758e18)) ThrowBuiltinError(std::string(fn) + ": timestamp too big");
  return static_cast<std::int64_t>(d);
}

// A time zone from the system tz database (TZif files): the UTC offset in
// effect at each transition.
struct Zone {
  std::vector<std::pair<std::int64_t, std::int32_t>> transitions;  // (unix seconds, offset)
  std::int32_t initial = 0;
  std::int32_t OffsetAt(std::int64_t secs) const {
    auto it = std::upper_bound(transitions.begin(), transitions.end(), secs,
                               [](std::int64_t x, const auto& t) { return x < t.first; });
    if (it == transitions.begin()) return initial;
    return std::prev(it)->second;
  }
};

std::uint64_t BigEndian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// nullptr when the zone is unknown or the name is not a plain zone name.
const Zone* LoadZone(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Zone>> cache;
  if (name.empty() || name.size() > 64 || name[0] == '/' || name.find("..") != std::string::npos) return nullptr;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+')) return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto z = std::make_unique<Zone>();
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  auto parse = [&](std::size_t off, int tsize, std::size_t* end) -> bool {
    if (data.size() < off + 44 || data.compare(off, 4, "TZif") != 0) return false;
    std::uint64_t isut = BigEndian(d + off + 20, 4), isstd = BigEndian(d + off + 24, 4), leap = BigEndian(d + off + 28, 4);
    std::uint64_t timecnt = BigEndian(d + off + 32, 4), typecnt = BigEndian(d + off + 36, 4), charcnt = BigEndian(d + off + 40, 4);
    std::size_t p = off + 44;
    std::size_t need = timecnt * static_cast<std::uint64_t>(tsize) + timecnt + typecnt * 6 + charcnt +
                       leap * static_cast<std::uint64_t>(tsize + 4) + isstd + isut;
    if (typecnt == 0 || data.size() < p + need) return false;
    std::vector<std::int64_t> times(timecnt);
    for (std::size_t i = 0; i < timecnt; ++i) {
      std::uint64_t raw = BigEndian(d + p + i * static_cast<std::size_t>(tsize), tsize);
      times[i] = tsize == 4 ? static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)) : static_cast<std::int64_t>(raw);
    }
    p += timecnt * static_cast<std::size_t>(tsize);
    const unsigned char* idx = d + p;
    p += timecnt;
    std::vector<std::int32_t> offsets(typecnt);
    for (std::size_t i = 0; i < typecnt; ++i) offsets[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(BigEndian(d + p + i * 6, 4)));
    p += typecnt * 6;
    z->transitions.clear();
    z->initial = offsets[0];
    for (std::size_t i = 0; i < timecnt; ++i)
      if (idx[i] < typecnt) z->transitions.emplace_back(times[i], offsets[idx[i]]);
    *end = p + charcnt + leap * static_cast<std::uint64_t>(tsize + 4) + isstd + isut;
    return true;
  };
  std::size_t end = 0;
  if (!parse(0, 4, &end)) return nullptr;
  if (data.size() > 4 && data[4] >= '2') {
    std::size_t end2 = 0;
    parse(end, 8, &end2);
  }
  const Zone* out = z.get();
  cache[name] = std::move(z);
  return out;
}

// ns and an optional time zone: ns or [ns, tz] or [ns, tz, layout]; the
// zone's UTC offset (seconds) at that instant goes to *offset.
std::int64_t NsAndZone(const char* fn, const Value& v, std::string* layout = nullptr, std::int64_t* offset = nullptr) {
  if (v.is_number()) return ArgNs(fn, v);
  if (!v.is_array() || v.items().empty() || v.items().size() > (layout ? 3u : 2u)) ThrowOperandError(fn, 1, "number or array", v);
  std::int64_t ns = ArgNs(fn, v.items()[0]);
  if (v.items().size() >= 2) {
    const Value& tz = v.items()[1];
    if (!tz.is_string()) ThrowOperandError(fn, 1, "array[number, string]", v);
    const std::string& z = tz.as_string();
    if (!z.empty() && z != "UTC" && z != "Local") {
      const Zone* zone = LoadZone(z);
      if (!zone) ThrowBuiltinError(std::string(fn) + ": unknown time zone " + z);
      std::int64_t secs = ns / kNsPerSec - (ns % kNsPerSec < 0 ? 1 : 0);
      if (offset) *offset = zone->OffsetAt(secs);
    }
  }
  if (layout && v.items().size() == 3) {
    if (!v.items()[2].is_string()) ThrowOperandError(fn, 1, "array[number, string, string]", v);
    *layout = v.items()[2].as_string();
  }
  return ns;
}

const std::array<const char*, 7> kDays = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                             "July",    "August",   "September", "October", "November", "December"};

// ---- Go layouts ----
enum class LT {
  kLit, kYear4, kYear2, kMonthNum, kMonthNum1, kMonthShort, kMonthLong, kDay2, kDay1, kDayUnder, kDayShort, kDayLong,
  kHour24, kHour12, kHour12_1, kMin2, kMin1, kSec2, kSec1, kPM, kpm, kTZName, kZ0700Colon, kZ0700, kZ07, kOff0700Colon,
  kOff0700, kOff07, kFracZero, kFracNine, kYday
};
struct LayoutTok {
  LT kind;
  std::string lit;
  int digits = 0;
};

std::vector<LayoutTok> Tokenize(const std::string& layout) {
  std::vector<LayoutTok> out;
  static const std::vector<std::pair<const char*, LT>> kStd = {
      {"January", LT::kMonthLong}, {"Jan", LT::kMonthShort}, {"Monday", LT::kDayLong}, {"Mon", LT::kDayShort},
      {"MST", LT::kTZName},        {"2006", LT::kYear4},     {"Z07:00", LT::kZ0700Colon}, {"Z0700", LT::kZ0700},
      {"Z07", LT::kZ07},           {"-07:00", LT::kOff0700Colon}, {"-0700", LT::kOff0700}, {"-07", LT::kOff07},
      {"002", LT::kYday},          {"01", LT::kMonthNum},    {"02", LT::kDay2},        {"_2", LT::kDayUnder},
      {"06", LT::kYear2},          {"15", LT::kHour24},      {"03", LT::kHour12},      {"04", LT::kMin2},
      {"05", LT::kSec2},           {"PM", LT::kPM},          {"pm", LT::kpm},          {"1", LT::kMonthNum1},
      {"2", LT::kDay1},            {"3", LT::kHour12_1},     {"4", LT::kMin1},         {"5", LT::kSec1}};
  std::size_t i = 0;
  std::string lit;
  while (i < layout.size()) {
    if ((layout[i] == '.' || layout[i] == ',') && i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      char d = layout[i + 1];
      std::size_t j = i + 1;
      while (j < layout.size() && layout[j] == d) ++j;
      if (j >= layout.size() || !std::isdigit(static_cast<unsigned char>(layout[j]))) {
        if (!lit.empty()) out.push_back({LT::kLit, lit, 0}), lit.clear();
        out.push_back({d == '0' ? LT::kFracZero : LT::kFracNine, "", static_cast<int>(j - i - 1)});
        i = j;
        continue;
      }
    }
    bool matched = false;
    for (const auto& [s, k] : kStd) {
      std::string_view sv(s);
      if (layout.compare(i, sv.size(), sv) == 0) {
        if (!lit.empty()) out.push_back({LT::kLit, lit, 0}), lit.clear();
        out.push_back({k, "", 0});
        i += sv.size();
        matched = true;
        break;
      }
    }
    if (!matched) lit += layout[i++];
  }
  if (!lit.empty()) out.push_back({LT::kLit, lit, 0});
  return out;
}

std::string Two(std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string OffsetText(std::int64_t off, bool colon, bool minutes) {
  std::string sign = off < 0 ? "-" : "+";
  std::int64_t a = off < 0 ? -off : off;
  std::string out = sign + Two(a / 3600);
  if (minutes) out += (colon ? ":" : "") + Two(a % 3600 / 60);
  return out;
}

std::string FormatLayout(std::int64_t ns, const std::string& layout, std::int64_t offset = 0) {
  Civil c = ToCivil(ns, offset);
  std::string out;
  for (const auto& t : Tokenize(layout)) {
    switch (t.kind) {
      case LT::kLit: out += t.lit; break;
      case LT::kYear4: {
        std::string y = std::to_string(c.year);
        while (y.size() < 4) y = "0" + y;
        out += y;
        break;
      }
      case LT::kYear2: out += Two(c.year % 100); break;
      case LT::kMonthNum: out += Two(c.month); break;
      case LT::kMonthNum1: out += std::to_string(c.month); break;
      case LT::kMonthShort: out += std::string(kMonths[static_cast<std::size_t>(c.month - 1)]).substr(0, 3); break;
      case LT::kMonthLong: out += kMonths[static_cast<std::size_t>(c.month - 1)]; break;
      case LT::kDay2: out += Two(c.day); break;
      case LT::kDay1: out += std::to_string(c.day); break;
      case LT::kDayUnder: out += (c.day < 10 ? " " : "") + std::to_string(c.day); break;
      case LT::kDayShort: out += std::string(kDays[static_cast<std::size_t>(c.weekday)]).substr(0, 3); break;
      case LT::kDayLong: out += kDays[static_cast<std::size_t>(c.weekday)]; break;
      case LT::kYday: {
        std::string y = std::to_string(c.yday);
        while (y.size() < 3) y = "0" + y;
        out += y;
        break;
      }
      case LT::kHour24: out += Two(c.hour); break;
      case LT::kHour12: out += Two(c.hour % 12 == 0 ? 12 : c.hour % 12); break;
      case LT::kHour12_1: out += std::to_string(c.hour % 12 == 0 ? 12 : c.hour % 12); break;
      case LT::kMin2: out += Two(c.minute); break;
      case LT::kMin1: out += std::to_string(c.minute); break;
      case LT::kSec2: out += Two(c.second); break;
      case LT::kSec1: out += std::to_string(c.second); break;
      case LT::kPM: out += c.hour >= 12 ? "PM" : "AM"; break;
      case LT::kpm: out += c.hour >= 12 ? "pm" : "am"; break;
      case LT::kTZName: out += offset == 0 ? "UTC" : OffsetText(offset, false, true); break;
      case LT::kZ0700Colon: out += offset == 0 ? "Z" : OffsetText(offset, true, true); break;
      case LT::kZ0700: out += offset == 0 ? "Z" : OffsetText(offset, false, true); break;
      case LT::kZ07: out += offset == 0 ? "Z" : OffsetText(offset, false, false); break;
      case LT::kOff0700Colon: out += OffsetText(offset, true, true); break;
      case LT::kOff0700: out += OffsetText(offset, false, true); break;
      case LT::kOff07: out += OffsetText(offset, false, false); break;
      case LT::kFracZero:
      case LT::kFracNine: {
        std::string f = std::to_string(c.nanos);
        while (f.size() < 9) f = "0" + f;
        f = f.substr(0, static_cast<std::size_t>(std::min(t.digits, 9)));
        if (t.kind == LT::kFracNine) {
          while (!f.empty() && f.back() == '0') f.pop_back();
          if (!f.empty()) out += "." + f;
        } else {
          out += "." + f;
        }
        break;
      }
    }
  }
  return out;
}

const std::map<std::string, std::string>& NamedLayouts() {
  static const std::map<std::string, std::string> k = {
      {"ANSIC", "Mon Jan _2 15:04:05 2006"},
      {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
      {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
      {"RFC822", "02 Jan 06 15:04 MST"},
      {"RFC822Z", "02 Jan 06 15:04 -0700"},
      {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
      {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
      {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
      {"RFC3339", "2006-01-02T15:04:05Z07:00"},
      {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
      {"Kitchen", "3:04PM"},
      {"Stamp", "Jan _2 15:04:05"},
      {"StampMilli", "Jan _2 15:04:05.000"},
      {"StampMicro", "Jan _2 15:04:05.000000"},
      {"StampNano", "Jan _2 15:04:05.000000000"},
      {"DateTime", "2006-01-02 15:04:05"},
      {"DateOnly", "2006-01-02"},
      {"TimeOnly", "15:04:05"},
  };
  return k;
}

std::string ResolveLayout(const std::string& l) {
  auto it = NamedLayouts().find(l);
  return it == NamedLayouts().end() ? l : it->second;
}

// Parses `value` with a Go layout; fails with the builtin's name.
std::int64_t ParseLayout(const char* fn, const std::string& layout, const std::string& value) {
  std::int64_t year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
  bool pm = false, have_pm = false;
  std::size_t i = 0;
  auto fail = [&](const std::string& why) -> void {
    ThrowBuiltinError(std::string(fn) + ": parsing time \"" + value + "\" as \"" + layout + "\": " + why);
  };
  auto num = [&](std::size_t min_digits, std::size_t max_digits) -> std::int64_t {
    std::size_t s = i;
    while (i < value.size() && i - s < max_digits && std::isdigit(static_cast<unsigned char>(value[i]))) ++i;
    if (i - s < min_digits) fail("cannot parse \"" + value.substr(s) + "\"");
    return std::stoll(value.substr(s, i - s));
  };
  auto word = [&](const std::array<const char*, 12>* months, const std::array<const char*, 7>* days, bool shortform) -> std::int64_t {
    std::size_t n = months ? 12 : 7;
    for (std::size_t k = 0; k < n; ++k) {
      std::string w = months ? (*months)[k] : (*days)[k];
      if (shortform) w = w.substr(0, 3);
      if (value.compare(i, w.size(), w) == 0) {
        i += w.size();
        return static_cast<std::int64_t>(k);
      }
    }
    fail("cannot parse \"" + value.substr(i) + "\"");
    return 0;
  };
  auto parse_offset = [&](bool colon, bool allow_z, bool hours_only) {
    if (allow_z && i < value.size() && value[i] == 'Z') {
      ++i;
      return;
    }
    if (i >= value.size() || (value[i] != '+' && value[i] != '-')) fail("cannot parse \"" + value.substr(i) + "\"");
    int sign = value[i] == '-' ? -1 : 1;
    ++i;
    std::int64_t h = num(2, 2), m = 0;
    if (!hours_only) {
      if (colon) {
        if (i >= value.size() || value[i] != ':') fail("cannot parse \"" + value.substr(i) + "\"");
        ++i;
      }
      m = num(2, 2);
    }
    offset = sign * (h * 3600 + m * 60);
  };
  for (const auto& t : Tokenize(layout)) {
    switch (t.kind) {
      case LT::kLit:
        if (value.compare(i, t.lit.size(), t.lit) != 0) fail("cannot parse \"" + value.substr(i) + "\" as \"" + t.lit + "\"");
        i += t.lit.size();
        break;
      case LT::kYear4: year = num(4, 4); break;
      case LT::kYear2: {
        std::int64_t y = num(2, 2);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case LT::kMonthNum: month = num(2, 2); break;
      case LT::kMonthNum1: month = num(1, 2); break;
      case LT::kMonthShort: month = word(&kMonths, nullptr, true) + 1; break;
      case LT::kMonthLong: month = word(&kMonths, nullptr, false) + 1; break;
      case LT::kDay2: day = num(2, 2); break;
      case LT::kDay1: day = num(1, 2); break;
      case LT::kDayUnder:
        if (i < value.size() && value[i] == ' ') ++i;
        day = num(1, 2);
        break;
      case LT::kDayShort: word(nullptr, &kDays, true); break;
      case LT::kDayLong: word(nullptr, &kDays, false); break;
      case LT::kYday: num(3, 3); break;
      case LT::kHour24: hour = num(2, 2); break;
      case LT::kHour12: hour = num(2, 2); break;
      case LT::kHour12_1: hour = num(1, 2); break;
      case LT::kMin2: minute = num(2, 2); break;
      case LT::kMin1: minute = num(1, 2); break;
      case LT::kSec2:
      case LT::kSec1:
        second = t.kind == LT::kSec2 ? num(2, 2) : num(1, 2);
        // Go accepts a fractional second after seconds even if the layout has none.
        if (i + 1 < value.size() && value[i] == '.' && std::isdigit(static_cast<unsigned char>(value[i + 1]))) {
          ++i;
          std::size_t s = i;
          while (i < value.size() && std::isdigit(static_cast<unsigned char>(value[i]))) ++i;
          std::string f = value.substr(s, i - s).substr(0, 9);
          while (f.size() < 9) f += '0';
          nanos = std::stoll(f);
        }
        break;
      case LT::kPM:
      case LT::kpm: {
        std::string w = value.substr(i, 2);
        if (w == "PM" || w == "pm") pm = true;
        else if (w != "AM" && w != "am") fail("cannot parse \"" + value.substr(i) + "\"");
        have_pm = true;
        i += 2;
        break;
      }
      case LT::kTZName: {
        std::size_t s = i;
        while (i < value.size() && std::isupper(static_cast<unsigned char>(value[i]))) ++i;
        if (i - s < 3) fail("cannot parse \"" + value.substr(s) + "\"");
        break;
      }
      case LT::kZ0700Colon: parse_offset(true, true, false); break;
      case LT::kZ0700: parse_offset(false, true, false); break;
      case LT::kZ07: parse_offset(false, true, true); break;
      case LT::kOff0700Colon: parse_offset(true, false, false); break;
      case LT::kOff0700: parse_offset(false, false, false); break;
      case LT::kOff07: parse_offset(false, false, true); break;
      case LT::kFracZero:
      case LT::kFracNine: {
        if (i < value.size() && (value[i] == '.' || value[i] == ',')) {
          ++i;
          std::size_t s = i;
          while (i < value.size() && std::isdigit(static_cast<unsigned char>(value[i]))) ++i;
          std::string f = value.substr(s, i - s).substr(0, 9);
          while (f.size() < 9) f += '0';
          nanos = std::stoll(f);
        } else if (t.kind == LT::kFracZero) {
          fail("cannot parse \"" + value.substr(i) + "\"");
        }
        break;
      }
    }
  }
  if (i != value.size()) fail("extra text: \"" + value.substr(i) + "\"");
  if (have_pm) {
    if (hour > 12) fail("hour out of range");
    if (pm && hour < 12) hour += 12;
    if (!pm && hour == 12) hour = 0;
  }
  if (month < 1 || month > 12) fail("month out of range");
  static const int kDim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > kDim[month - 1] || (month == 2 && day == 29 && !leap)) fail("day out of range");
  if (hour > 23) fail("hour out of range");
  if (minute > 59) fail("minute out of range");
  if (second > 59) fail("second out of range");
  std::int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return ToNs(fn, secs, nanos);
}

Value NowNs(const Args&, BuiltinContext& ctx) { return Value::Int(ctx.now_ns); }
Value ParseRfc3339(const Args& a, BuiltinContext&) {
  return Value::Int(ParseLayout("time.parse_rfc3339_ns", "2006-01-02T15:04:05Z07:00", ArgString("time.parse_rfc3339_ns", a, 0)));
}
Value ParseNs(const Args& a, BuiltinContext&) {
  return Value::Int(ParseLayout("time.parse_ns", ResolveLayout(ArgString("time.parse_ns", a, 0)), ArgString("time.parse_ns", a, 1)));
}
Value ParseDuration(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("time.parse_duration_ns", a, 0);
  auto bad = [&]() { ThrowBuiltinError("time.parse_duration_ns: time: invalid duration " + ToRegoString(Value::String(s))); };
  std::size_t i = 0;
  int sign = 1;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) sign = s[i++] == '-' ? -1 : 1;
  if (s.substr(i) == "0") return Value::Int(0);
  if (i >= s.size()) bad();
  long double total = 0;
  while (i < s.size()) {
    std::size_t st = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (st == i) bad();
    long double n = std::stold(s.substr(st, i - st));
    std::size_t us = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string unit = s.substr(us, i - us);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3L;
    else if (unit == "ms") mult = 1e6L;
    else if (unit == "s") mult = 1e9L;
    else if (unit == "m") mult = 60e9L;
    else if (unit == "h") mult = 3600e9L;
    else {
      if (unit.empty()) ThrowBuiltinError("time.parse_duration_ns: time: missing unit in duration " + ToRegoString(Value::String(s)));
      ThrowBuiltinError("time.parse_duration_ns: time: unknown unit " + ToRegoString(Value::String(unit)) + " in duration " +
                        ToRegoString(Value::String(s)));
    }
    total += n * mult;
  }
  if (total > 9.223372036854775807e18L) ThrowBuiltinError("time.parse_duration_ns: time: invalid duration " + ToRegoString(Value::String(s)));
  return Value::Int(sign * static_cast<std::int64_t>(std::llround(total)));
}
Value Date(const Args& a, BuiltinContext&) {
  std::int64_t off = 0;
  std::int64_t ns = NsAndZone("time.date", a[0], nullptr, &off);
  Civil c = ToCivil(ns, off);
  return Value::MakeArray({Value::Int(c.year), Value::Int(c.month), Value::Int(c.day)});
}
Value Clock(const Args& a, BuiltinContext&) {
  std::int64_t off = 0;
  std::int64_t ns = NsAndZone("time.clock", a[0], nullptr, &off);
  Civil c = ToCivil(ns, off);
  return Value::MakeArray({Value::Int(c.hour), Value::Int(c.minute), Value::Int(c.second)});
}
Value Weekday(const Args& a, BuiltinContext&) {
  std::int64_t off = 0;
  std::int64_t ns = NsAndZone("time.weekday", a[0], nullptr, &off);
  Civil c = ToCivil(ns, off);
  return Value::String(kDays[static_cast<std::size_t>(c.weekday)]);
}
Value AddDate(const Args& a, BuiltinContext&) {
  std::int64_t ns = ArgNs("time.add_date", a[0]);
  std::int64_t y = ArgInt("time.add_date", a, 1), m = ArgInt("time.add_date", a, 2), d = ArgInt("time.add_date", a, 3);
  Civil c = ToCivil(ns);
  // Go normalises month overflow, then day overflow through the calendar.
  std::int64_t month0 = c.month - 1 + m;
  std::int64_t year = c.year + y + (month0 >= 0 ? month0 / 12 : (month0 - 11) / 12);
  month0 = ((month0 % 12) + 12) % 12;
  std::int64_t days = DaysFromCivil(year, month0 + 1, 1) + c.day - 1 + d;
  std::int64_t secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return Value::Int(ToNs("time.add_date", secs, c.nanos));
}
Value Diff(const Args& a, BuiltinContext&) {
  std::int64_t o1 = 0, o2 = 0;
  std::int64_t t1 = NsAndZone("time.diff", a[0], nullptr, &o1);
  std::int64_t t2 = NsAndZone("time.diff", a[1], nullptr, &o2);
  if (t1 > t2) {
    std::swap(t1, t2);
    std::swap(o1, o2);
  }
  // Go compares both instants in the first one's location.
  Civil x = ToCivil(t1, o1), z = ToCivil(t2, o1);
  std::int64_t year = z.year - x.year, month = z.month - x.month, day = z.day - x.day;
  std::int64_t hour = z.hour - x.hour, min = z.minute - x.minute, sec = z.second - x.second;
  if (z.nanos < x.nanos) --sec;
  if (sec < 0) sec += 60, --min;
  if (min < 0) min += 60, --hour;
  if (hour < 0) hour += 24, --day;
  if (day < 0) {
    // Borrow the length of the first instant's month (as OPA does).
    std::int64_t ny = x.month == 12 ? x.year + 1 : x.year, nm = x.month == 12 ? 1 : x.month + 1;
    day += DaysFromCivil(ny, nm, 1) - DaysFromCivil(x.year, x.month, 1);
    --month;
  }
  if (month < 0) month += 12, --year;
  return Value::MakeArray({Value::Int(year), Value::Int(month), Value::Int(day), Value::Int(hour), Value::Int(min), Value::Int(sec)});
}
Value Format(const Args& a, BuiltinContext&) {
  std::string layout;
  std::int64_t off = 0;
  std::int64_t ns = NsAndZone("time.format", a[0], &layout, &off);
  if (layout.empty()) layout = "2006-01-02T15:04:05.999999999Z07:00";
  return Value::String(FormatLayout(ns, ResolveLayout(layout), off));
}

}  // namespace

void AddTimeBuiltins(BuiltinRegistry& r) {
  r.Add("time.now_ns", 0, NowNs);
  r.Add("time.parse_rfc3339_ns", 1, ParseRfc3339);
  r.Add("time.parse_ns", 2, ParseNs);
  r.Add("time.parse_duration_ns", 1, ParseDuration);
  r.Add("time.date", 1, Date);
  r.Add("time.clock", 1, Clock);
  r.Add("time.weekday", 1, Weekday);
  r.Add("time.add_date", 4, AddDate);
  r.Add("time.diff", 2, Diff);
  r.Add("time.format", 1, Format);
}

}  // namespace tollgate::rego
