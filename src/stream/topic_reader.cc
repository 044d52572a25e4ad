#include "stream/topic_reader.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <vector>

namespace lantern::stream {

Result<TopicReadReport> ReadTopicToEnd(
    const TopicReadOptions& options, const std::function<void(const KafkaMessage&)>& on_message) {
  ASSIGN_OR_RETURN(std::unique_ptr<Admin> admin, Admin::Create(options.bootstrap, options.config));
  ASSIGN_OR_RETURN(const int partitions, admin->PartitionCount(options.topic));
  // The end of the read is fixed before reading, so messages produced meanwhile are left out.
  std::vector<Watermarks> marks(partitions);
  std::vector<int64_t> next(partitions);  // next offset wanted per partition
  int open = 0;
  for (int p = 0; p < partitions; ++p) {
    ASSIGN_OR_RETURN(marks[p], admin->QueryWatermarks(options.topic, p));
    next[p] = marks[p].low;
    if (marks[p].high > marks[p].low) ++open;
  }
  TopicReadReport report;
  report.partitions = partitions;
  if (open == 0) return report;

  ConsumerOptions co;
  co.bootstrap = options.bootstrap;
  // A fresh group has no committed offsets, so auto.offset.reset=earliest starts every
  // partition at its low watermark; nothing is ever committed, so the group leaves no trace.
  std::random_device random;
  co.group_id = fmt::format("lantern-read-{:08x}{:08x}", random(), random());
  co.auto_offset_reset = "earliest";
  co.extra = options.config;
  co.on_error = options.on_error;
  ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Consumer::Create(co));
  RETURN_IF_ERROR(consumer->Subscribe({options.topic}));

  using Clock = std::chrono::steady_clock;
  auto last_message = Clock::now();
  while (open > 0) {
    ASSIGN_OR_RETURN(std::vector<KafkaMessage> batch, consumer->PollBatch(1000, 200));
    if (!batch.empty()) last_message = Clock::now();
    for (const KafkaMessage& m : batch) {
      if (m.partition < 0 || m.partition >= partitions) continue;  // grew after the start
      const int64_t high = marks[m.partition].high;
      if (m.offset >= high || m.offset < next[m.partition]) continue;  // after the end; re-read
      on_message(m);
      ++report.messages;
      report.bytes += m.value->size();
      next[m.partition] = m.offset + 1;
      if (next[m.partition] >= high) --open;
    }
    if (open > 0 &&
        Clock::now() - last_message > std::chrono::milliseconds(options.idle_timeout_ms)) {
      std::string left;
      for (int p = 0; p < partitions; ++p) {
        if (next[p] < marks[p].high)
          left += fmt::format("{}{} at offset {} of [{}, {})", left.empty() ? "" : ", ", p,
                              next[p], marks[p].low, marks[p].high);
      }
      std::string why = consumer->stats().last_error;
      return IoError(fmt::format("kafka topic {}: no message for {} ms, partitions {} not read to "
                                 "the end{}{}",
                                 options.topic, options.idle_timeout_ms, left,
                                 why.empty() ? "" : "; last error: ", why));
    }
  }
  consumer->Close();
  return report;
}

}  // namespace lantern::stream
