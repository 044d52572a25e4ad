// Kafka sink: what each batch produced, published keyed by object id (so one object's messages
// stay in one partition, in order):
//   <prefix>.alerts                 enriched alert, Avro single-object encoding (outputs.h)
//   <prefix>.insert.objects         the object's new state, JSON (compacted topic)
//   <prefix>.insert.detections      rows written to the store, JSON (also .forced and
//   <prefix>.insert.nondetections   .nondetections)
//   <prefix>.watchlist.<id>         one JSON message per watchlist hit
//   <prefix>.deadletter             JSON: origin, position, reason, raw bytes (base64)
// The producer is idempotent; Write queues (thread-safe, from every worker), Flush waits for
// the broker's acknowledgements — the Kafka source commits input offsets only after it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/level1.h"

namespace lantern::stream {
class Producer;
}

namespace lantern::pipeline {

struct KafkaSinkOptions {
  std::string bootstrap;
  std::string prefix = "lantern";
  int partitions = 4;      // for topics the sink creates
  bool insert_streams = true;
  std::vector<uint32_t> watchlist_ids;  // a topic for each
  int flush_timeout_ms = 120000;
};

class KafkaSink final : public Sink {
 public:
  // Creates the output topics that do not exist yet.
  static Result<std::unique_ptr<KafkaSink>> Create(const KafkaSinkOptions& options);
  ~KafkaSink() override;

  Status Write(const ProcessedBatch& batch) override;
  Status Flush() override;
  // Messages acknowledged / failed so far.
  uint64_t delivered() const;
  uint64_t failed() const;

 private:
  KafkaSink(KafkaSinkOptions options, std::unique_ptr<stream::Producer> producer);

  KafkaSinkOptions options_;
  std::unique_ptr<stream::Producer> producer_;
};

}  // namespace lantern::pipeline
