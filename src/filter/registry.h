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
// kSql: selected/tables/conditions in Lasair's dialect. kPython: `python` holds the source of
// a function filter(alert) (docs/filters.md "Python functions"), run in a sandbox.
enum class FilterKind { kSql, kPython };
Result<OutputMode> ParseOutputMode(std::string_view name);  // "plain" | "lite" | "full"
std::string_view OutputModeName(OutputMode mode);

struct FilterSpec {
  std::string owner;  // [A-Za-z0-9_-]{1,64}
  std::string name;   // [A-Za-z0-9_-]{1,64}
  FilterKind kind = FilterKind::kSql;
  alert::Survey survey = alert::Survey::kZtf;
  std::string selected, tables = "objects", conditions;  // kSql
  std::string python;                                    // kPython: the function's source
  // Set by the streaming engine when a Python function crashed, hung, exceeded a limit or tried
  // to leave its sandbox; a filter with a reason is not applied until re-added or unmuted.
  std::string disabled_reason;
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
// Checks owner/name syntax and that the filter compiles against Schema::For(spec.survey)
// (SQL), or that the source is not empty and at most 1 MiB (Python; the sandbox loads it).
Status ValidateFilter(const FilterSpec& spec);
// Records `reason` as owner/name's disabled_reason in the registry file (load, change, atomic
// save). NotFound when the filter is no longer there.
Status DisableInRegistry(const std::string& path, const std::string& owner,
                         const std::string& name, const std::string& reason);
// One entry as the registry file stores it (a JSON object, no whitespace).
std::string SpecToJson(const FilterSpec& spec);

}  // namespace lantern::filter
