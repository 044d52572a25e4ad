// The filter registry: the user filters that `lantern run` applies to the stream, kept in
// <data-dir>/filters.json (a JSON array of FilterSpec) beside — not inside — the store, so that
// `lantern filter` can edit it while `lantern run` holds the store. SaveRegistry replaces the
// file atomically (temporary file + rename), so a reader sees the old or the new file, never
// half of one. The functions hold no state and may be called from any thread; concurrent
// writers of one file are not coordinated (the last rename wins).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "core/status.h"

namespace lantern::filter {

enum class OutputMode { kPlain, kLite, kFull };
Result<OutputMode> ParseOutputMode(std::string_view name);  // "plain" | "lite" | "full"
std::string_view OutputModeName(OutputMode mode);

struct FilterSpec {
  std::string owner;  // [A-Za-z0-9_-]{1,64}
  std::string name;   // [A-Za-z0-9_-]{1,64}
  alert::Survey survey = alert::Survey::kZtf;
  std::string selected, tables = "objects", conditions;
  bool active = true;  // false = muted
  OutputMode mode = OutputMode::kPlain;
  uint64_t daily_quota_bytes = 0;  // 0 = unlimited
  std::string topic() const;       // "lantern.filter.<owner>.<name>"
};

// The registry file: <data-dir>/filters.json (a JSON array of specs). A missing file is an
// empty registry. Save writes a temporary file and renames it over the old one (atomic, so a
// running `lantern run` never reads half a file).
std::string RegistryPath(const std::string& data_dir);
Result<std::vector<FilterSpec>> LoadRegistry(const std::string& path);
Status SaveRegistry(const std::string& path, const std::vector<FilterSpec>& filters);
// Checks owner/name syntax and that the filter compiles against Schema::For(spec.survey).
Status ValidateFilter(const FilterSpec& spec);
// One entry as the registry file stores it (a JSON object, no whitespace).
std::string SpecToJson(const FilterSpec& spec);

}  // namespace lantern::filter
