#include "pipeline/runner.h"

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while full. False once closed.
  bool Push(std::vector<Message> batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || queue_.size() < capacity_; });
    if (closed_) return false;
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
    return true;
  }
  // Blocks while empty; false when closed and drained.
  bool Pop(std::vector<Message>* batch) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    *batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::vector<Message>> queue_;
  bool closed_ = false;
};

std::string FormatLag(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{:.1f} h", seconds / 3600);
  if (seconds < 730 * 86400) return fmt::format("{:.0f} d", seconds / 86400);
  return fmt::format("{:.1f} y", seconds / (365.25 * 86400));
}

class Progress {
 public:
  Progress(const Metrics& metrics, const Source& source, double interval)
      : metrics_(metrics), source_(source), interval_(interval), tty_(isatty(2)),
        start_(Clock::now()), last_(start_) {}

  void Tick(bool force = false) {
    if (interval_ <= 0) return;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < interval_) return;
    const uint64_t alerts = metrics_.alerts.load();
    const double rate = since > 0 ? static_cast<double>(alerts - last_alerts_) / since : 0;
    last_ = now;
    last_alerts_ = alerts;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string line = fmt::format(
        "[{:7.1f} s] {} alerts  {}/s  objects {}  matches {}  watchlist {}  dead {}  lag {}  "
        "queue {}  {}",
        elapsed, Thousands(alerts), Thousands(static_cast<uint64_t>(rate)),
        Thousands(metrics_.new_objects.load()), Thousands(metrics_.context_matches.load()),
        Thousands(metrics_.watchlist_hits.load()), Thousands(metrics_.deadletters.load()),
        metrics_.alerts.load() ? FormatLag(metrics_.lag_seconds.load()) : std::string("-"),
        metrics_.queue_depth.load(), source_.Describe());
    if (tty_) {
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  void End() {
    if (interval_ <= 0) return;
    Tick(true);
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  const Metrics& metrics_;
  const Source& source_;
  double interval_;
  bool tty_;
  Clock::time_point start_, last_;
  uint64_t last_alerts_ = 0;
};

}  // namespace

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

Result<RunSummary> Run(Source* source, Level1* level1, const RunnerOptions& options) {
  const int threads = std::max(1, options.threads);
  Metrics& metrics = *level1->metrics();
  const RunSummary before{metrics.alerts.load(),         metrics.messages.load(),
                          metrics.deadletters.load(),    metrics.new_objects.load(),
                          metrics.new_detections.load(), metrics.context_matches.load(),
                          metrics.watchlist_hits.load(), metrics.bytes_written.load()};
  BatchQueue queue(options.queue_batches ? options.queue_batches : 2 * threads);
  std::mutex error_mu;
  std::mutex entry_mu;  // see the workers' loop
  Status first_error;
  std::atomic<bool> failed{false};

  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      // Named for top -H and perf: "l1-worker-N".
      pthread_setname_np(pthread_self(), fmt::format("l1-worker-{}", i).c_str());
      Level1::Worker worker(level1);
      std::vector<Message> batch;
      for (;;) {
        // One worker at a time takes a batch, enters the gate and takes its claim ticket, so
        // tickets follow the stream's order and only batches inside the gate hold earlier ones
        // (a checkpoint holding the gate never waits on a batch that waits on one outside).
        std::shared_lock<std::shared_mutex> gate;
        uint64_t ticket = 0;
        {
          std::lock_guard entry(entry_mu);
          if (!queue.Pop(&batch)) break;
          if (options.batch_gate != nullptr) gate = std::shared_lock(*options.batch_gate);
          ticket = level1->TakeTicket();
        }
        metrics.queue_depth.store(static_cast<int64_t>(queue.size()));
        Status st = worker.Process(batch, ticket);
        if (st.ok()) source->Completed(batch);
        if (!st.ok()) {
          std::lock_guard lock(error_mu);
          if (first_error.ok()) first_error = st;
          failed = true;
          queue.Close();
          return;
        }
      }
    });
  }

  Progress progress(metrics, *source, options.progress_seconds);
  const auto start = Clock::now();
  auto last_flush = start;
  auto last_checkpoint = start;
  bool stopped = false;
  Status read_error;
  for (;;) {
    if (options.stop && options.stop->load()) {
      stopped = true;
      break;
    }
    if (failed) break;
    std::vector<Message> batch;
    // Wake at least once per progress interval (and to notice `stop`) even when idle.
    const auto deadline = Clock::now() + options.max_wait;
    auto more = source->Next(options.batch_size, deadline, &batch);
    for (auto& [message, reason] : source->TakeFailures()) {
      Status st = level1->DeadLetter(message, reason);
      if (!st.ok()) read_error = st;
    }
    if (!more.ok()) {
      read_error = more.status();
      break;
    }
    if (!batch.empty()) {
      metrics.queue_depth.store(static_cast<int64_t>(queue.size() + 1));
      if (!queue.Push(std::move(batch))) break;
    }
    progress.Tick();
    if (options.flush_seconds > 0 &&
        Clock::now() - last_flush > std::chrono::duration<double>(options.flush_seconds)) {
      last_flush = Clock::now();
      Status st = level1->store()->Flush(/*wait=*/false);
      if (!st.ok()) {
        read_error = st;
        break;
      }
    }
    if (Clock::now() - last_checkpoint >
        std::chrono::duration<double>(options.checkpoint_seconds)) {
      last_checkpoint = Clock::now();
      if (Status st = source->Checkpoint(/*final=*/false); !st.ok()) {
        read_error = st;
        break;
      }
    }
    if (!*more) break;
  }
  queue.Close();
  for (std::thread& w : workers) w.join();
  if (first_error.ok() && read_error.ok()) read_error = source->Checkpoint(/*final=*/true);
  metrics.queue_depth.store(0);
  progress.End();
  if (!first_error.ok()) return first_error;
  if (!read_error.ok()) return read_error;

  RunSummary s;
  s.alerts = metrics.alerts.load() - before.alerts;
  s.messages = metrics.messages.load() - before.messages;
  s.deadletters = metrics.deadletters.load() - before.deadletters;
  s.new_objects = metrics.new_objects.load() - before.new_objects;
  s.new_detections = metrics.new_detections.load() - before.new_detections;
  s.context_matches = metrics.context_matches.load() - before.context_matches;
  s.watchlist_hits = metrics.watchlist_hits.load() - before.watchlist_hits;
  s.bytes_written = metrics.bytes_written.load() - before.bytes_written;
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.stopped = stopped;
  return s;
}

std::string FormatSummary(const RunSummary& s, const Metrics& metrics) {
  std::string out = fmt::format(
      "{} alerts in {:.1f} s ({}/s){}\n"
      "  new objects {}, new detections {}, catalogue matches {}, watchlist hits {}\n"
      "  dead letters {}, store bytes written {}\n",
      Thousands(s.alerts), s.seconds,
      Thousands(static_cast<uint64_t>(s.seconds > 0 ? s.alerts / s.seconds : 0)),
      s.stopped ? " (stopped)" : "", Thousands(s.new_objects), Thousands(s.new_detections),
      Thousands(s.context_matches), Thousands(s.watchlist_hits), Thousands(s.deadletters),
      Thousands(s.bytes_written));
  out += "  stage busy seconds:";
  for (int i = 0; i < kNumStages; ++i) {
    const Stage st = static_cast<Stage>(i);
    out += fmt::format(" {} {:.2f}", StageName(st), metrics.stage(st).busy_ns.load() * 1e-9);
  }
  out += fmt::format("\n  batch latency p50 {:.1f} ms, p99 {:.1f} ms\n",
                     metrics.batch_latency.Quantile(0.5) * 1e3,
                     metrics.batch_latency.Quantile(0.99) * 1e3);
  for (const auto& [reason, n] : metrics.DeadLetterReasons()) {
    out += fmt::format("  dead letter: {} × {}\n", n, reason);
  }
  return out;
}

}  // namespace lantern::pipeline
