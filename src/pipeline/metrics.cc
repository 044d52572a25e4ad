#include "pipeline/metrics.h"

#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

namespace lantern::pipeline {

std::string_view StageName(Stage stage) {
  static constexpr std::string_view kNames[kNumStages] = {
      "decode", "cutouts", "associate", "features", "crossmatch", "watchlists", "sinks"};
  return kNames[static_cast<int>(stage)];
}

void LatencyHistogram::Record(double seconds) {
  const double us = seconds * 1e6;
  int i = us <= 1.0 ? 0 : static_cast<int>(std::ceil(4.0 * std::log2(us)));
  if (i >= kBuckets) i = kBuckets - 1;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

double LatencyHistogram::Quantile(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  const auto target = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n)));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= target) return std::exp2(i / 4.0) * 1e-6;
  }
  return std::exp2((kBuckets - 1) / 4.0) * 1e-6;
}

void Metrics::RecordStage(Stage s, uint64_t items, double seconds) {
  StageMetrics& m = stage(s);
  m.items.fetch_add(items, std::memory_order_relaxed);
  m.batches.fetch_add(1, std::memory_order_relaxed);
  m.busy_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  m.latency.Record(seconds);
}

void Metrics::CountDeadLetter(const std::string& reason) {
  deadletters.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  ++reasons_[reason];
}

std::map<std::string, uint64_t> Metrics::DeadLetterReasons() const {
  std::lock_guard lock(mu_);
  return reasons_;
}

std::string Metrics::PrometheusText() const {
  std::string out;
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  counter("lantern_alerts_total", "Alerts processed and stored.", alerts.load());
  counter("lantern_messages_total", "Source units (packets, file blocks) processed.",
          messages.load());
  counter("lantern_new_objects_total", "Objects seen for the first time.", new_objects.load());
  counter("lantern_new_detections_total", "Detections stored for the first time.",
          new_detections.load());
  counter("lantern_context_matches_total", "Alerts with a catalogue association.",
          context_matches.load());
  counter("lantern_watchlist_hits_total", "Watchlist hits.", watchlist_hits.load());
  counter("lantern_store_bytes_written_total", "Bytes of keys and values written to the store.",
          bytes_written.load());
  counter("lantern_cutout_bytes_total", "Cutout bytes extracted.", cutout_bytes.load());
  out += "# HELP lantern_queue_depth Batches waiting for a worker.\n"
         "# TYPE lantern_queue_depth gauge\n";
  out += fmt::format("lantern_queue_depth {}\n", queue_depth.load());
  out += "# HELP lantern_lag_seconds Now minus the observation time of the newest alert.\n"
         "# TYPE lantern_lag_seconds gauge\n";
  out += fmt::format("lantern_lag_seconds {:.3f}\n", lag_seconds.load());
  out += "# HELP lantern_deadletters_total Bad packets stored as dead letters, by reason.\n"
         "# TYPE lantern_deadletters_total counter\n";
  for (const auto& [reason, n] : DeadLetterReasons()) {
    std::string escaped;
    for (char c : reason) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (c == '\n') c = ' ';
      escaped.push_back(c);
    }
    out += fmt::format("lantern_deadletters_total{{reason=\"{}\"}} {}\n", escaped, n);
  }
  out += "# HELP lantern_stage_items_total Alerts through each stage.\n"
         "# TYPE lantern_stage_items_total counter\n";
  for (int i = 0; i < kNumStages; ++i) {
    out += fmt::format("lantern_stage_items_total{{stage=\"{}\"}} {}\n",
                       StageName(static_cast<Stage>(i)), stages_[i].items.load());
  }
  out += "# HELP lantern_stage_busy_seconds_total Worker time spent in each stage.\n"
         "# TYPE lantern_stage_busy_seconds_total counter\n";
  for (int i = 0; i < kNumStages; ++i) {
    out += fmt::format("lantern_stage_busy_seconds_total{{stage=\"{}\"}} {:.6f}\n",
                       StageName(static_cast<Stage>(i)), stages_[i].busy_ns.load() * 1e-9);
  }
  out += "# HELP lantern_stage_batch_seconds Batch latency per stage (quantile upper bounds).\n"
         "# TYPE lantern_stage_batch_seconds summary\n";
  for (int i = 0; i < kNumStages; ++i) {
    const auto name = StageName(static_cast<Stage>(i));
    for (double q : {0.5, 0.99}) {
      out += fmt::format("lantern_stage_batch_seconds{{stage=\"{}\",quantile=\"{}\"}} {:.6f}\n",
                         name, q, stages_[i].latency.Quantile(q));
    }
    out += fmt::format("lantern_stage_batch_seconds_count{{stage=\"{}\"}} {}\n", name,
                       stages_[i].latency.count());
  }
  out += "# HELP lantern_batch_seconds Batch latency from read to stored.\n"
         "# TYPE lantern_batch_seconds summary\n";
  for (double q : {0.5, 0.99}) {
    out += fmt::format("lantern_batch_seconds{{quantile=\"{}\"}} {:.6f}\n", q,
                       batch_latency.Quantile(q));
  }
  out += fmt::format("lantern_batch_seconds_count {}\n", batch_latency.count());
  return out;
}

namespace {

class HttpMetricsServer final : public MetricsServer {
 public:
  explicit HttpMetricsServer(const Metrics* metrics) {
    server_.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics->PrometheusText(), "text/plain; version=0.0.4");
    });
  }
  ~HttpMetricsServer() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Status Start(const std::string& host, int port) {
    port_ = port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
    if (port_ < 0) return IoError(fmt::format("metrics: cannot listen on {}:{}", host, port));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return Status::Ok();
  }
  int port() const override { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
};

}  // namespace

Result<std::unique_ptr<MetricsServer>> ServeMetrics(const Metrics* metrics, const std::string& host,
                                                    int port) {
  auto server = std::make_unique<HttpMetricsServer>(metrics);
  RETURN_IF_ERROR(server->Start(host, port));
  return std::unique_ptr<MetricsServer>(std::move(server));
}

}  // namespace lantern::pipeline
