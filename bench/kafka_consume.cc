// kafka_consume: the raw consume ceiling for bench/kafka_bench.py — Lantern's own consumer
// (stream::Consumer, the librdkafka client `lantern run --source kafka://` uses, same
// PollBatch) reading a whole topic in a fresh consumer group and doing nothing with the
// messages. Prints one JSON object: messages, bytes, join_s (subscribe → first message),
// seconds (first → last message) and the rates over that window.
//
// Usage: kafka_consume --bootstrap HOST:PORT --topic T --messages N [--batch 256]
//        [--group G] [--timeout-s 60]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "stream/kafka.h"

namespace {

using Clock = std::chrono::steady_clock;

int Main(int argc, char** argv) {
  CLI::App app{"Consume a whole Kafka topic as fast as possible (raw consume ceiling)"};
  std::string bootstrap, topic, group;
  uint64_t messages = 0;
  size_t batch = 256;
  double timeout_s = 60;
  app.add_option("--bootstrap", bootstrap, "HOST:PORT")->required();
  app.add_option("--topic", topic, "Topic to read")->required();
  app.add_option("--messages", messages, "Stop after this many messages")->required();
  app.add_option("--batch", batch, "Messages per PollBatch (default 256, as lantern run)");
  app.add_option("--group", group, "Consumer group (default: a new one)");
  app.add_option("--timeout-s", timeout_s, "Give up after this long without a message");
  std::vector<std::string> config;
  app.add_option("-X,--kafka-config", config, "librdkafka property NAME=VALUE (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (group.empty()) {
    group = fmt::format("kafka-consume-{}",
                        std::chrono::system_clock::now().time_since_epoch().count());
  }

  lantern::stream::ConsumerOptions co;
  co.bootstrap = bootstrap;
  co.group_id = group;
  auto extra = lantern::stream::ParseKafkaConfig(config);
  if (!extra.ok()) {
    std::fprintf(stderr, "kafka_consume: %s\n", extra.status().ToString().c_str());
    return 1;
  }
  co.extra = *extra;
  auto consumer = lantern::stream::Consumer::Create(co);
  if (!consumer.ok()) {
    std::fprintf(stderr, "kafka_consume: %s\n", consumer.status().ToString().c_str());
    return 1;
  }
  if (auto st = (*consumer)->Subscribe({topic}); !st.ok()) {
    std::fprintf(stderr, "kafka_consume: %s\n", st.ToString().c_str());
    return 1;
  }
  const auto start = Clock::now();
  Clock::time_point first{}, last = start;
  uint64_t got = 0, bytes = 0;
  while (got < messages) {
    auto polled = (*consumer)->PollBatch(batch, 250);
    if (!polled.ok()) {
      std::fprintf(stderr, "kafka_consume: %s\n", polled.status().ToString().c_str());
      return 1;
    }
    const auto now = Clock::now();
    if (polled->empty()) {
      if (std::chrono::duration<double>(now - last).count() > timeout_s) {
        std::fprintf(stderr, "kafka_consume: only %llu of %llu messages after %.0f s idle\n",
                     static_cast<unsigned long long>(got),
                     static_cast<unsigned long long>(messages), timeout_s);
        return 1;
      }
      continue;
    }
    if (got == 0) first = now;
    last = now;
    got += polled->size();
    for (const auto& m : *polled) bytes += m.value->size();
  }
  (*consumer)->Close();
  const double join = std::chrono::duration<double>(first - start).count();
  const double secs = std::chrono::duration<double>(last - first).count();
  fmt::print("{{\"messages\": {}, \"bytes\": {}, \"join_s\": {:.3f}, \"seconds\": {:.3f}, "
             "\"msgs_per_s\": {:.1f}, \"mb_per_s\": {:.2f}}}\n",
             got, bytes, join, secs, secs > 0 ? got / secs : 0.0,
             secs > 0 ? bytes / 1e6 / secs : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
