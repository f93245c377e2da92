// Exact decimal arithmetic for money and quantities (finops.h).
#include <algorithm>
#include <cctype>

#include "finops/finops.h"

namespace tollgate::finops {
namespace {

using Units = Decimal::Units;

constexpr Units Pow10(int n) {
  Units p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}
constexpr Units kOne = Pow10(Decimal::kPlaces);
constexpr Units kLimit = Pow10(15) * kOne;  // magnitudes accepted by Parse

// n / d rounded half away from zero (d > 0).
Units DivRound(Units n, Units d) {
  Units q = n / d, r = n % d;
  if (r < 0) r = -r;
  if (2 * r >= d) q += n < 0 ? -1 : 1;
  return q;
}

std::string Digits(Units v) {  // v >= 0
  std::string s;
  do {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

Decimal Decimal::FromInt(std::int64_t v) { return Raw(static_cast<Units>(v) * kOne); }

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits;  // integer and fraction digits, no point
  int fraction = 0;
  bool seen_digit = false, seen_point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
      if (digits.empty() && c == '0' && !seen_point) continue;  // leading zeros
      digits.push_back(c);
      if (seen_point) ++fraction;
      if (digits.size() > 60) return std::nullopt;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return std::nullopt;
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i == text.size()) return std::nullopt;
    for (; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i])) || exponent > 100) return std::nullopt;
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return std::nullopt;
  // value = digits * 10^(exponent - fraction); in units: * 10^(kPlaces + exponent - fraction).
  const int shift = kPlaces + exponent - fraction;
  // Strip digits below the last place we keep, remembering the first one for rounding.
  Units v = 0;
  const int keep = static_cast<int>(digits.size()) + std::min(shift, 0);
  if (keep + std::max(shift, 0) > 30) return std::nullopt;  // >= 10^18 at least: far beyond the limit
  for (int k = 0; k < keep; ++k) v = v * 10 + (digits[static_cast<std::size_t>(k)] - '0');
  if (keep >= 0 && keep < static_cast<int>(digits.size()) && digits[static_cast<std::size_t>(keep)] >= '5') ++v;
  if (shift > 0) v *= Pow10(shift);
  if (v >= kLimit) return std::nullopt;
  return Raw(negative ? -v : v);
}

std::optional<Decimal> Decimal::Times(const Decimal& o) const {
  // a*b/kOne = hi*b + lo*b/kOne with a = hi*kOne + lo, so no 10^24 intermediate.
  const Units hi = units_ / kOne, lo = units_ % kOne;
  Units whole = 0, part = 0, sum = 0;
  if (__builtin_mul_overflow(hi, o.units_, &whole) || __builtin_mul_overflow(lo, o.units_, &part)) return std::nullopt;
  if (__builtin_add_overflow(whole, DivRound(part, kOne), &sum)) return std::nullopt;
  return Raw(sum);
}

Decimal Decimal::DividedBy(std::int64_t divisor) const {
  Units d = divisor;
  Units n = units_;
  if (d < 0) {
    d = -d;
    n = -n;
  }
  return Raw(DivRound(n, d));
}

std::string Decimal::ToString() const {
  const Units mag = units_ < 0 ? -units_ : units_;
  std::string out = (units_ < 0 ? "-" : "") + Digits(mag / kOne);
  std::string frac = Digits(mag % kOne);
  frac.insert(0, static_cast<std::size_t>(kPlaces) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

std::string Decimal::Fixed(int places) const {
  places = std::clamp(places, 0, kPlaces);
  const Units scale = Pow10(kPlaces - places);
  const Units rounded = DivRound(units_, scale);
  const Units mag = rounded < 0 ? -rounded : rounded;
  const Units unit = Pow10(places);
  std::string out = (rounded < 0 ? "-" : "") + Digits(mag / unit);
  if (places > 0) {
    std::string frac = Digits(mag % unit);
    frac.insert(0, static_cast<std::size_t>(places) - frac.size(), '0');
    out += "." + frac;
  }
  return out;
}

}  // namespace tollgate::finops
