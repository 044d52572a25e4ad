// A compiled filter: a Query (parser.h) bound to a Schema — tables resolved, every column
// reference resolved to a table and column, every expression typed (number, string, null,
// json) — and its vectorized evaluation over a Batch. The WHERE condition is evaluated one
// expression at a time over whole columns, narrowing a selection vector conjunct by conjunct;
// the batch is processed in chunks so that the time budget (Deadline) is checked between
// chunks. A CompiledFilter is immutable after Compile: Run may be called from many threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "filter/ast.h"
#include "filter/batch.h"
#include "filter/schema.h"

namespace lantern::filter {

struct Deadline {
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::time_point::max();
  static Deadline Never() { return {}; }
  static Deadline After(std::chrono::nanoseconds budget) {
    return {std::chrono::steady_clock::now() + budget};
  }
  bool Passed() const { return std::chrono::steady_clock::now() > at; }
};

struct RunOptions {
  Deadline deadline;
  // What mjdnow() returns (jdnow() = mjdnow() + 2400000.5); NaN: the system clock at Run.
  double now_mjd = std::numeric_limits<double>::quiet_NaN();
  // Rows evaluated between deadline checks.
  size_t chunk_rows = 2048;
};

// One output cell; std::monostate is NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// The rows that passed, in output order, with their values laid out row after row in one
// buffer (one allocation per Run, not one per row): values(i) are row i's selected columns,
// order_keys(i) its ORDER BY items.
struct Matches {
  std::vector<uint32_t> rows;  // batch rows that passed, in output order
  size_t width = 0;            // selected columns per row
  size_t key_width = 0;        // ORDER BY items per row
  std::vector<Value> cells;    // rows.size() × width
  std::vector<Value> keys;     // rows.size() × key_width

  size_t size() const { return rows.size(); }
  std::span<const Value> values(size_t i) const { return {cells.data() + i * width, width}; }
  std::span<const Value> order_keys(size_t i) const {
    return {keys.data() + i * key_width, key_width};
  }
};

struct Plan;  // filter.cc

class CompiledFilter {
 public:
  // Errors (kInvalidArgument) name the part, byte offset and token: unknown table or column,
  // ambiguous column, wrong type, unknown function, wrong argument count.
  static Result<CompiledFilter> Compile(const Query& query, const Schema& schema);

  // Rows of `batch` that satisfy the condition, with the selected values, ordered by ORDER BY
  // when there is one (stably: ties keep batch order). kDeadlineExceeded when the budget ran
  // out; kInvalidArgument for a runtime error such as integer overflow.
  Result<Matches> Run(const Batch& batch, const RunOptions& options = {}) const;

  const std::vector<std::string>& column_names() const;
  // Batch table keys the filter reads ("objects", "watchlist:3", ...).
  const std::vector<std::string>& table_keys() const;
  bool ordered() const;
  // Sorts matches collected from several Runs by ORDER BY (stable).
  void Sort(Matches* matches) const;
  // Appends `more` to `all`.
  static void Append(Matches&& more, Matches* all);

 private:
  std::shared_ptr<const Plan> plan_;
};

// Parse + Compile for Lasair's three strings.
Result<CompiledFilter> CompileFilter(std::string_view selected, std::string_view tables,
                                     std::string_view conditions, const Schema& schema);

// Total order used by ORDER BY: NULL first, numbers numerically, strings ignoring ASCII case.
int CompareValues(const Value& a, const Value& b);

}  // namespace lantern::filter
