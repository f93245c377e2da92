// Report writers: the four output formats every command that produces
// findings supports (human text, JSON, SARIF 2.1.0, JUnit XML).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/finding_store.h"
#include "core/result.h"

namespace tollgate {

enum class OutputFormat { kText, kJson, kSarif, kJunit };
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);

// `text` escaped for XML or HTML, in character data or a double-quoted
// attribute value: & < > " become references (and tab, newline, CR), and
// invalid UTF-8 or characters XML forbids become U+FFFD.
std::string MarkupEscape(std::string_view text);

// The outcome of one gate, as far as reports need it.
struct GateSummary {
  std::string name;
  std::string source;        // "import: reports/sast.sarif", "scanner: secrets"
  std::string fail_on;       // "high", "any", ...
  std::string decision;      // "pass" | "blocked" | "waived"
  std::size_t findings = 0;  // findings reported by the source
  std::size_t blocking = 0;  // at or above fail_on and not waived or baselined
  std::size_t waived = 0;
  std::vector<std::string> notes;  // e.g. "bypass: none, waivers ignored"
  std::size_t baselined = 0;  // accepted by a baseline (gate/waiver.h)
};

struct Report {
  std::string tool_name = "tollgate";
  std::string tool_version;
  std::vector<GateSummary> gates;  // empty for a plain scan
  std::vector<Finding> findings;
  // Decided by whoever made the report (the gate evaluation, or a scan's
  // --fail-on threshold); writers only display it.
  std::vector<std::string> blocking_fingerprints;  // findings that block
  std::vector<std::string> waived_fingerprints;    // findings accepted by a waiver
  std::vector<std::string> baselined_fingerprints; // findings accepted by a baseline (never also waived)
  // A plain scan's --fail-on: every finding at or above it blocks (instead
  // of listing each one's fingerprint above).
  std::optional<Severity> blocking_at;
  std::string overall;  // "pass" | "blocked" | "" for a plain scan
  // What the scan ran against, for replay (e.g. the advisory database digest
  // and its newest `modified`); JSON "metadata", SARIF run properties, a
  // text footer. Empty object: nothing written.
  Json metadata = Json::object();
};

struct TextOptions {
  bool color = false;  // ANSI colours; the CLI turns them on only for a TTY
  // Only the gates table and the totals, no findings: what a CI log shows
  // when the full report goes to a file.
  bool summary = false;
};

void WriteText(const Report& r, std::ostream& out, const TextOptions& opts);
void WriteJson(const Report& r, std::ostream& out);
// Reads what WriteJson wrote (a gate run answered by the server, rendered by
// the CLI exactly as a local run).
Result<Report> ReportFromJson(const Json& doc);
// SARIF 2.1.0, valid against the OASIS schema: one run, rules collected from
// the findings, results with level, locations and partialFingerprints.
void WriteSarif(const Report& r, std::ostream& out);
// JUnit XML: one testsuite per gate (or one for a plain scan), one failing
// testcase per blocking finding.
void WriteJunit(const Report& r, std::ostream& out);

void WriteReport(const Report& r, OutputFormat format, std::ostream& out, const TextOptions& opts);
// The same, for findings too many to hold: `findings` instead of
// r.findings, read back from the store (which may fail, on a full disk).
// Every format is written finding by finding.
Status WriteReport(const Report& r, const FindingStore& findings, OutputFormat format, std::ostream& out,
                   const TextOptions& opts);

// WriteReport into the file at `path` as WriteFileAtomic writes (core/
// stream_file.h AtomicFileWriter): the output goes to the file as it is
// produced, never held whole, and `path` is replaced only once it is
// complete. Errors name the file.
Status WriteReportFile(const Report& r, OutputFormat format, const std::string& path, const TextOptions& opts);
Status WriteReportFile(const Report& r, const FindingStore& findings, OutputFormat format, const std::string& path,
                       const TextOptions& opts);

}  // namespace tollgate
