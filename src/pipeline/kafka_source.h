// Kafka source: one consumer in a consumer group, reading one topic. Each Kafka message is a
// unit "kafka:<topic>/<partition>" at its offset (ZTF: an Avro container; Rubin: Confluent
// framing). Offsets are committed only at a checkpoint, and only for the prefix of each
// partition whose batches are all completed (stored and handed to every sink), after `durable`
// has made them durable (store flush, sink flush) — so a crash never commits what could still
// be lost. A message whose done mark is already in the store (stored before a crash that came
// before its commit) is skipped and counts as completed. When the group takes partitions away,
// the source waits for their batches in flight, checkpoints, then lets them go.
// Transactional (`commit_transaction` set): a checkpoint holds the batch gate exclusively, so
// no batch is half-produced, and commits the offsets in the sink's transaction instead of
// through the consumer; it never skips stored messages (their output may have been aborted),
// and a failed checkpoint, a lost assignment or an undrained revoke ends the run with an error.
// Next, Checkpoint and the rebalance hook run on the reader thread; Completed on any worker.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/source.h"
#include "stream/kafka.h"

namespace lantern::pipeline {

struct KafkaSourceOptions {
  std::string bootstrap;  // host:port[,host:port]
  std::string topic;
  std::string group = "lantern";
  // Stop (the source reports the end) after this long without a message; 0: never.
  double exit_when_idle_seconds = 0;
  stream::KafkaConfig config;  // extra librdkafka properties, after Lantern's own
  std::function<bool(const std::string& origin, uint64_t position)> is_done;
  // Makes everything completed so far durable; called before each commit.
  std::function<Status()> durable;
  // Exactly-once: commits `offsets` for `consumer`'s group in the same transaction as the
  // outputs (KafkaSink::CommitTransaction). Unset: the consumer commits them itself.
  std::function<Status(const std::vector<stream::PartitionOffset>& offsets,
                       const stream::Consumer& consumer)>
      commit_transaction;
  // Needed with commit_transaction: the runner's batch gate (RunnerOptions::batch_gate).
  std::shared_mutex* batch_gate = nullptr;
};

Result<std::unique_ptr<Source>> MakeKafkaSource(KafkaSourceOptions options);

}  // namespace lantern::pipeline
