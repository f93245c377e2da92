// Pricing one resource's attributes against the price book, and the diff of a
// plan (docs/finops.md "What is priced").
#include <set>

#include "finops/finops.h"

namespace tollgate::finops {
namespace {

// Resource types that cost nothing by themselves: counted, never listed.
const std::set<std::string> kFreeTypes = {
    "aws_vpc",
    "aws_subnet",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_internet_gateway",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_instance_profile",
    "aws_db_subnet_group",
    "aws_db_parameter_group",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_lb_target_group_attachment",
    "aws_s3_bucket_acl",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_eks_node_group",  // its instances are priced as EC2 by the autoscaling group, not here
    "aws_lambda_permission",
};

const std::set<std::string> kSupportedTypes = {"aws_instance",   "aws_ebs_volume",  "aws_db_instance", "aws_s3_bucket",
                                               "aws_nat_gateway", "aws_lb",          "aws_alb",         "aws_eks_cluster",
                                               "aws_lambda_function"};

// S3 storage classes in the order they are listed (usage-file names).
const char* const kS3Classes[] = {"standard",
                                  "intelligent_tiering",
                                  "standard_infrequent_access",
                                  "one_zone_infrequent_access",
                                  "glacier_instant_retrieval",
                                  "glacier_flexible_retrieval",
                                  "glacier_deep_archive"};

std::optional<std::string> Str(const Json& v, const char* key) {
  const auto it = v.find(key);
  if (it == v.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<Decimal> Num(const Json& v, const char* key) {
  const auto it = v.find(key);
  if (it == v.end()) return std::nullopt;
  if (it->is_number_integer()) return Decimal::FromInt(it->get<std::int64_t>());
  if (it->is_number()) return Decimal::Parse(it->dump());  // the shortest text that reads back as the double
  return std::nullopt;
}

bool Bool(const Json& v, const char* key) {
  const auto it = v.find(key);
  return it != v.end() && it->is_boolean() && it->get<bool>();
}

// "m5.large" -> "m5"; "db.r6g.large" -> "db.r6g".
std::string Family(const std::string& type) {
  const std::size_t from = type.rfind("db.", 0) == 0 ? 3 : 0;
  const std::size_t dot = type.find('.', from);
  return dot == std::string::npos ? type : type.substr(0, dot);
}

template <typename M>
const typename M::mapped_type* Lookup(const M& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

class Pricer {
 public:
  Pricer(const PriceBook& book, const RegionPrices* region, const Usage& usage)
      : book_(book), region_(region), usage_(usage) {}

  // Overflow of an amount since the last call (an absurd quantity).
  bool TakeOverflow() { return std::exchange(overflow_, false); }

  ResourceCost Price(const ResourceChange& rc, const Json& v) {
    ResourceCost r;
    r.name = rc.address;
    r.resource_type = rc.type;
    address_ = rc.address;
    out_ = &r.components;
    if (rc.type == "aws_instance") {
      Instance(v);
    } else if (rc.type == "aws_ebs_volume") {
      Volume("", v, "type", "size");
    } else if (rc.type == "aws_db_instance") {
      Database(v);
    } else if (rc.type == "aws_s3_bucket") {
      Bucket();
    } else if (rc.type == "aws_nat_gateway") {
      Hourly("NAT gateway", R(&RegionPrices::nat_gateway_hour), "nat_gateway", "");
      Monthly("Data processed", "GB", Use("monthly_data_processed_gb"), R(&RegionPrices::nat_gateway_gb), "nat_gateway", "",
              true);
    } else if (rc.type == "aws_lb" || rc.type == "aws_alb") {
      const std::string type = Str(v, "load_balancer_type").value_or("application");
      const Decimal* p = region_ ? Lookup(region_->load_balancer, type) : nullptr;
      Hourly(Capitalised(type) + " load balancer", p ? std::optional<Decimal>(*p) : std::nullopt, "load_balancer", "");
      // Capacity units depend on traffic that no usage key describes yet: shown, never zero.
      CostComponent lcu{"Capacity units (not priced yet)", "LCU", {}, {}, {}, {}, {}, true, false};
      out_->push_back(lcu);
    } else if (rc.type == "aws_eks_cluster") {
      Hourly("EKS cluster", R(&RegionPrices::eks_cluster_hour), "eks_cluster", "");
    } else if (rc.type == "aws_lambda_function") {
      Function(v);
    } else {
      r.unsupported = true;
    }
    Total(r);
    return r;
  }

 private:
  std::optional<Decimal> R(std::optional<Decimal> RegionPrices::*field) const {
    return region_ ? region_->*field : std::nullopt;
  }

  std::optional<Decimal> Use(const std::string& key) const {
    const Decimal* d = usage_.Find(address_, key);
    return d ? std::optional<Decimal>(*d) : std::nullopt;
  }

  static std::string Capitalised(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
  }

  std::optional<Decimal> Mul(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
    if (!a || !b) return std::nullopt;
    auto p = a->Times(*b);
    if (!p) overflow_ = true;
    return p.value_or(Decimal{});
  }

  // `price` less the book's discount for kind/family; the name says so.
  std::optional<Decimal> Discounted(std::optional<Decimal> price, const std::string& kind, const std::string& family,
                                    std::string& name) {
    const Decimal pct = book_.DiscountFor(kind, family);
    if (!price || pct.IsZero()) return price;
    const std::string note = pct.ToString() + "% discount";
    if (!name.empty() && name.back() == ')')
      name.insert(name.size() - 1, ", " + note);
    else
      name += " (" + note + ")";
    auto keep = Mul(Decimal::FromInt(100) - pct, price);
    return keep ? std::optional<Decimal>(keep->DividedBy(100)) : std::nullopt;
  }

  void Hourly(std::string name, std::optional<Decimal> price, const std::string& kind, const std::string& family) {
    CostComponent c;
    price = Discounted(price, kind, family, name);
    c.name = std::move(name);
    c.unit = "hours";
    c.hourly_quantity = Decimal::FromInt(1);
    c.monthly_quantity = Decimal::FromInt(kHoursPerMonth);
    c.price = price;
    c.price_not_found = !price;
    c.hourly_cost = price;
    c.monthly_cost = Mul(price, c.monthly_quantity);
    out_->push_back(std::move(c));
  }

  void Monthly(std::string name, std::string unit, std::optional<Decimal> quantity, std::optional<Decimal> price,
               const std::string& kind, const std::string& family, bool usage_based) {
    CostComponent c;
    price = Discounted(price, kind, family, name);
    c.name = std::move(name);
    c.unit = std::move(unit);
    c.usage_based = usage_based;
    c.monthly_quantity = quantity;
    if (quantity) c.hourly_quantity = quantity->DividedBy(kHoursPerMonth);
    c.price = price;
    c.price_not_found = !price;
    c.monthly_cost = Mul(price, quantity);
    if (c.monthly_cost) c.hourly_cost = c.monthly_cost->DividedBy(kHoursPerMonth);
    out_->push_back(std::move(c));
  }

  void Instance(const Json& v) {
    const auto type = Str(v, "instance_type");
    const std::string* os_text = usage_.FindText(address_, "operating_system");
    const std::string os = os_text ? *os_text : "linux";
    const std::string tenancy = Str(v, "tenancy").value_or("default");
    static const std::map<std::string, std::string> kOsNames = {
        {"linux", "Linux/UNIX"}, {"windows", "Windows"}, {"rhel", "RHEL"}, {"suse", "SUSE"}};
    const auto os_name = kOsNames.find(os);
    std::string name = "Instance usage (" + (os_name == kOsNames.end() ? os : os_name->second) + ", on-demand" +
                       (tenancy == "default" ? "" : ", " + tenancy) + ", " + type.value_or("unknown type") + ")";
    std::optional<Decimal> price;
    if (const Ec2Price* p = region_ && type ? Lookup(region_->ec2, *type) : nullptr) {
      if (const auto* by_tenancy = Lookup(p->by_os_tenancy, os))
        if (const Decimal* d = Lookup(*by_tenancy, tenancy)) price = *d;
    }
    Hourly(std::move(name), price, "ec2", type ? Family(*type) : "");
    for (const char* device : {"root_block_device", "ebs_block_device"}) {
      const auto it = v.find(device);
      if (it == v.end() || !it->is_array()) continue;
      for (std::size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_object()) continue;
        const std::string prefix =
            std::string(device) + (it->size() > 1 || std::string(device) == "ebs_block_device" ? "[" + std::to_string(i) + "]" : "");
        Volume(prefix + ": ", (*it)[i], "volume_type", "volume_size");
      }
    }
  }

  void Volume(const std::string& prefix, const Json& v, const char* type_key, const char* size_key) {
    const std::string type = Str(v, type_key).value_or("gp2");
    const EbsPrice* p = region_ ? Lookup(region_->ebs, type) : nullptr;
    Monthly(prefix + "Storage (" + type + ")", "GB", Num(v, size_key), p ? p->gb_month : std::nullopt, "ebs", "", false);
    std::optional<Decimal> iops = Num(v, "iops"), throughput = Num(v, "throughput");
    if (type == "gp3") {  // 3,000 IOPS and 125 MBps are included
      iops = iops && Decimal::FromInt(3000) < *iops ? std::optional<Decimal>(*iops - Decimal::FromInt(3000)) : std::nullopt;
      throughput = throughput && Decimal::FromInt(125) < *throughput
                       ? std::optional<Decimal>(*throughput - Decimal::FromInt(125))
                       : std::nullopt;
    } else if (type != "io1" && type != "io2") {
      iops = throughput = std::nullopt;
    } else {
      throughput = std::nullopt;
    }
    if (iops && !iops->IsZero())
      Monthly(prefix + "Provisioned IOPS", "IOPS", iops, p ? p->iops_month : std::nullopt, "ebs", "", false);
    if (throughput && !throughput->IsZero())
      Monthly(prefix + "Provisioned throughput", "MBps", throughput, p ? p->throughput_month : std::nullopt, "ebs", "", false);
  }

  static std::optional<Decimal> ForAz(const AzPrice* p, bool multi_az) {
    if (!p) return std::nullopt;
    return multi_az ? p->multi_az : p->single_az;
  }

  void Database(const Json& v) {
    const auto cls = Str(v, "instance_class");
    const bool multi = Bool(v, "multi_az");
    const std::string az = multi ? "Multi-AZ" : "Single-AZ";
    Hourly("Database instance (on-demand, " + az + ", " + cls.value_or("unknown class") + ")",
           ForAz(region_ && cls ? Lookup(region_->rds, *cls) : nullptr, multi), "rds", cls ? Family(*cls) : "");
    const std::optional<Decimal> iops = Num(v, "iops");
    const std::string storage =
        Str(v, "storage_type").value_or(iops && !iops->IsZero() ? "io1" : "gp2");
    Monthly("Storage (" + storage + ", " + az + ")", "GB", Num(v, "allocated_storage"),
            ForAz(region_ ? Lookup(region_->rds_storage, storage) : nullptr, multi), "rds_storage", "", false);
    if ((storage == "io1" || storage == "io2") && iops && !iops->IsZero())
      Monthly("Provisioned IOPS (" + az + ")", "IOPS", iops, ForAz(region_ && region_->rds_iops ? &*region_->rds_iops : nullptr, multi),
              "rds_storage", "", false);
  }

  void Bucket() {
    bool any = false;
    for (const char* cls : kS3Classes) {
      const auto gb = Use(std::string(cls) + ".storage_gb");
      if (!gb) continue;
      any = true;
      const Decimal* p = region_ ? Lookup(region_->s3, cls) : nullptr;
      Monthly(std::string("Storage (") + cls + ")", "GB", gb, p ? std::optional<Decimal>(*p) : std::nullopt, "s3", "", true);
    }
    if (!any) {  // no usage: the standard storage line with an unknown quantity
      const Decimal* p = region_ ? Lookup(region_->s3, "standard") : nullptr;
      Monthly("Storage (standard)", "GB", std::nullopt, p ? std::optional<Decimal>(*p) : std::nullopt, "s3", "", true);
    }
  }

  void Function(const Json& v) {
    const Decimal memory_mb = Num(v, "memory_size").value_or(Decimal::FromInt(128));
    const auto requests = Use("monthly_requests");
    const auto duration_ms = Use("request_duration_ms");
    std::optional<Decimal> millions = requests ? std::optional<Decimal>(requests->DividedBy(1'000'000)) : std::nullopt;
    Monthly("Requests", "1M requests", millions, R(&RegionPrices::lambda_requests_per_million), "lambda", "", true);
    std::optional<Decimal> gb_seconds;
    if (requests && duration_ms) {
      // requests x seconds x GB: multiply before dividing, so nothing is lost to rounding.
      auto ms_mb = Mul(Mul(*requests, *duration_ms), memory_mb);
      if (ms_mb) gb_seconds = ms_mb->DividedBy(1000 * 1024);
    }
    Monthly("Duration", "GB-seconds", gb_seconds, R(&RegionPrices::lambda_gb_second), "lambda", "", true);
  }

  static void Total(ResourceCost& r) {
    for (const auto& c : r.components) {
      if (c.price_not_found) r.price_not_found = true;
      if (c.monthly_cost) r.monthly_cost = r.monthly_cost.value_or(Decimal{}) + *c.monthly_cost;
      if (c.hourly_cost) r.hourly_cost = r.hourly_cost.value_or(Decimal{}) + *c.hourly_cost;
    }
    if (r.unsupported) r.price_not_found = true;
  }

  const PriceBook& book_;
  const RegionPrices* region_;  // null when the book has no prices for the plan's region
  const Usage& usage_;
  std::string address_;
  std::vector<CostComponent>* out_ = nullptr;
  bool overflow_ = false;
};

std::optional<Decimal> Minus(const std::optional<Decimal>& now, const std::optional<Decimal>& past, bool has_now,
                             bool has_past) {
  if ((has_now && !now) || (has_past && !past)) return std::nullopt;
  return now.value_or(Decimal{}) - past.value_or(Decimal{});
}

// The difference of one resource: components matched by name, a component on
// one side only counting as zero on the other.
ResourceCost DiffOf(const ResourceCost* now, const ResourceCost* past) {
  const ResourceCost& any = now ? *now : *past;
  ResourceCost d;
  d.name = any.name;
  d.resource_type = any.resource_type;
  d.unsupported = any.unsupported;
  d.price_not_found = (now && now->price_not_found) || (past && past->price_not_found);
  std::vector<std::string> names;
  for (const ResourceCost* side : {now, past})
    if (side)
      for (const auto& c : side->components)
        if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  for (const auto& name : names) {
    auto find = [&](const ResourceCost* side) -> const CostComponent* {
      if (!side) return nullptr;
      for (const auto& c : side->components)
        if (c.name == name) return &c;
      return nullptr;
    };
    const CostComponent* n = find(now);
    const CostComponent* p = find(past);
    const CostComponent& base = n ? *n : *p;
    CostComponent c;
    c.name = name;
    c.unit = base.unit;
    c.price = base.price;
    c.usage_based = base.usage_based;
    c.price_not_found = (n && n->price_not_found) || (p && p->price_not_found);
    c.hourly_quantity = Minus(n ? n->hourly_quantity : std::nullopt, p ? p->hourly_quantity : std::nullopt, n, p);
    c.monthly_quantity = Minus(n ? n->monthly_quantity : std::nullopt, p ? p->monthly_quantity : std::nullopt, n, p);
    c.hourly_cost = Minus(n ? n->hourly_cost : std::nullopt, p ? p->hourly_cost : std::nullopt, n, p);
    c.monthly_cost = Minus(n ? n->monthly_cost : std::nullopt, p ? p->monthly_cost : std::nullopt, n, p);
    if (c.monthly_cost) d.monthly_cost = d.monthly_cost.value_or(Decimal{}) + *c.monthly_cost;
    if (c.hourly_cost) d.hourly_cost = d.hourly_cost.value_or(Decimal{}) + *c.hourly_cost;
    d.components.push_back(std::move(c));
  }
  return d;
}

void Add(Breakdown& b, ResourceCost r) {
  if (r.monthly_cost) b.total_monthly_cost += *r.monthly_cost;
  if (r.hourly_cost) b.total_hourly_cost += *r.hourly_cost;
  b.resources.push_back(std::move(r));
}

}  // namespace

Result<CostDiff> PriceDiff(const Plan& plan, const PriceBook& book, const Usage& usage) {
  CostDiff d;
  d.project = plan.file;
  d.region = plan.region.empty() ? book.default_region : plan.region;
  d.currency = book.currency;
  d.price_book_file = book.file;
  d.price_book_sha256 = book.sha256;
  const auto region = book.regions.find(d.region);
  Pricer pricer(book, region == book.regions.end() ? nullptr : &region->second, usage);
  std::set<std::string> seen;
  for (const auto& rc : plan.changes) {
    if (!seen.insert(rc.address).second) continue;  // one entry per address
    ++d.summary.detected;
    if (kFreeTypes.count(rc.type)) {
      ++d.summary.no_price;
      ++d.summary.no_price_counts[rc.type];
      continue;
    }
    if (kSupportedTypes.count(rc.type)) {
      ++d.summary.supported;
    } else {
      ++d.summary.unsupported;
      ++d.summary.unsupported_counts[rc.type];
    }
    std::optional<ResourceCost> past, now;
    if (rc.before.is_object()) past = pricer.Price(rc, rc.before);
    if (rc.after.is_object()) now = pricer.Price(rc, rc.after);
    if (pricer.TakeOverflow()) return Fail(Error::Input(plan.file + ": " + rc.address + ": an amount is out of range"));
    const bool usage_based = [&] {
      for (const auto* side : {&past, &now})
        if (*side)
          for (const auto& c : (*side)->components)
            if (c.usage_based) return true;
      return false;
    }();
    if (usage_based) ++d.summary.usage_based;
    if ((past && past->price_not_found) || (now && now->price_not_found)) ++d.summary.price_not_found;
    const bool changed = !(rc.actions.size() == 1 && rc.actions[0] == "no-op");
    if (changed && (past || now)) Add(d.diff, DiffOf(now ? &*now : nullptr, past ? &*past : nullptr));
    if (past) Add(d.past, std::move(*past));
    if (now) Add(d.now, std::move(*now));
  }
  // The diff's totals are the difference of the totals, as Infracost reports them.
  d.diff.total_monthly_cost = d.now.total_monthly_cost - d.past.total_monthly_cost;
  d.diff.total_hourly_cost = d.now.total_hourly_cost - d.past.total_hourly_cost;
  return d;
}

}  // namespace tollgate::finops
