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
// With a transactional id every message goes into the open transaction, and CommitTransaction
// commits it together with the input offsets (exactly-once, docs/kafka.md); it must run while
// no Write does (the Kafka source's batch gate sees to that).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/level1.h"
#include "pipeline/outputs.h"
#include "stream/kafka.h"

namespace lantern::pipeline {

struct KafkaSinkOptions {
  std::string bootstrap;
  std::string prefix = "lantern";
  int partitions = 4;      // for topics the sink creates
  bool insert_streams = true;
  // Insert rows as "json" (arrays of JSON objects) or "avro" (single-object encoded arrays of
  // the survey's own records; their schemas go to <prefix>.schemas). docs/formats.md.
  std::string insert_format = "json";
  std::string compression = "lz4";  // producer codec: none, lz4, zstd, snappy, gzip
  stream::KafkaConfig config;        // extra librdkafka properties (producer and admin)
  std::vector<uint32_t> watchlist_ids;  // a topic for each
  int flush_timeout_ms = 120000;  // also the longest wait of each transaction call
  // Non-empty: transactions. A process started with the id of a dead one fences it and aborts
  // what it left open; two live processes must never share one (they would fence each other).
  std::string transactional_id;
  // The broker aborts a transaction open this long: how long a process that died and is not
  // restarted under its id can hold read_committed consumers back. Also the message timeout.
  int transaction_timeout_ms = 60000;
};

class KafkaSink final : public Sink {
 public:
  // Creates the output topics that do not exist yet. With a transactional id: registers it
  // with the broker (fencing a dead predecessor) and opens the first transaction.
  static Result<std::unique_ptr<KafkaSink>> Create(const KafkaSinkOptions& options);
  // Aborts a transaction still open (the run ended without its last commit).
  ~KafkaSink() override;

  Status Write(const ProcessedBatch& batch) override;
  Status Flush() override;
  // Messages acknowledged / failed so far.
  uint64_t delivered() const;
  uint64_t failed() const;
  // The sink's producer, for other outputs that belong in the same transactions (filters).
  stream::Producer* producer() const { return producer_.get(); }

  // Transactions only, with no Write running: commits the open transaction with `offsets` as
  // `consumer`'s group's positions, then opens the next. On failure the transaction is
  // aborted and every later Write fails with the reason: the outputs since the last commit
  // are gone, and only a restart from the committed offsets produces them again.
  Status CommitTransaction(const std::vector<stream::PartitionOffset>& offsets,
                           const stream::Consumer& consumer);

 private:
  KafkaSink(KafkaSinkOptions options, std::unique_ptr<stream::Producer> producer);
  Status broken() const;

  KafkaSinkOptions options_;
  std::unique_ptr<stream::Producer> producer_;
  InsertRowSchemas row_schemas_;  // --insert-format avro
  mutable std::mutex broken_mu_;
  Status broken_;  // a failed transaction commit: why no Write may go on
};

}  // namespace lantern::pipeline
