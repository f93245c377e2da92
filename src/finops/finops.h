// FinOps: the monthly cost of a Terraform plan, before and after, from a
// local price book (docs/finops.md). Nothing here reads the network.
//
// Money and quantities are exact decimals (Decimal), never binary floats, so
// 730 h x 0.096 is 70.08 and sums never print 0.30000000000000004.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate::finops {

// Hours in a month, as Infracost and the AWS calculator count them.
inline constexpr int kHoursPerMonth = 730;

// A signed decimal with 12 fractional digits held exactly (a 128-bit count of
// 10^-12 units). Parsed from text, never from a double.
class Decimal {
 public:
  __extension__ using Units = __int128;
  static constexpr int kPlaces = 12;

  Decimal() = default;
  static Decimal FromInt(std::int64_t v);
  // "12", "-0.5", "0.0000166667", "2e-7", "1.5E3". Nothing else (no "+",
  // "inf", "0x", spaces); more than 12 fractional digits are rounded half away
  // from zero; a magnitude of 10^15 or more is refused (nullopt).
  static std::optional<Decimal> Parse(std::string_view text);

  Decimal operator+(const Decimal& o) const { return Raw(units_ + o.units_); }
  Decimal operator-(const Decimal& o) const { return Raw(units_ - o.units_); }
  Decimal& operator+=(const Decimal& o) {
    units_ += o.units_;
    return *this;
  }
  // Rounded half away from zero to 12 places; nullopt when the product does
  // not fit (magnitudes far beyond any bill).
  std::optional<Decimal> Times(const Decimal& o) const;
  // Rounded half away from zero to 12 places; `divisor` must not be 0.
  Decimal DividedBy(std::int64_t divisor) const;
  bool operator==(const Decimal& o) const = default;
  auto operator<=>(const Decimal& o) const = default;
  bool IsNegative() const { return units_ < 0; }
  bool IsZero() const { return units_ == 0; }

  // Shortest exact text: "70.08", "0", "-12.5", "0.0000166667".
  std::string ToString() const;
  // Rounded to `places` (half away from zero), always with that many: "70.08".
  std::string Fixed(int places) const;

 private:
  static Decimal Raw(Units u) {
    Decimal d;
    d.units_ = u;
    return d;
  }
  Units units_ = 0;
};

// ---- Price book (docs/finops.md "Price book") --------------------------------

// An hourly or monthly rate, possibly with a discount already applied.
struct Rate {
  Decimal price;
  Decimal discount_percent;  // 0 when none applies
};

// EC2 on-demand price of one instance type: per operating system
// (linux, windows, rhel, suse), per tenancy (default, dedicated, host).
struct Ec2Price {
  std::map<std::string, std::map<std::string, Decimal>> by_os_tenancy;
};

struct EbsPrice {
  std::optional<Decimal> gb_month, iops_month, throughput_month;
};

struct AzPrice {  // RDS: Single-AZ and Multi-AZ rates
  std::optional<Decimal> single_az, multi_az;
};

struct RegionPrices {
  std::map<std::string, Ec2Price> ec2;            // instance type
  std::map<std::string, EbsPrice> ebs;            // volume type
  std::map<std::string, AzPrice> rds;             // instance class, per hour
  std::map<std::string, AzPrice> rds_storage;     // storage type, per GB-month
  std::optional<AzPrice> rds_iops;                // per provisioned IOPS-month (io1, io2)
  std::map<std::string, Decimal> s3;              // storage class (usage-file name), per GB-month
  std::optional<Decimal> nat_gateway_hour, nat_gateway_gb;
  std::map<std::string, Decimal> load_balancer;   // application, network, gateway: per hour
  std::optional<Decimal> eks_cluster_hour;
  std::optional<Decimal> lambda_requests_per_million, lambda_gb_second;
  std::optional<Decimal> k8s_vcpu_hour, k8s_gib_hour;  // `kubernetes:` requests, for tollgate rightsize
};

// A negotiated discount: percent off every price of `kind` (ec2, ebs, rds,
// rds_storage, s3, nat_gateway, load_balancer, eks_cluster, lambda, kubernetes), or only
// of one instance family (m5, db.r6g) of ec2 or rds. The most specific wins;
// discounts never stack.
struct Discount {
  std::string kind;
  std::string family;  // "" for the whole kind
  Decimal percent;
};

struct PriceBook {
  std::string file;    // as given, for provenance
  std::string sha256;  // hex of the file's bytes
  std::string currency;
  std::string default_region;
  std::map<std::string, RegionPrices> regions;
  std::vector<Discount> discounts;

  // The discount for `kind` (and instance `family`), or 0.
  Decimal DiscountFor(const std::string& kind, const std::string& family) const;
};

// Parses a price book; errors read "file:line:column: problem" (duplicate and
// unknown keys, negative prices, a discount outside 0..100).
Result<PriceBook> ParsePriceBook(std::string_view text, const std::string& file);
Result<PriceBook> LoadPriceBook(const std::string& path);

// ---- Usage file (Infracost's infracost-usage.yml layout) ---------------------

// resource_usage: { ADDRESS: { key: number | { key: number } } } flattened to
// "key" and "key.sub" per address; values kept exactly.
struct Usage {
  std::map<std::string, std::map<std::string, Decimal>> by_address;
  std::map<std::string, std::map<std::string, std::string>> text_by_address;  // string values (operating_system)
  const Decimal* Find(const std::string& address, const std::string& key) const;
  const std::string* FindText(const std::string& address, const std::string& key) const;
};
Result<Usage> ParseUsage(std::string_view text, const std::string& file);
Result<Usage> LoadUsage(const std::string& path);

// ---- Terraform plan ----------------------------------------------------------

struct ResourceChange {
  std::string address, type, name;
  std::vector<std::string> actions;  // create, update, delete, no-op, read
  Json before;                       // null when it does not exist before
  Json after;                        // null when it does not exist after
};

struct Plan {
  std::string file;
  std::string format_version;
  std::string region;  // of the aws provider; "" when the plan does not say
  std::vector<ResourceChange> changes;  // managed resources only
};

// Accepts format_version 0.x and 1.x; anything else, JSON that is not a plan,
// or resource_changes that is not an array is an Input error naming `file`.
Result<Plan> ParsePlan(std::string_view text, const std::string& file);
Result<Plan> LoadPlan(const std::string& path);

// ---- Costs (Infracost's JSON names, docs/finops.md "JSON output") ------------

struct CostComponent {
  std::string name;
  std::string unit;
  std::optional<Decimal> hourly_quantity, monthly_quantity, price, hourly_cost, monthly_cost;
  bool usage_based = false;
  bool price_not_found = false;
};

struct ResourceCost {
  std::string name;  // the address
  std::string resource_type;
  std::vector<CostComponent> components;
  std::optional<Decimal> hourly_cost, monthly_cost;  // null when no component has a cost
  bool unsupported = false;      // a type Tollgate does not price
  bool price_not_found = false;  // unsupported, or some component's price is missing from the book
};

struct Breakdown {
  std::vector<ResourceCost> resources;
  Decimal total_hourly_cost, total_monthly_cost;
};

struct Summary {
  int detected = 0, supported = 0, unsupported = 0, usage_based = 0, no_price = 0, price_not_found = 0;
  std::map<std::string, int> unsupported_counts, no_price_counts;
};

struct CostDiff {
  std::string project;  // the plan's file name
  std::string region;
  std::string currency;
  std::string price_book_file, price_book_sha256;
  std::string usage_file;
  Breakdown past, now, diff;
  Summary summary;
};

// Prices every managed resource of `plan` before and after. An amount beyond
// range is an Input error naming the resource.
Result<CostDiff> PriceDiff(const Plan& plan, const PriceBook& book, const Usage& usage);

// Infracost's JSON output (version "0.2" field names; amounts as decimal strings).
Json ToInfracostJson(const CostDiff& d);
// A table per resource, then the totals before, after and the difference.
std::string ToText(const CostDiff& d);

}  // namespace tollgate::finops
