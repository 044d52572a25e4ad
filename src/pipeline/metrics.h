// Pipeline metrics: per-stage counters, busy time and batch latency (log-bucket histogram,
// p50/p99), plus the counts the progress line shows. Everything is atomic: workers record,
// the progress line and the Prometheus endpoint read, without locks (dead-letter reasons take a
// mutex; they are rare). PrometheusText() renders the text exposition format; ServeMetrics
// serves it over HTTP.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lantern::pipeline {

enum class Stage : uint8_t {
  kDecode, kCutouts, kAssociate, kFeatures, kCrossmatch, kWatchlists, kSinks,
};
inline constexpr int kNumStages = 7;
std::string_view StageName(Stage stage);

class LatencyHistogram {
 public:
  void Record(double seconds);
  // Upper edge of the bucket holding quantile q (0 when empty).
  double Quantile(double q) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  // Buckets: 1 µs × 2^(i/4), i = 0..kBuckets-1 (up to ~18 minutes).
  static constexpr int kBuckets = 120;
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
};

struct StageMetrics {
  std::atomic<uint64_t> items{0};    // alerts through the stage
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> busy_ns{0};  // time spent in the stage, all workers
  LatencyHistogram latency;          // per batch
};

class Metrics {
 public:
  StageMetrics& stage(Stage s) { return stages_[static_cast<int>(s)]; }
  const StageMetrics& stage(Stage s) const { return stages_[static_cast<int>(s)]; }
  void RecordStage(Stage s, uint64_t items, double seconds);

  std::atomic<uint64_t> alerts{0};         // alerts fully processed (stored)
  std::atomic<uint64_t> messages{0};       // source units done
  std::atomic<uint64_t> new_objects{0};
  std::atomic<uint64_t> new_detections{0};
  std::atomic<uint64_t> context_matches{0};  // alerts with a catalogue association
  std::atomic<uint64_t> watchlist_hits{0};
  std::atomic<uint64_t> deadletters{0};
  std::atomic<uint64_t> bytes_written{0};    // store write sets (keys + values)
  std::atomic<uint64_t> cutout_bytes{0};
  std::atomic<int64_t> queue_depth{0};       // batches waiting for a worker
  std::atomic<double> lag_seconds{0};        // now − newest alert time seen (MJD based)
  LatencyHistogram batch_latency;            // read → stored, per batch

  void CountDeadLetter(const std::string& reason);
  std::map<std::string, uint64_t> DeadLetterReasons() const;

  std::string PrometheusText() const;

 private:
  std::array<StageMetrics, kNumStages> stages_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> reasons_;
};

// Serves `metrics` as Prometheus text on http://host:port/metrics from a background thread
// until the returned handle is destroyed.
class MetricsServer {
 public:
  virtual ~MetricsServer() = default;
  virtual int port() const = 0;
};
Result<std::unique_ptr<MetricsServer>> ServeMetrics(const Metrics* metrics, const std::string& host,
                                                    int port);

}  // namespace lantern::pipeline
