// Sources: where the pipeline's raw packets come from. A Source hands out Messages; each
// Message is one unit of work with a stable position (origin + position) so that the store can
// record, atomically with the rows it produced, that the unit is done — a restart then skips
// it. Units: one Kafka message / one file that is a single packet / one block of an Avro
// container file (so that the workers decode in parallel) / one simulated alert.
// Next() is called from one thread (the runner's reader); Messages are then read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "codec/container.h"
#include "codec/schema.h"
#include "codec/schema_source.h"
#include "core/status.h"
#include "stream/simulator.h"

namespace lantern::pipeline {

struct Message {
  enum class Kind : uint8_t {
    kPacket,  // `bytes` is a whole packet: container file, Confluent message
    kBlock,   // `block` of the container file `bytes`, written with `schema`
    kBare,    // `bytes` is one bare datum of `schema`
  };
  Kind kind = Kind::kPacket;
  std::shared_ptr<const std::string> bytes;
  std::shared_ptr<const codec::Schema> schema;  // kBlock, kBare
  codec::ContainerBlock block;                  // kBlock
  std::string origin;     // "file:<path>", "sim:<seed>", "kafka:<topic>/<partition>"
  uint64_t position = 0;  // first record index (files), sequence number or offset
  uint64_t count = 1;     // records covered (kBlock: the block's count)
  // Stored before by an attempt whose outputs may be lost (an aborted Kafka transaction): its
  // rows go to the sinks again even where the store already has them.
  bool redo = false;
  // Where the unit's own bytes are, for dead letters (the block, or the whole packet).
  std::string_view raw() const {
    return kind == Kind::kBlock ? block.data : std::string_view(*bytes);
  }
};

class Source {
 public:
  virtual ~Source() = default;
  // Appends up to `max` messages, waiting at most until `deadline` for the first one.
  // Returns false once the source is exhausted (no more messages will come).
  virtual Result<bool> Next(size_t max, std::chrono::steady_clock::time_point deadline,
                            std::vector<Message>* out) = 0;
  // A short description for the progress line ("files: 12/318", "simulated").
  virtual std::string Describe() const = 0;
  // Errors met while reading that are not tied to a message (unreadable file): the runner
  // stores each as a dead letter. Drained by the caller.
  virtual std::vector<std::pair<Message, std::string>> TakeFailures() { return {}; }
  // A worker has stored `batch` (one vector Next filled) and handed it to every sink. Called
  // from the worker threads.
  virtual void Completed(std::span<const Message> batch) { (void)batch; }
  // Records with the source what is done and durable (Kafka: commits offsets). The runner's
  // reader thread calls it every checkpoint interval and once, `final`, after the workers
  // finished. A source may retry a failed checkpoint later; an error ends the run.
  virtual Status Checkpoint(bool final) {
    (void)final;
    return Status::Ok();
  }
};

// Files or directories (searched for *.avro). Container files are split into blocks.
// `is_done(origin, position)` lets a restarted run skip units already stored.
struct FileSourceOptions {
  std::vector<std::string> paths;
  bool follow = false;  // keep watching the directories for new files
  std::function<bool(const std::string& origin, uint64_t position)> is_done;
};
Result<std::unique_ptr<Source>> MakeFileSource(FileSourceOptions options,
                                               codec::SchemaCache* cache);

// The simulator: `count` alerts (0: unbounded) at `rate` alerts/s (0: as fast as possible),
// skipping the first `skip` (already stored by an earlier run with the same seed).
struct SimulatorSourceOptions {
  stream::SimulatorOptions simulator;
  uint64_t count = 0;
  double rate = 0;
  uint64_t skip = 0;
};
std::unique_ptr<Source> MakeSimulatorSource(SimulatorSourceOptions options);

// Messages held in memory (benchmarks, tests): handed out once, in order.
std::unique_ptr<Source> MakeMemorySource(std::vector<Message> messages);

}  // namespace lantern::pipeline
