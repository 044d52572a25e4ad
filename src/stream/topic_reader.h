// Reading a whole Kafka topic once: every message stored when the read starts, from each
// partition's low watermark up to its high watermark at that moment, then stop. For commands
// that look at a topic as a finite data set (`lantern rates kafka://...`), not for the
// pipeline (pipeline/kafka_source.h commits and runs forever). Uses a throw-away consumer
// group (unique id, nothing committed). Single-threaded: the callback runs on the caller's
// thread.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "stream/kafka.h"

namespace lantern::stream {

struct TopicReadOptions {
  std::string bootstrap;
  std::string topic;
  // Give up when no message arrives for this long while some partition is still short of its
  // high watermark (broker gone; or a partition that ends in transaction markers or compacted
  // gaps, which hold offsets no message is delivered for).
  int idle_timeout_ms = 15000;
  KafkaConfig config;  // extra librdkafka properties (security and the like)
  KafkaErrorHook on_error;
};

struct TopicReadReport {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  int partitions = 0;
};

// Calls `on_message` for each message in [low, high) of every partition, partitions
// interleaved as the broker delivers them (in offset order within a partition). NotFound when
// the topic does not exist; IoError when the broker cannot be reached or the idle timeout runs
// out (the message says which partitions were left and where).
Result<TopicReadReport> ReadTopicToEnd(const TopicReadOptions& options,
                                       const std::function<void(const KafkaMessage&)>& on_message);

}  // namespace lantern::stream
