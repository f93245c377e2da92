// The price book (docs/finops.md "Price book") and the usage file.
#include <set>

#include "core/file.h"
#include "core/hash.h"
#include "core/yaml.h"
#include "finops/finops.h"

namespace tollgate::finops {
namespace {

// Price books and usage files are small; a larger file is a mistake.
constexpr std::size_t kMaxPriceBookBytes = std::size_t{8} << 20;

const std::set<std::string> kOperatingSystems = {"linux", "windows", "rhel", "suse"};
const std::set<std::string> kTenancies = {"default", "dedicated", "host"};
const std::set<std::string> kDiscountKinds = {"ec2",           "ebs",         "rds",         "rds_storage", "s3",
                                              "nat_gateway", "load_balancer", "eks_cluster", "lambda", "kubernetes"};

// A plain number, exactly as written.
Result<Decimal> Number(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar() || yaml::IsQuoted(n) ||
      (yaml::Resolve(n) != yaml::ScalarType::kInt && yaml::Resolve(n) != yaml::ScalarType::kFloat))
    return Fail(r.Bad(n, what + " must be a number, not " + (n.IsScalar() ? "'" + n.Scalar() + "'" : yaml::KindName(n))));
  auto d = Decimal::Parse(n.Scalar());
  if (!d) return Fail(r.Bad(n, what + ": '" + n.Scalar() + "' is out of range"));
  return *d;
}

// A price: a number that is not negative.
Result<Decimal> Price(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  auto d = Number(r, n, what);
  if (!d) return d;
  if (d->IsNegative()) return Fail(r.Bad(n, what + ": negative price " + n.Scalar()));
  return d;
}

Result<std::string> Key(const yaml::Reader& r, const YAML::Node& k, const std::string& what) {
  if (!k.IsScalar() || k.Scalar().empty()) return Fail(r.Bad(k, what + ": keys must be non-empty strings"));
  return k.Scalar();
}

// Fields of a mapping of prices with `allowed` keys.
Status Fields(const yaml::Reader& r, const YAML::Node& n, const std::set<std::string>& allowed, const std::string& what,
              std::map<std::string, Decimal>& out) {
  TG_TRY(r.OnlyKeys(n, allowed, what));
  for (const auto& kv : n) {
    auto p = Price(r, kv.second, what + "." + kv.first.Scalar());
    if (!p) return Fail(p.error());
    out[kv.first.Scalar()] = *p;
  }
  return Ok();
}

std::optional<Decimal> Get(const std::map<std::string, Decimal>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::nullopt : std::optional<Decimal>(it->second);
}

// `what` is a mapping (null is an empty one); calls `each(key, value)` per entry.
template <typename F>
Status EachEntry(const yaml::Reader& r, const YAML::Node& n, const std::string& what, F&& each) {
  if (n.IsNull()) return Ok();
  if (!n.IsMap()) return Fail(r.Bad(n, what + " must be a mapping, not " + yaml::KindName(n)));
  for (const auto& kv : n) {
    auto k = Key(r, kv.first, what);
    if (!k) return Fail(k.error());
    TG_TRY(each(*k, kv.second));
  }
  return Ok();
}

Result<Ec2Price> ReadEc2(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  Ec2Price p;
  if (n.IsScalar()) {  // Linux, default tenancy
    auto v = Price(r, n, what);
    if (!v) return Fail(v.error());
    p.by_os_tenancy["linux"]["default"] = *v;
    return p;
  }
  TG_TRY(r.OnlyKeys(n, kOperatingSystems, what));
  for (const auto& os : n) {
    const std::string name = what + "." + os.first.Scalar();
    auto& slot = p.by_os_tenancy[os.first.Scalar()];
    if (os.second.IsScalar()) {
      auto v = Price(r, os.second, name);
      if (!v) return Fail(v.error());
      slot["default"] = *v;
    } else {
      TG_TRY(Fields(r, os.second, kTenancies, name, slot));
    }
  }
  return p;
}

Result<AzPrice> ReadAz(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  AzPrice p;
  if (n.IsScalar()) {
    auto v = Price(r, n, what);
    if (!v) return Fail(v.error());
    p.single_az = *v;
    return p;
  }
  std::map<std::string, Decimal> f;
  TG_TRY(Fields(r, n, {"single_az", "multi_az"}, what, f));
  p.single_az = Get(f, "single_az");
  p.multi_az = Get(f, "multi_az");
  return p;
}

Result<RegionPrices> ReadRegion(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  RegionPrices p;
  TG_TRY(r.OnlyKeys(n, {"ec2", "ebs", "rds", "rds_storage", "rds_iops", "s3", "nat_gateway", "load_balancer", "eks_cluster",
                        "lambda", "kubernetes"},
                    what));
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar(), name = what + "." + key;
    const YAML::Node& v = kv.second;
    if (key == "ec2") {
      TG_TRY(EachEntry(r, v, name, [&](const std::string& type, const YAML::Node& e) -> Status {
        auto price = ReadEc2(r, e, name + "." + type);
        if (!price) return Fail(price.error());
        p.ec2[type] = *price;
        return Ok();
      }));
    } else if (key == "ebs") {
      auto read = EachEntry(r, v, name, [&](const std::string& type, const YAML::Node& e) -> Status {
        EbsPrice price;
        if (e.IsScalar()) {
          auto gb = Price(r, e, name + "." + type);
          if (!gb) return Fail(gb.error());
          price.gb_month = *gb;
        } else {
          std::map<std::string, Decimal> f;
          TG_TRY(Fields(r, e, {"gb_month", "iops_month", "throughput_month"}, name + "." + type, f));
          price = {Get(f, "gb_month"), Get(f, "iops_month"), Get(f, "throughput_month")};
        }
        p.ebs[type] = price;
        return Ok();
      });
      if (!read) return Fail(read.error());
    } else if (key == "rds" || key == "rds_storage") {
      auto& target = key == "rds" ? p.rds : p.rds_storage;
      TG_TRY(EachEntry(r, v, name, [&](const std::string& cls, const YAML::Node& e) -> Status {
        auto price = ReadAz(r, e, name + "." + cls);
        if (!price) return Fail(price.error());
        target[cls] = *price;
        return Ok();
      }));
    } else if (key == "rds_iops") {
      auto price = ReadAz(r, v, name);
      if (!price) return Fail(price.error());
      p.rds_iops = *price;
    } else if (key == "s3" || key == "load_balancer") {
      auto& target = key == "s3" ? p.s3 : p.load_balancer;
      const std::set<std::string> allowed =
          key == "s3" ? std::set<std::string>{"standard", "intelligent_tiering", "standard_infrequent_access",
                                              "one_zone_infrequent_access", "glacier_instant_retrieval",
                                              "glacier_flexible_retrieval", "glacier_deep_archive"}
                      : std::set<std::string>{"application", "network", "gateway"};
      TG_TRY(Fields(r, v, allowed, name, target));
    } else if (key == "nat_gateway") {
      std::map<std::string, Decimal> f;
      TG_TRY(Fields(r, v, {"hour", "gb_processed"}, name, f));
      p.nat_gateway_hour = Get(f, "hour");
      p.nat_gateway_gb = Get(f, "gb_processed");
    } else if (key == "eks_cluster") {
      std::map<std::string, Decimal> f;
      TG_TRY(Fields(r, v, {"hour"}, name, f));
      p.eks_cluster_hour = Get(f, "hour");
    } else if (key == "kubernetes") {
      std::map<std::string, Decimal> f;
      TG_TRY(Fields(r, v, {"vcpu_hour", "gib_hour"}, name, f));
      p.k8s_vcpu_hour = Get(f, "vcpu_hour");
      p.k8s_gib_hour = Get(f, "gib_hour");
    } else if (key == "lambda") {
      std::map<std::string, Decimal> f;
      TG_TRY(Fields(r, v, {"requests_per_million", "gb_second"}, name, f));
      p.lambda_requests_per_million = Get(f, "requests_per_million");
      p.lambda_gb_second = Get(f, "gb_second");
    }
  }
  return p;
}

Result<Discount> ReadDiscount(const yaml::Reader& r, const YAML::Node& n, const std::string& what) {
  TG_TRY(r.OnlyKeys(n, {"kind", "family", "percent"}, what));
  Discount d;
  if (!n["kind"]) return Fail(r.Bad(n, what + ": 'kind' is required"));
  if (!n["percent"]) return Fail(r.Bad(n, what + ": 'percent' is required"));
  auto kind = r.String(n["kind"], "kind");
  if (!kind) return Fail(kind.error());
  if (!kDiscountKinds.count(*kind)) {
    std::string list;
    for (const auto& k : kDiscountKinds) list += (list.empty() ? "" : ", ") + k;
    return Fail(r.Bad(n["kind"], what + ": unknown kind '" + *kind + "' (expected one of: " + list + ")"));
  }
  d.kind = *kind;
  if (n["family"]) {
    auto family = r.String(n["family"], "family");
    if (!family) return Fail(family.error());
    if (d.kind != "ec2" && d.kind != "rds") return Fail(r.Bad(n["family"], what + ": 'family' applies to ec2 and rds only"));
    d.family = *family;
  }
  auto percent = Number(r, n["percent"], what + ".percent");
  if (!percent) return Fail(percent.error());
  if (percent->IsNegative() || Decimal::FromInt(100) < *percent)
    return Fail(r.Bad(n["percent"], what + ".percent must be between 0 and 100, not " + n["percent"].Scalar()));
  d.percent = *percent;
  return d;
}

Result<PriceBook> ReadBook(const yaml::Reader& r, const YAML::Node& root) {
  if (!root.IsMap()) return Fail(r.Bad(root, "a price book must be a mapping, not " + std::string(yaml::KindName(root))));
  TG_TRY(r.OnlyKeys(root, {"version", "currency", "default_region", "regions", "discounts"}, "price book"));
  PriceBook book;
  if (!root["version"]) return Fail(Error::Input(r.file() + ": 'version: 1' is required"));
  auto version = r.Int(root["version"], "version");
  if (!version) return Fail(version.error());
  if (*version != 1) return Fail(r.Bad(root["version"], "unsupported price book version " + root["version"].Scalar() + " (expected 1)"));
  if (!root["currency"]) return Fail(Error::Input(r.file() + ": 'currency' is required"));
  auto currency = r.String(root["currency"], "currency");
  if (!currency) return Fail(currency.error());
  book.currency = *currency;
  if (root["default_region"]) {
    auto region = r.String(root["default_region"], "default_region");
    if (!region) return Fail(region.error());
    book.default_region = *region;
  }
  if (!root["regions"]) return Fail(Error::Input(r.file() + ": 'regions' is required"));
  TG_TRY(EachEntry(r, root["regions"], "regions", [&](const std::string& region, const YAML::Node& n) -> Status {
    auto prices = ReadRegion(r, n, "regions." + region);
    if (!prices) return Fail(prices.error());
    book.regions[region] = std::move(*prices);
    return Ok();
  }));
  if (const YAML::Node d = root["discounts"]; d && !d.IsNull()) {
    if (!d.IsSequence()) return Fail(r.Bad(d, "discounts must be a list, not " + std::string(yaml::KindName(d))));
    std::size_t i = 0;
    for (const auto& item : d) {
      auto discount = ReadDiscount(r, item, "discounts[" + std::to_string(i++) + "]");
      if (!discount) return Fail(discount.error());
      book.discounts.push_back(std::move(*discount));
    }
  }
  return book;
}

constexpr int kMaxUsageDepth = 3;

// The plain number or string scalars of one usage entry, "key" or "key.sub".
Status ReadUsageEntry(const yaml::Reader& r, const YAML::Node& n, const std::string& prefix, int depth,
                      std::map<std::string, Decimal>& numbers, std::map<std::string, std::string>& texts) {
  return EachEntry(r, n, prefix.empty() ? "usage" : prefix, [&](const std::string& k, const YAML::Node& v) -> Status {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.IsMap() && depth < kMaxUsageDepth) return ReadUsageEntry(r, v, key, depth + 1, numbers, texts);
    // Lists and deeper mappings (Infracost keeps some for resources priced
    // by region or tier) hold nothing Tollgate reads yet: passed over.
    if (v.IsSequence() || v.IsMap()) return Ok();
    if (!v.IsScalar()) return Fail(r.Bad(v, "usage '" + key + "' must be a number or a string, not " + yaml::KindName(v)));
    const auto type = yaml::Resolve(v);
    if (type == yaml::ScalarType::kInt || type == yaml::ScalarType::kFloat) {
      auto d = Number(r, v, "usage '" + key + "'");
      if (!d) return Fail(d.error());
      if (d->IsNegative()) return Fail(r.Bad(v, "usage '" + key + "' is negative"));
      numbers[key] = *d;
    } else {
      texts[key] = v.Scalar();
    }
    return Ok();
  });
}

}  // namespace

Decimal PriceBook::DiscountFor(const std::string& kind, const std::string& family) const {
  std::optional<Decimal> whole;
  for (const auto& d : discounts) {
    if (d.kind != kind) continue;
    if (!d.family.empty() && d.family == family) return d.percent;
    if (d.family.empty()) whole = d.percent;
  }
  return whole.value_or(Decimal{});
}

Result<PriceBook> ParsePriceBook(std::string_view text, const std::string& file) {
  auto doc = yaml::ParseDocument(text, file);
  if (!doc) return Fail(doc.error());
  const yaml::Reader r(file);
  auto book = yaml::Guarded(file, [&] { return ReadBook(r, doc->root); });
  if (!book) return book;
  book->file = file;
  book->sha256 = HexEncode(Sha256(text));
  return book;
}

Result<PriceBook> LoadPriceBook(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxPriceBookBytes, "price book");
  if (!text) return Fail(text.error());
  return ParsePriceBook(*text, path);
}

const Decimal* Usage::Find(const std::string& address, const std::string& key) const {
  auto a = by_address.find(address);
  if (a == by_address.end()) return nullptr;
  auto k = a->second.find(key);
  return k == a->second.end() ? nullptr : &k->second;
}

const std::string* Usage::FindText(const std::string& address, const std::string& key) const {
  auto a = text_by_address.find(address);
  if (a == text_by_address.end()) return nullptr;
  auto k = a->second.find(key);
  return k == a->second.end() ? nullptr : &k->second;
}

Result<Usage> ParseUsage(std::string_view text, const std::string& file) {
  auto doc = yaml::ParseDocument(text, file);
  if (!doc) return Fail(doc.error());
  const yaml::Reader r(file);
  return yaml::Guarded(file, [&]() -> Result<Usage> {
    const YAML::Node& root = doc->root;
    Usage u;
    if (root.IsNull()) return u;
    TG_TRY(r.OnlyKeys(root, {"version", "resource_usage", "resource_type_default_usage"}, "usage file"));
    TG_TRY(EachEntry(r, root["resource_usage"], "resource_usage", [&](const std::string& address, const YAML::Node& n) {
      return ReadUsageEntry(r, n, "", 0, u.by_address[address], u.text_by_address[address]);
    }));
    return u;
  });
}

Result<Usage> LoadUsage(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxPriceBookBytes, "usage file");
  if (!text) return Fail(text.error());
  return ParseUsage(*text, path);
}

}  // namespace tollgate::finops
