// Kafka source: one consumer in a consumer group, reading one topic. Each Kafka message is a
// unit "kafka:<topic>/<partition>" at its offset (ZTF: an Avro container; Rubin: Confluent
// framing). Offsets are committed only at a checkpoint, and only for the prefix of each
// partition whose batches are all completed (stored and handed to every sink), after `durable`
// has made them durable (store flush, sink flush) — so a crash never commits what could still
// be lost. A message whose done mark is already in the store (stored before a crash that came
// before its commit) is skipped and counts as completed. When the group takes partitions away,
// the source waits for their batches in flight, checkpoints, then lets them go.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "pipeline/source.h"

namespace lantern::pipeline {

struct KafkaSourceOptions {
  std::string bootstrap;  // host:port[,host:port]
  std::string topic;
  std::string group = "lantern";
  // Stop (the source reports the end) after this long without a message; 0: never.
  double exit_when_idle_seconds = 0;
  std::function<bool(const std::string& origin, uint64_t position)> is_done;
  // Makes everything completed so far durable; called before each commit.
  std::function<Status()> durable;
};

Result<std::unique_ptr<Source>> MakeKafkaSource(KafkaSourceOptions options);

}  // namespace lantern::pipeline
