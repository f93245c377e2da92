// Mann-Whitney U and Hodges-Lehmann, matching scipy.stats.mannwhitneyu's
// defaults (SciPy 1.10) for the test and the classical exact/normal
// construction for the interval (Hollander & Wolfe, ch. 4).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "canary/canary.h"

namespace tollgate::canary {
namespace {

// Beyond this many cells of the exact distribution the normal approximation
// is used even where SciPy would compute exactly (documented in docs/canary.md).
constexpr double kMaxExactCells = 2e4;
// Hodges-Lehmann needs every pairwise difference in memory.
constexpr double kMaxPairs = 4e6;

double NormalSf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// The z with NormalSf(z) = p, by bisection (p in (0, 1)).
double NormalIsf(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    if (NormalSf(mid) > p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

// Average ranks (1-based) of the concatenation and the tie term sum(t^3 - t).
std::vector<double> Ranks(const std::vector<double>& all, double* tie_term, bool* ties) {
  std::vector<std::size_t> idx(all.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return all[a] < all[b]; });
  std::vector<double> ranks(all.size());
  *tie_term = 0;
  *ties = false;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && all[idx[j + 1]] == all[idx[i]]) ++j;
    const double t = static_cast<double>(j - i + 1);
    const double avg = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
    for (std::size_t k = i; k <= j; ++k) ranks[idx[k]] = avg;
    if (t > 1) {
      *ties = true;
      *tie_term += t * t * t - t;
    }
    i = j + 1;
  }
  return ranks;
}

// Counts of U = 0..m*n over all arrangements: the coefficients of the
// Gaussian binomial [m+n choose m]_q, by f(i,j) = q^j f(i-1,j) + f(i,j-1).
std::vector<double> UCounts(int m, int n) {
  if (m > n) std::swap(m, n);
  std::vector<std::vector<double>> f(static_cast<std::size_t>(m) + 1, std::vector<double>(1, 1.0));
  for (int j = 1; j <= n; ++j) {
    for (int i = 1; i <= m; ++i) {
      std::vector<double>& cur = f[static_cast<std::size_t>(i)];          // f(i, j-1)
      const std::vector<double>& prev = f[static_cast<std::size_t>(i) - 1];  // f(i-1, j)
      std::vector<double> next(static_cast<std::size_t>(i) * static_cast<std::size_t>(j) + 1, 0.0);
      for (std::size_t k = 0; k < cur.size(); ++k) next[k] += cur[k];
      for (std::size_t k = 0; k < prev.size(); ++k) next[k + static_cast<std::size_t>(j)] += prev[k];
      cur = std::move(next);
    }
  }
  return f[static_cast<std::size_t>(m)];
}

bool UseExact(std::size_t n1, std::size_t n2, bool ties) {
  if (n1 > 8 && n2 > 8) return false;
  if (ties) return false;
  return static_cast<double>(n1) * static_cast<double>(n2) <= kMaxExactCells;
}

Status CheckSample(const std::vector<double>& v, const char* which) {
  if (v.empty()) return Fail(Error::Input(std::string("the ") + which + " sample is empty"));
  for (double d : v)
    if (!std::isfinite(d)) return Fail(Error::Input(std::string("the ") + which + " sample holds NaN or infinity"));
  return Ok();
}

}  // namespace

double ExactUCdf(int k, int m, int n) {
  if (k < 0) return 0;
  auto c = UCounts(m, n);
  double total = std::accumulate(c.begin(), c.end(), 0.0);
  double acc = 0;
  for (int u = 0; u <= k && u < static_cast<int>(c.size()); ++u) acc += c[static_cast<std::size_t>(u)];
  return std::min(1.0, acc / total);
}

Result<MannWhitneyResult> MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y) {
  TG_TRY(CheckSample(x, "first"));
  TG_TRY(CheckSample(y, "second"));
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  std::vector<double> all(x);
  all.insert(all.end(), y.begin(), y.end());
  double tie_term = 0;
  bool ties = false;
  auto ranks = Ranks(all, &tie_term, &ties);
  double r1 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) r1 += ranks[i];
  MannWhitneyResult res;
  const double u1 = r1 - n1 * (n1 + 1) / 2;
  const double u2 = n1 * n2 - u1;
  res.u = u1;
  const double u = std::max(u1, u2);
  if (UseExact(x.size(), y.size(), ties)) {
    res.exact = true;
    // sf(U) = P(U_stat >= U) = 1 - cdf(U - 1); U is an integer without ties.
    const int ui = static_cast<int>(std::llround(u));
    auto c = UCounts(static_cast<int>(x.size()), static_cast<int>(y.size()));
    double total = std::accumulate(c.begin(), c.end(), 0.0);
    double tail = 0;
    for (std::size_t k = static_cast<std::size_t>(ui); k < c.size(); ++k) tail += c[k];
    res.p_value = std::clamp(2 * tail / total, 0.0, 1.0);
  } else {
    const double n = n1 + n2;
    const double s = std::sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
    const double numerator = u - n1 * n2 / 2 - 0.5;  // continuity correction
    double p = 1;
    if (s > 0 && std::isfinite(s)) p = 2 * NormalSf(numerator / s);
    res.p_value = std::clamp(p, 0.0, 1.0);
  }
  return res;
}

Result<ShiftEstimate> HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
  TG_TRY(CheckSample(x, "first"));
  TG_TRY(CheckSample(y, "second"));
  if (!(confidence > 0 && confidence < 1)) return Fail(Error::Input("the confidence level must be between 0 and 1"));
  const double pairs = static_cast<double>(x.size()) * static_cast<double>(y.size());
  if (pairs > kMaxPairs)
    return Fail(Error::Input("samples too large for the Hodges-Lehmann interval (" + std::to_string(x.size()) + " x " +
                             std::to_string(y.size()) + " pairs; at most 4,000,000): aggregate or sample them first"));
  std::vector<double> d;
  d.reserve(static_cast<std::size_t>(pairs));
  for (double a : x)
    for (double b : y) d.push_back(a - b);
  std::sort(d.begin(), d.end());
  const std::size_t N = d.size();
  ShiftEstimate est;
  est.estimate = N % 2 ? d[N / 2] : (d[N / 2 - 1] + d[N / 2]) / 2;

  std::vector<double> all(x);
  all.insert(all.end(), y.begin(), y.end());
  double tie_term = 0;
  bool ties = false;
  (void)Ranks(all, &tie_term, &ties);
  const double alpha = 1 - confidence;
  std::size_t k = 1;  // 1-based rank of the lower bound among the differences
  if (UseExact(x.size(), y.size(), ties)) {
    est.exact = true;
    // Largest k with P(U <= k-1) <= alpha/2 (at least 1).
    auto c = UCounts(static_cast<int>(x.size()), static_cast<int>(y.size()));
    double total = std::accumulate(c.begin(), c.end(), 0.0);
    double acc = 0;
    for (std::size_t j = 0; j < c.size(); ++j) {
      acc += c[j];
      if (acc / total <= alpha / 2 + 1e-12)
        k = j + 1;
      else
        break;
    }
  } else {
    const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size()), n = n1 + n2;
    const double s = std::sqrt(n1 * n2 / 12 * ((n + 1) - (n > 1 ? tie_term / (n * (n - 1)) : 0)));
    const double z = NormalIsf(alpha / 2);
    const double kk = std::floor(static_cast<double>(N) / 2 - z * s + 0.5);
    k = kk < 1 ? 1 : static_cast<std::size_t>(kk);
  }
  if (k > (N + 1) / 2) k = (N + 1) / 2;
  est.lower = d[k - 1];
  est.upper = d[N - k];
  return est;
}

}  // namespace tollgate::canary
