// Runner: the pipeline's threads. The calling thread reads batches from the Source (up to
// batch_size messages, waiting at most max_wait for a batch to fill so latency stays bounded
// at low rates) into a bounded queue — when every worker is busy and the queue is full the
// reader blocks, which is the back-pressure on the source — and N worker threads each take a
// batch and run it to completion through Level1. A progress line reports the rate, objects,
// matches, lag and queue depth; Run returns when the source is exhausted or `stop` turns true
// (batches already read are finished, so nothing read is half-stored).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>

#include "core/status.h"
#include "pipeline/level1.h"
#include "pipeline/source.h"

namespace lantern::pipeline {

struct RunnerOptions {
  int threads = 1;
  size_t batch_size = 256;                       // messages per batch
  // Longest wait for a batch to fill: at 1,000 alerts/s a batch waits for all of it, so it
  // is the median latency's floor there (50 ms: p50 50 ms, 250 ms: ~190 ms; docs/benchmarks.md).
  std::chrono::milliseconds max_wait{50};
  size_t queue_batches = 0;                      // 0: 2 × threads
  double progress_seconds = 2.0;                 // 0: no progress line
  // A store without its write-ahead log loses, in a crash, what is not flushed yet (and the
  // source replays it); flushing every this many seconds bounds that replay. 0: never.
  double flush_seconds = 0;
  double checkpoint_seconds = 5;                 // how often Source::Checkpoint runs
  const std::atomic<bool>* stop = nullptr;       // set from a signal handler to stop
  // Held shared by a worker from the start of Process to the end of Source::Completed, so
  // whoever holds it exclusively sees every batch either not started or completed (the Kafka
  // source's transactional checkpoint). Optional; not owned.
  std::shared_mutex* batch_gate = nullptr;
};

struct RunSummary {
  uint64_t alerts = 0;
  uint64_t messages = 0;
  uint64_t deadletters = 0;
  uint64_t new_objects = 0;
  uint64_t new_detections = 0;
  uint64_t context_matches = 0;
  uint64_t watchlist_hits = 0;
  uint64_t bytes_written = 0;
  double seconds = 0;
  bool stopped = false;  // ended by `stop`, not by the end of the source
};

Result<RunSummary> Run(Source* source, Level1* level1, const RunnerOptions& options);

// "12,345"
std::string Thousands(uint64_t n);
// The summary as the text printed at exit.
std::string FormatSummary(const RunSummary& summary, const Metrics& metrics);

}  // namespace lantern::pipeline
