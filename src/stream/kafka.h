// Kafka clients: thin RAII wrappers over librdkafka (the C API) that speak core::Status.
// `Producer` (idempotent, acks=all, optional transactions), `Consumer` (consumer group,
// manual offset commits only, batch polling, a rebalance hook) and `Admin` (topics,
// watermarks), plus the `kafka://HOST:PORT[,HOST:PORT...][/TOPIC]` URL parser. No librdkafka
// type appears here. Errors never crash: librdkafka retries in the background and what goes
// wrong is counted and reported through Status, stats() and the error hook.
// Threading: a Producer may be used from several threads (Produce is thread-safe; Flush and
// Poll serve delivery reports on the calling thread). A Consumer and an Admin belong to one
// thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace lantern::stream {

// kafka://HOST:PORT[,HOST:PORT...][/TOPIC]; `topic` is empty when the URL names none.
struct KafkaUrl {
  std::string bootstrap;  // "host:port,host:port" as librdkafka's bootstrap.servers wants it
  std::string topic;
};
Result<KafkaUrl> ParseKafkaUrl(std::string_view url);

// The linked librdkafka's version, e.g. "2.15.1" (`lantern --version`).
std::string LibraryVersion();

// Extra librdkafka properties (name → value), applied after Lantern's own settings.
using KafkaConfig = std::vector<std::pair<std::string, std::string>>;

// Command-line properties, each "NAME=VALUE" (the value may contain '='), as kcat's -X:
// `lantern run -X security.protocol=SASL_SSL -X sasl.username=…`. Only the form is checked
// here; librdkafka refuses an unknown name or a bad value when a client is made.
Result<KafkaConfig> ParseKafkaConfig(const std::vector<std::string>& assignments);

// Called with a readable description of an error librdkafka reports outside any call (broker
// down, authentication); unset: printed to stderr as "kafka: ...".
using KafkaErrorHook = std::function<void(const std::string& error)>;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator==(const TopicPartition&) const = default;
};

// A committed position: `offset` is the next offset to read (last processed + 1).
struct PartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

struct ProducerOptions {
  std::string bootstrap;
  bool idempotent = true;            // enable.idempotence (implies acks=all, ordered retries)
  std::string compression = "none";  // none, lz4, zstd, snappy, gzip
  int linger_ms = 5;
  int message_timeout_ms = 300000;   // a message not acknowledged by then fails delivery
  int queue_full_wait_ms = 60000;    // how long Produce blocks while the local queue is full
  std::string transactional_id;      // non-empty: transactions (InitTransactions first)
  std::string client_id = "lantern";
  KafkaConfig extra;
  KafkaErrorHook on_error;
};

struct ProducerStats {
  uint64_t delivered = 0;        // acknowledged by the broker
  uint64_t delivered_bytes = 0;  // value bytes of those
  // Acknowledged without an offset: the idempotent producer's "already written" (a retried
  // request the broker took for a duplicate). Counted to diagnose a delivered message that is
  // not in the log.
  uint64_t delivered_without_offset = 0;
  uint64_t failed = 0;           // delivery failed (after librdkafka's retries)
  uint64_t errors = 0;           // errors reported outside delivery (connection, fatal)
  std::string last_error;
};

class Consumer;

class Producer {
 public:
  // Checks the options (every property goes through librdkafka's own validation) and creates
  // the client. Needs no broker: connections are made in the background.
  static Result<std::unique_ptr<Producer>> Create(const ProducerOptions& options);
  // Waits up to 10 s for messages still queued, then closes.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one message (the bytes are copied). An empty key is sent as a null key; no
  // partition: the key's hash picks it (librdkafka's consistent_random). Blocks up to
  // queue_full_wait_ms while the local queue is full.
  Status Produce(std::string_view topic, std::string_view key, std::string_view value,
                 std::optional<int32_t> partition = std::nullopt);
  // Serves delivery reports; returns how many were served.
  int Poll(int timeout_ms);
  // Waits until every queued message is acknowledged or failed. Error when some are still
  // in flight after `timeout_ms`, or when deliveries failed since the previous Flush.
  Status Flush(int timeout_ms);
  // Messages queued locally or in flight.
  int OutQueueLength() const;
  ProducerStats stats() const;

  // Transactions (ProducerOptions::transactional_id). Offsets sent with
  // SendOffsetsToTransaction are committed for the consumer's group when the transaction is.
  Status InitTransactions(int timeout_ms);
  Status BeginTransaction();
  Status SendOffsetsToTransaction(const std::vector<PartitionOffset>& offsets,
                                  const Consumer& consumer, int timeout_ms);
  Status CommitTransaction(int timeout_ms);
  Status AbortTransaction(int timeout_ms);

 private:
  struct Handle;
  struct Callbacks;  // librdkafka's callbacks (kafka.cc)
  explicit Producer(KafkaErrorHook on_error);
  void RecordError(const std::string& error, bool from_delivery);

  std::unique_ptr<Handle> handle_;
  KafkaErrorHook on_error_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> delivered_bytes_{0};
  std::atomic<uint64_t> delivered_without_offset_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> errors_{0};
  uint64_t failed_at_last_flush_ = 0;
  int queue_full_wait_ms_ = 0;
  mutable std::mutex error_mu_;
  std::string last_error_;
};

struct ConsumerOptions {
  std::string bootstrap;
  std::string group_id;
  std::string auto_offset_reset = "earliest";  // where a group without a commit starts
  std::string client_id = "lantern";
  KafkaConfig extra;
  KafkaErrorHook on_error;
};

struct KafkaMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;             // absent for a null key
  std::shared_ptr<const std::string> value;   // never null (empty for a null value)
  int64_t timestamp_ms = -1;                  // -1: none
};

// Called from inside PollBatch or Close when the group assigns or revokes partitions. On a
// revoke the caller finishes its batch (and commits) or abandons it before the partitions
// go; messages of revoked partitions collected by the running PollBatch are dropped (they
// were not committed, so the next owner reads them again).
enum class RebalanceEvent { kAssigned, kRevoked, kLost };
using RebalanceHook =
    std::function<void(RebalanceEvent event, const std::vector<TopicPartition>& partitions)>;

// Where a consumer group stands on one partition.
struct PartitionProgress {
  int32_t partition = 0;
  int64_t committed = -1001;  // the group's committed offset (-1001: none)
  int64_t low = 0;            // first offset still stored
  int64_t end = 0;            // high watermark (last stable offset for read_committed)
};

struct ConsumerStats {
  uint64_t messages = 0;  // handed out by PollBatch
  uint64_t bytes = 0;     // value bytes of those
  uint64_t errors = 0;    // consume errors seen (unknown topic, broker down, ...)
  uint64_t rebalances = 0;
  std::string last_error;
};

class Consumer {
 public:
  // enable.auto.commit=false and enable.auto.offset.store=false: offsets move only through
  // Commit.
  static Result<std::unique_ptr<Consumer>> Create(const ConsumerOptions& options);
  ~Consumer();  // Close()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Status Subscribe(const std::vector<std::string>& topics);
  void SetRebalanceHook(RebalanceHook hook) { rebalance_hook_ = std::move(hook); }
  // Up to `max_messages` messages, waiting at most `max_wait_ms` in all (returns early once
  // full). An empty batch is not an error. Error only when the client failed fatally.
  Result<std::vector<KafkaMessage>> PollBatch(size_t max_messages, int max_wait_ms);
  // Commits explicit offsets (next offset to read) synchronously.
  Status Commit(const std::vector<PartitionOffset>& offsets);
  // The committed offsets for the given partitions (-1001 = none committed yet).
  Result<std::vector<PartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                 int timeout_ms);
  std::vector<TopicPartition> Assignment() const;
  // Every partition of `topic`: the group's committed offset beside the partition's ends.
  Result<std::vector<PartitionProgress>> GroupProgress(const std::string& topic, int timeout_ms);
  // Leaves the group (revoking through the hook). Idempotent.
  void Close();
  ConsumerStats stats() const;

  // For each partition in `batch`, the offset after its last message: what to commit once
  // the whole batch is processed.
  static std::vector<PartitionOffset> NextOffsets(const std::vector<KafkaMessage>& batch);

 private:
  friend class Producer;
  struct Handle;
  struct Callbacks;  // librdkafka's callbacks (kafka.cc)
  explicit Consumer(KafkaErrorHook on_error);
  void RecordError(const std::string& error);

  std::unique_ptr<Handle> handle_;
  KafkaErrorHook on_error_;
  RebalanceHook rebalance_hook_;
  std::vector<KafkaMessage>* batch_ = nullptr;  // the batch PollBatch is filling
  bool closed_ = false;
  ConsumerStats stats_;
};

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication = 1;
  std::map<std::string, std::string> configs;  // e.g. cleanup.policy=compact
};

struct Watermarks {
  int64_t low = 0;   // first offset still stored
  int64_t high = 0;  // offset the next message will get
};

class Admin {
 public:
  static Result<std::unique_ptr<Admin>> Create(const std::string& bootstrap,
                                               const KafkaConfig& extra = {});
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Creates the topic and waits until its partitions appear in the metadata. With
  // `if_missing`, an existing topic is not an error.
  Status CreateTopic(const TopicSpec& spec, bool if_missing = false, int timeout_ms = 30000);
  Status DeleteTopic(const std::string& name, int timeout_ms = 30000);
  // NotFound when the topic does not exist.
  Result<int> PartitionCount(const std::string& topic, int timeout_ms = 10000);
  Result<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition,
                                     int timeout_ms = 10000);
  // Sum over the partitions of high - low: the messages the topic holds.
  Result<int64_t> MessageCount(const std::string& topic, int timeout_ms = 10000);

 private:
  struct Handle;
  Admin();
  std::unique_ptr<Handle> handle_;
};

}  // namespace lantern::stream
