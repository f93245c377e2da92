// Canary judgement in the manner of Netflix's Kayenta judge: per metric a
// two-sided Mann-Whitney U test and a Hodges-Lehmann confidence interval,
// direction of harm and effect-size tolerance; a weighted score over metric
// groups; verdict promote, hold or rollback (docs/canary.md). The public
// header of the canary module.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate::canary {

// ---- statistics -----------------------------------------------------------

struct MannWhitneyResult {
  double u = 0;        // U of the first sample, as scipy.stats.mannwhitneyu reports it
  double p_value = 1;  // two-sided
  bool exact = false;  // exact distribution (else normal approximation)
};

// scipy.stats.mannwhitneyu(x, y) with its defaults: two-sided, continuity
// correction, method "auto" (exact when either sample has at most 8 values
// and there are no ties, else the normal approximation with tie correction).
// Samples must be non-empty and free of NaN.
Result<MannWhitneyResult> MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y);

struct ShiftEstimate {
  double estimate = 0;  // Hodges-Lehmann: median of all differences x_i - y_j
  double lower = 0;     // confidence interval for the shift
  double upper = 0;
  bool exact = false;
};

// The shift of x over y with a `confidence` interval (e.g. 0.95): the k-th
// smallest and largest pairwise differences, k from the exact distribution
// of U for small samples without ties, else from the normal approximation.
Result<ShiftEstimate> HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y, double confidence);

// P(U <= k) under the null hypothesis, exactly, for sample sizes m and n.
double ExactUCdf(int k, int m, int n);

// ---- judgement ------------------------------------------------------------

enum class Direction { kIncrease, kDecrease, kEither };  // which change harms
enum class NanStrategy { kReject, kRemove, kZero };

struct MetricConfig {
  std::string name;
  std::string group = "default";
  Direction direction = Direction::kEither;
  // Allowed shift, relative to |median of the baseline| (absolute when that
  // median is 0): a significant change smaller than this still passes.
  double tolerance = 0;
  bool critical = false;  // a failing critical metric rolls back, whatever the score
};

struct JudgeConfig {
  std::string service;
  double confidence = 0.95;
  double pass_threshold = 95;      // score >= this: promote
  double marginal_threshold = 75;  // score >= this: hold; below: rollback
  NanStrategy nan = NanStrategy::kReject;
  bool remove_outliers = false;
  double outlier_factor = 3.0;     // Tukey fences at Q1 - f*IQR, Q3 + f*IQR
  std::map<std::string, double> group_weights;  // missing groups weigh 1
  std::vector<MetricConfig> metrics;
};

Result<JudgeConfig> ParseJudgeConfig(const std::string& text, const std::string& file);
Result<JudgeConfig> LoadJudgeConfig(const std::string& path);

// Metric name -> values (NaN where the source said NaN or null).
using Samples = std::map<std::string, std::vector<double>>;

// JSON ({"metric": [1.0, null, ...]}) or CSV (a header of metric names, one
// row per observation; an empty cell is no observation).
Result<Samples> ParseSamples(const std::string& text, const std::string& file);
Result<Samples> LoadSamples(const std::string& path);

enum class Classification { kPass, kHigh, kLow };
enum class Verdict { kPromote, kHold, kRollback };
const char* ClassificationName(Classification c);  // "pass", "high", "low"
const char* VerdictName(Verdict v);                // "promote", "hold", "rollback"

struct MetricResult {
  MetricConfig config;
  std::size_t baseline_n = 0, canary_n = 0;
  std::size_t removed_nan = 0, removed_outliers = 0;
  double baseline_median = 0, canary_median = 0;
  MannWhitneyResult test;
  ShiftEstimate shift;
  double allowed = 0;  // the tolerance as an absolute shift
  Classification classification = Classification::kPass;
  bool failed = false;  // harmful in the configured direction
  std::string reason;
};

struct Judgement {
  std::vector<MetricResult> metrics;
  std::map<std::string, double> group_scores;  // 0..100
  double score = 0;                            // 0..100
  bool critical_failed = false;
  Verdict verdict = Verdict::kRollback;
};

// `baseline_file` and `canary_file` name the inputs in error messages.
Result<Judgement> Judge(const JudgeConfig& config, const Samples& baseline, const Samples& canary,
                        const std::string& baseline_file, const std::string& canary_file);

Json ToJson(const Judgement& j);
std::string ToText(const Judgement& j);

// The ledger event of a judgement ("canary.judgement"): the verdict, scores
// and metric results, the service, and the names of the inputs it judged.
struct JudgementInputs {
  std::string baseline;
  std::string canary;
  std::string config;
};
Json LedgerEvent(const JudgeConfig& config, const Judgement& j, const JudgementInputs& inputs);

}  // namespace tollgate::canary
