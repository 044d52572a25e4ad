// Filter sink: the streaming engine of user SQL filters. Every active filter of the registry
// (<data-dir>/filters.json, filter/registry.h) runs over every batch: one row per alert — the
// object's features after that alert, its context, the alert's watchlist hits — and each match
// becomes a message in Lasair's shapes (`plain`: the selected columns + `UTC`; `lite`: + the
// light curve; `full`: + the alert's own fields without cutouts). Messages go to the store's
// filter_results table (key: owner.name NUL alert id) and, with a producer, to Kafka topic
// lantern.filter.<owner>.<name>. A changed registry file is picked up within a second, without
// a restart. Each filter has a time budget per batch: one that runs over is skipped for that
// batch and counted; a filter over its daily byte quota has its further matches counted, not
// sent. Python filters (python_filter.h) run in sandboxed workers over the same batches; one
// that fails is disabled — its reason recorded in the registry file — and the rest go on.
// Thread-safe: Write runs on every worker.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "pipeline/level1.h"
#include "pipeline/python_sandbox.h"

namespace lantern::stream {
class Producer;
}

namespace lantern::pipeline {

class PythonFilter;

struct FilterSinkOptions {
  std::string registry_path;                        // filter::RegistryPath(data_dir)
  std::chrono::milliseconds budget{200};            // per filter per batch
  stream::Producer* producer = nullptr;             // Kafka (optional; not owned)
  SandboxLimits python = SandboxLimitsFromEnvironment();  // Python filter workers
  size_t python_workers = 2;                        // worker processes per Python filter
};

struct FilterCounters {
  uint64_t matches = 0;
  uint64_t bytes = 0;
  uint64_t over_budget = 0;   // batches skipped for running over the time budget
  uint64_t over_quota = 0;    // matches not sent: daily byte quota reached
  uint64_t errors = 0;        // runtime errors (e.g. integer overflow)
  std::string disabled_reason;  // a Python filter stopped here: why
};

class FilterSink final : public Sink {
 public:
  FilterSink(store::Store* store, FilterSinkOptions options);
  ~FilterSink() override;

  Status Write(const ProcessedBatch& batch) override;
  Status Flush() override;

  // Filters loaded now (active ones), and per filter "owner.name" → counters.
  size_t active_filters() const;
  std::map<std::string, FilterCounters> counters() const;
  // The last registry problem (unreadable file, a filter that no longer compiles); "" if none.
  std::string last_error() const;

 private:
  struct Loaded;
  std::shared_ptr<const Loaded> Current();
  // Records a Python filter's failure (once per filter): counters, stderr, registry file.
  void RecordDisabled(const std::string& key, const std::string& owner, const std::string& name,
                      const std::string& reason);

  store::Store* store_;
  FilterSinkOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const Loaded> loaded_;
  std::chrono::steady_clock::time_point next_check_{};
  std::string last_error_;
  std::map<std::string, FilterCounters> counters_;
  std::map<std::string, std::pair<int64_t, uint64_t>> quota_day_bytes_;  // key → (day, bytes)
  // Python filters by key, kept across registry reloads while their source is unchanged.
  std::map<std::string, std::shared_ptr<PythonFilter>> python_;
  std::mutex registry_mu_;  // serialises this sink's writes of the registry file
};

}  // namespace lantern::pipeline
