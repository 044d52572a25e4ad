#include "stream/kafka.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/string_hash.h"

namespace lantern::stream {
namespace {

constexpr std::string_view kScheme = "kafka://";
// Real alerts with cutouts reach 2.5 MB; scripts/kafka lets the broker take up to 16 MiB.
constexpr const char* kMaxMessageBytes = "16777216";

bool ValidPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  int port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + (c - '0');
  }
  return port >= 1 && port <= 65535;
}

Status CheckHostPort(std::string_view hp, std::string_view url) {
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument(fmt::format("kafka URL '{}': '{}' has no :PORT", url, hp));
  }
  std::string_view host = hp.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return InvalidArgument(fmt::format("kafka URL '{}': empty host", url));
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == ':')) {
      return InvalidArgument(fmt::format("kafka URL '{}': bad character '{}' in host", url, c));
    }
  }
  if (!ValidPort(hp.substr(colon + 1))) {
    return InvalidArgument(
        fmt::format("kafka URL '{}': bad port '{}' (1-65535)", url, hp.substr(colon + 1)));
  }
  return Status::Ok();
}

// Kafka's own rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
Status CheckTopic(std::string_view topic, std::string_view url) {
  if (topic.size() > 249 || topic == "." || topic == "..") {
    return InvalidArgument(fmt::format("kafka URL '{}': invalid topic name '{}'", url, topic));
  }
  for (char c : topic) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return InvalidArgument(fmt::format(
          "kafka URL '{}': bad character '{}' in topic (allowed: a-z A-Z 0-9 . _ -)", url, c));
    }
  }
  return Status::Ok();
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
           std::string_view who) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    return InvalidArgument(fmt::format("kafka {} setting {}={}: {}", who, name, value, err));
  }
  return Status::Ok();
}

// librdkafka logs to stderr by default; its errors also reach the error callback, so only
// critical log lines are kept.
void Log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (level <= 2) std::fprintf(stderr, "kafka: %s: %s\n", fac, buf);
}

void Report(const KafkaErrorHook& hook, const std::string& error) {
  if (hook) {
    hook(error);
  } else {
    std::fprintf(stderr, "kafka: %s\n", error.c_str());
  }
}

std::string ErrorText(rd_kafka_t* rk, int err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    return fmt::format("fatal error {}: {}", rd_kafka_err2name(orig), fatal);
  }
  return fmt::format("{}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
}

Status FromError(rd_kafka_error_t* error, std::string_view what) {
  if (error == nullptr) return Status::Ok();
  std::string msg = fmt::format("kafka {}: {}", what, rd_kafka_error_string(error));
  if (rd_kafka_error_is_fatal(error)) msg += " (fatal)";
  if (rd_kafka_error_is_retriable(error)) msg += " (retriable)";
  if (rd_kafka_error_txn_requires_abort(error)) msg += " (abort the transaction)";
  rd_kafka_error_destroy(error);
  return IoError(std::move(msg));
}

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

ListPtr ToList(const std::vector<PartitionOffset>& offsets) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
  }
  return list;
}

std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  }
  return out;
}

}  // namespace

std::string LibraryVersion() { return rd_kafka_version_str(); }

Result<KafkaUrl> ParseKafkaUrl(std::string_view url) {
  if (!url.starts_with(kScheme)) {
    return InvalidArgument(
        fmt::format("kafka URL '{}' must look like kafka://HOST:PORT[/TOPIC]", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  KafkaUrl out;
  size_t slash = rest.find('/');
  std::string_view hosts = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view topic = rest.substr(slash + 1);
    if (!topic.empty()) RETURN_IF_ERROR(CheckTopic(topic, url));
    out.topic = std::string(topic);
  }
  if (hosts.empty()) return InvalidArgument(fmt::format("kafka URL '{}' names no broker", url));
  size_t start = 0;
  while (start <= hosts.size()) {
    size_t comma = hosts.find(',', start);
    std::string_view hp = hosts.substr(start, comma == std::string_view::npos ? comma : comma - start);
    RETURN_IF_ERROR(CheckHostPort(hp, url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out.bootstrap = std::string(hosts);
  return out;
}

Result<KafkaConfig> ParseKafkaConfig(const std::vector<std::string>& assignments) {
  KafkaConfig out;
  for (const std::string& a : assignments) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(fmt::format(
          "kafka property '{}' must look like NAME=VALUE (e.g. security.protocol=SASL_SSL)", a));
    }
    out.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  return out;
}

// ---------------------------------------------------------------------------------- Producer

struct Consumer::Handle {
  rd_kafka_t* rk = nullptr;
  // A second client for GroupProgress's watermark queries, made on first use from a copy of
  // the consumer's configuration (it never subscribes, so it never joins the group). On the
  // consumer's own connection each query waits behind the fetch in flight, which the broker
  // holds up to fetch.wait.max.ms (500 ms) when there is nothing to read: 2 s for 4
  // partitions.
  rd_kafka_conf_t* query_conf = nullptr;
  rd_kafka_t* query_rk = nullptr;
};

struct Producer::Handle {
  rd_kafka_t* rk = nullptr;
  // Topic handles by name, made on first use: producing by name makes librdkafka look the
  // topic up (a lock and a hash) and us copy the name, for each message.
  std::mutex topics_mu;
  std::unordered_map<std::string, rd_kafka_topic_t*, StringHash, std::equal_to<>> topics;

  rd_kafka_topic_t* Topic(std::string_view name) {
    std::lock_guard lock(topics_mu);
    auto it = topics.find(name);
    if (it != topics.end()) return it->second;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, std::string(name).c_str(), nullptr);
    if (rkt != nullptr) topics.emplace(std::string(name), rkt);
    return rkt;
  }
};

struct Producer::Callbacks {
  static void Delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* p = static_cast<Producer*>(opaque);
    if (m->err) {
      p->failed_.fetch_add(1, std::memory_order_relaxed);
      p->RecordError(fmt::format("delivery to {} [{}] failed: {}", rd_kafka_topic_name(m->rkt),
                                 m->partition, rd_kafka_err2str(m->err)),
                     /*from_delivery=*/true);
    } else {
      p->delivered_.fetch_add(1, std::memory_order_relaxed);
      p->delivered_bytes_.fetch_add(m->len, std::memory_order_relaxed);
      if (m->offset < 0) p->delivered_without_offset_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  static void Error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    static_cast<Producer*>(opaque)->RecordError(ErrorText(rk, err, reason), false);
  }
};

Producer::Producer(KafkaErrorHook on_error)
    : handle_(std::make_unique<Handle>()), on_error_(std::move(on_error)) {}

Result<std::unique_ptr<Producer>> Producer::Create(const ProducerOptions& o) {
  if (o.bootstrap.empty()) return InvalidArgument("kafka producer: no bootstrap servers given");
  static const std::vector<std::string> kCodecs = {"none", "lz4", "zstd", "snappy", "gzip"};
  if (std::find(kCodecs.begin(), kCodecs.end(), o.compression) == kCodecs.end()) {
    return InvalidArgument(fmt::format(
        "kafka producer: unknown compression '{}' (none, lz4, zstd, snappy, gzip)", o.compression));
  }
  if (!o.transactional_id.empty() && !o.idempotent) {
    return InvalidArgument("kafka producer: transactions need idempotence");
  }
  if (o.queue_full_wait_ms < 0) return InvalidArgument("kafka producer: queue_full_wait_ms < 0");
  std::unique_ptr<Producer> p(new Producer(o.on_error));
  p->queue_full_wait_ms_ = o.queue_full_wait_ms;
  ConfPtr conf(rd_kafka_conf_new());
  auto set = [&](const std::string& k, const std::string& v) {
    return Set(conf.get(), k, v, "producer");
  };
  RETURN_IF_ERROR(set("bootstrap.servers", o.bootstrap));
  RETURN_IF_ERROR(set("client.id", o.client_id));
  RETURN_IF_ERROR(set("enable.idempotence", o.idempotent ? "true" : "false"));
  RETURN_IF_ERROR(set("acks", "all"));
  RETURN_IF_ERROR(set("compression.codec", o.compression));
  RETURN_IF_ERROR(set("linger.ms", std::to_string(o.linger_ms)));
  RETURN_IF_ERROR(set("message.timeout.ms", std::to_string(o.message_timeout_ms)));
  RETURN_IF_ERROR(set("message.max.bytes", kMaxMessageBytes));
  if (!o.transactional_id.empty()) {
    RETURN_IF_ERROR(set("transactional.id", o.transactional_id));
    // librdkafka wants message.timeout.ms <= transaction.timeout.ms (the broker allows up to
    // 15 minutes by default).
    RETURN_IF_ERROR(set("transaction.timeout.ms", std::to_string(o.message_timeout_ms)));
  }
  for (const auto& [k, v] : o.extra) RETURN_IF_ERROR(set(k, v));
  rd_kafka_conf_set_opaque(conf.get(), p.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Callbacks::Delivery);
  rd_kafka_conf_set_error_cb(conf.get(), &Callbacks::Error);
  rd_kafka_conf_set_log_cb(conf.get(), &Log);
  char err[512];
  p->handle_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (p->handle_->rk == nullptr) {
    return InvalidArgument(fmt::format("kafka producer: {}", err));
  }
  conf.release();  // owned by rk now
  return p;
}

Producer::~Producer() {
  if (handle_->rk == nullptr) return;
  rd_kafka_flush(handle_->rk, 10000);
  for (auto& [name, rkt] : handle_->topics) rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(handle_->rk);
}

void Producer::RecordError(const std::string& error, bool from_delivery) {
  {
    std::lock_guard lock(error_mu_);
    last_error_ = error;
  }
  if (!from_delivery) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    Report(on_error_, error);
  }
}

Status Producer::Produce(std::string_view topic, std::string_view key, std::string_view value,
                         std::optional<int32_t> partition) {
  rd_kafka_topic_t* rkt = handle_->Topic(topic);
  if (rkt == nullptr) {
    return IoError(fmt::format("kafka produce to {}: {}", topic,
                               rd_kafka_err2str(rd_kafka_last_error())));
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;  // set when the queue is full
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        handle_->rk, RD_KAFKA_V_RKT(rkt),
        RD_KAFKA_V_PARTITION(partition.value_or(RD_KAFKA_PARTITION_UA)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return IoError(fmt::format("kafka produce to {}: {}", topic, rd_kafka_err2str(err)));
    }
    const auto now = std::chrono::steady_clock::now();
    if (!deadline) deadline = now + std::chrono::milliseconds(queue_full_wait_ms_);
    if (now >= *deadline) {
      return IoError(fmt::format(
          "kafka produce to {}: local queue still full after {} ms ({} messages waiting; last "
          "error: {})",
          topic, queue_full_wait_ms_, rd_kafka_outq_len(handle_->rk), stats().last_error));
    }
    rd_kafka_poll(handle_->rk, 20);
  }
  rd_kafka_poll(handle_->rk, 0);  // serve delivery reports as we go
  return Status::Ok();
}

int Producer::Poll(int timeout_ms) { return rd_kafka_poll(handle_->rk, timeout_ms); }

int Producer::OutQueueLength() const { return rd_kafka_outq_len(handle_->rk); }

Status Producer::Flush(int timeout_ms) {
  rd_kafka_resp_err_t err = rd_kafka_flush(handle_->rk, timeout_ms);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return IoError(fmt::format("kafka: {} messages not delivered after {} ms (last error: {})",
                               rd_kafka_outq_len(handle_->rk), timeout_ms, stats().last_error));
  }
  const uint64_t failed = failed_.load();
  if (failed > failed_at_last_flush_) {
    const uint64_t n = failed - failed_at_last_flush_;
    failed_at_last_flush_ = failed;
    return IoError(fmt::format("kafka: {} messages failed delivery (last error: {})", n,
                               stats().last_error));
  }
  return Status::Ok();
}

ProducerStats Producer::stats() const {
  ProducerStats s;
  s.delivered = delivered_.load();
  s.delivered_bytes = delivered_bytes_.load();
  s.delivered_without_offset = delivered_without_offset_.load();
  s.failed = failed_.load();
  s.errors = errors_.load();
  std::lock_guard lock(error_mu_);
  s.last_error = last_error_;
  return s;
}

Status Producer::InitTransactions(int timeout_ms) {
  return FromError(rd_kafka_init_transactions(handle_->rk, timeout_ms), "init transactions");
}

Status Producer::BeginTransaction() {
  return FromError(rd_kafka_begin_transaction(handle_->rk), "begin transaction");
}

Status Producer::SendOffsetsToTransaction(const std::vector<PartitionOffset>& offsets,
                                          const Consumer& consumer, int timeout_ms) {
  ListPtr list = ToList(offsets);
  rd_kafka_consumer_group_metadata_t* group =
      rd_kafka_consumer_group_metadata(consumer.handle_->rk);
  Status st = FromError(
      rd_kafka_send_offsets_to_transaction(handle_->rk, list.get(), group, timeout_ms),
      "send offsets to transaction");
  rd_kafka_consumer_group_metadata_destroy(group);
  return st;
}

Status Producer::CommitTransaction(int timeout_ms) {
  return FromError(rd_kafka_commit_transaction(handle_->rk, timeout_ms), "commit transaction");
}

Status Producer::AbortTransaction(int timeout_ms) {
  return FromError(rd_kafka_abort_transaction(handle_->rk, timeout_ms), "abort transaction");
}

// ---------------------------------------------------------------------------------- Consumer

struct Consumer::Callbacks {
  static void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* c = static_cast<Consumer*>(opaque);
    ++c->stats_.rebalances;
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    std::vector<TopicPartition> list = FromList(partitions);
    Status st;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        st = FromError(rd_kafka_incremental_assign(rk, partitions), "assign");
      } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions)) {
        st = IoError(fmt::format("kafka assign: {}", rd_kafka_err2str(e)));
      }
      if (c->rebalance_hook_) c->rebalance_hook_(RebalanceEvent::kAssigned, list);
    } else {
      // The hook runs first, while the partitions are still ours, so it can commit.
      const RebalanceEvent event =
          rd_kafka_assignment_lost(rk) ? RebalanceEvent::kLost : RebalanceEvent::kRevoked;
      if (c->rebalance_hook_) c->rebalance_hook_(event, list);
      if (c->batch_ != nullptr) {
        std::erase_if(*c->batch_, [&](const KafkaMessage& m) {
          return std::find(list.begin(), list.end(), TopicPartition{m.topic, m.partition}) !=
                 list.end();
        });
      }
      if (cooperative) {
        st = FromError(rd_kafka_incremental_unassign(rk, partitions), "unassign");
      } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, nullptr)) {
        st = IoError(fmt::format("kafka unassign: {}", rd_kafka_err2str(e)));
      }
    }
    if (!st.ok()) c->RecordError(st.message());
  }
  static void Error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    static_cast<Consumer*>(opaque)->RecordError(ErrorText(rk, err, reason));
  }
};

Consumer::Consumer(KafkaErrorHook on_error)
    : handle_(std::make_unique<Handle>()), on_error_(std::move(on_error)) {}

Result<std::unique_ptr<Consumer>> Consumer::Create(const ConsumerOptions& o) {
  if (o.bootstrap.empty()) return InvalidArgument("kafka consumer: no bootstrap servers given");
  if (o.group_id.empty()) return InvalidArgument("kafka consumer: a group id is required");
  std::unique_ptr<Consumer> c(new Consumer(o.on_error));
  ConfPtr conf(rd_kafka_conf_new());
  auto set = [&](const std::string& k, const std::string& v) {
    return Set(conf.get(), k, v, "consumer");
  };
  RETURN_IF_ERROR(set("bootstrap.servers", o.bootstrap));
  RETURN_IF_ERROR(set("group.id", o.group_id));
  RETURN_IF_ERROR(set("client.id", o.client_id));
  RETURN_IF_ERROR(set("enable.auto.commit", "false"));
  RETURN_IF_ERROR(set("enable.auto.offset.store", "false"));
  RETURN_IF_ERROR(set("auto.offset.reset", o.auto_offset_reset));
  RETURN_IF_ERROR(set("enable.partition.eof", "false"));
  // When the prefetched messages pass queued.max.messages.kbytes (64 MiB: ~1,100 alerts with
  // cutouts), librdkafka stops fetching for fetch.queue.backoff.ms: 1 s by default, in which a
  // consumer of 3,000 alerts/s empties that queue three times over and then waits. 10 ms keeps
  // it filled (docs/benchmarks.md, "The reader waited a second at every refill").
  RETURN_IF_ERROR(set("fetch.queue.backoff.ms", "10"));
  for (const auto& [k, v] : o.extra) {
    if (k == "enable.auto.commit" && v != "false") {
      return InvalidArgument("kafka consumer: offsets are committed explicitly only "
                             "(enable.auto.commit must stay false)");
    }
    RETURN_IF_ERROR(set(k, v));
  }
  rd_kafka_conf_set_opaque(conf.get(), c.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Callbacks::Rebalance);
  rd_kafka_conf_set_error_cb(conf.get(), &Callbacks::Error);
  rd_kafka_conf_set_log_cb(conf.get(), &Log);
  c->handle_->query_conf = rd_kafka_conf_dup(conf.get());
  rd_kafka_conf_set_rebalance_cb(c->handle_->query_conf, nullptr);
  rd_kafka_conf_set_error_cb(c->handle_->query_conf, nullptr);
  char err[512];
  c->handle_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (c->handle_->rk == nullptr) return InvalidArgument(fmt::format("kafka consumer: {}", err));
  conf.release();
  rd_kafka_poll_set_consumer(c->handle_->rk);  // errors and rebalances served by PollBatch
  return c;
}

Consumer::~Consumer() {
  if (handle_->query_rk != nullptr) rd_kafka_destroy(handle_->query_rk);
  if (handle_->query_conf != nullptr) rd_kafka_conf_destroy(handle_->query_conf);
  if (handle_->rk == nullptr) return;
  Close();
  rd_kafka_destroy(handle_->rk);
}

void Consumer::RecordError(const std::string& error) {
  ++stats_.errors;
  stats_.last_error = error;
  Report(on_error_, error);
}

Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  if (topics.empty()) return InvalidArgument("kafka subscribe: no topics given");
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(handle_->rk, list.get())) {
    return InvalidArgument(fmt::format("kafka subscribe to {}: {}", fmt::join(topics, ","),
                                       rd_kafka_err2str(e)));
  }
  return Status::Ok();
}

Result<std::vector<KafkaMessage>> Consumer::PollBatch(size_t max_messages, int max_wait_ms) {
  if (closed_) return InvalidArgument("kafka consumer: PollBatch after Close");
  std::vector<KafkaMessage> out;
  batch_ = &out;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(max_wait_ms, 0));
  Status fatal;
  while (out.size() < max_messages) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    const int wait = static_cast<int>(std::max<int64_t>(left, 0));
    rd_kafka_message_t* m = rd_kafka_consumer_poll(handle_->rk, wait);
    if (m == nullptr) {
      if (wait == 0) break;
      continue;
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::string what = m->rkt ? fmt::format("consume {} [{}]: {}", rd_kafka_topic_name(m->rkt),
                                                m->partition, rd_kafka_message_errstr(m))
                                  : fmt::format("consume: {}", rd_kafka_message_errstr(m));
        RecordError(what);
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
          fatal = IoError("kafka " + ErrorText(handle_->rk, m->err, ""));
          rd_kafka_message_destroy(m);
          break;
        }
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    KafkaMessage msg;
    msg.topic = rd_kafka_topic_name(m->rkt);
    msg.partition = m->partition;
    msg.offset = m->offset;
    if (m->key != nullptr) msg.key.emplace(static_cast<const char*>(m->key), m->key_len);
    msg.value = std::make_shared<const std::string>(
        m->payload ? static_cast<const char*>(m->payload) : "", m->payload ? m->len : 0);
    rd_kafka_timestamp_type_t type;
    msg.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    rd_kafka_message_destroy(m);
    stats_.bytes += msg.value->size();
    out.push_back(std::move(msg));
  }
  batch_ = nullptr;
  if (!fatal.ok()) return fatal;
  stats_.messages += out.size();
  return out;
}

Status Consumer::Commit(const std::vector<PartitionOffset>& offsets) {
  if (offsets.empty()) return Status::Ok();
  ListPtr list = ToList(offsets);
  rd_kafka_resp_err_t e = rd_kafka_commit(handle_->rk, list.get(), /*async=*/0);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return IoError(fmt::format("kafka commit of {} offsets: {}", offsets.size(), rd_kafka_err2str(e)));
  }
  return Status::Ok();
}

Result<std::vector<PartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions, int timeout_ms) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_committed(handle_->rk, list.get(), timeout_ms)) {
    return IoError(fmt::format("kafka committed offsets: {}", rd_kafka_err2str(e)));
  }
  std::vector<PartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
  }
  return out;
}

std::vector<TopicPartition> Consumer::Assignment() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(handle_->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  ListPtr owned(list);
  return FromList(list);
}

Result<std::vector<PartitionProgress>> Consumer::GroupProgress(const std::string& topic,
                                                               int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  // All topics: asking for one by name could create it where the broker auto-creates topics.
  if (rd_kafka_resp_err_t e = rd_kafka_metadata(handle_->rk, 1, nullptr, &md, timeout_ms)) {
    return IoError(fmt::format("kafka metadata for {}: {}", topic, rd_kafka_err2str(e)));
  }
  int partitions = -1;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      partitions = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (partitions < 0) return NotFound(fmt::format("kafka topic {} does not exist", topic));
  std::vector<TopicPartition> list;
  for (int32_t p = 0; p < partitions; ++p) list.push_back({topic, p});
  ASSIGN_OR_RETURN(std::vector<PartitionOffset> committed, Committed(list, timeout_ms));
  if (handle_->query_rk == nullptr) {
    char err[512];
    handle_->query_rk = rd_kafka_new(RD_KAFKA_CONSUMER, handle_->query_conf, err, sizeof err);
    if (handle_->query_rk == nullptr) {
      return IoError(fmt::format("kafka watermark client for {}: {}", topic, err));
    }
    handle_->query_conf = nullptr;  // rd_kafka_new took it
  }
  std::vector<PartitionProgress> out;
  for (const PartitionOffset& c : committed) {
    PartitionProgress p{.partition = c.partition, .committed = c.offset};
    if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
            handle_->query_rk, topic.c_str(), c.partition, &p.low, &p.end, timeout_ms)) {
      return IoError(fmt::format("kafka watermarks of {} [{}]: {}", topic, c.partition,
                                 rd_kafka_err2str(e)));
    }
    out.push_back(p);
  }
  return out;
}

void Consumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(handle_->rk);
}

ConsumerStats Consumer::stats() const { return stats_; }

std::vector<PartitionOffset> Consumer::NextOffsets(const std::vector<KafkaMessage>& batch) {
  std::vector<PartitionOffset> out;
  for (const KafkaMessage& m : batch) {
    auto it = std::find_if(out.begin(), out.end(), [&](const PartitionOffset& o) {
      return o.partition == m.partition && o.topic == m.topic;
    });
    if (it == out.end()) {
      out.push_back({m.topic, m.partition, m.offset + 1});
    } else {
      it->offset = std::max(it->offset, m.offset + 1);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------- Admin

struct Admin::Handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
};

Admin::Admin() : handle_(std::make_unique<Handle>()) {}

Result<std::unique_ptr<Admin>> Admin::Create(const std::string& bootstrap,
                                             const KafkaConfig& extra) {
  if (bootstrap.empty()) return InvalidArgument("kafka admin: no bootstrap servers given");
  std::unique_ptr<Admin> a(new Admin());
  ConfPtr conf(rd_kafka_conf_new());
  RETURN_IF_ERROR(Set(conf.get(), "bootstrap.servers", bootstrap, "admin"));
  RETURN_IF_ERROR(Set(conf.get(), "client.id", "lantern-admin", "admin"));
  for (const auto& [k, v] : extra) RETURN_IF_ERROR(Set(conf.get(), k, v, "admin"));
  rd_kafka_conf_set_log_cb(conf.get(), &Log);
  char err[512];
  a->handle_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (a->handle_->rk == nullptr) return InvalidArgument(fmt::format("kafka admin: {}", err));
  conf.release();
  a->handle_->queue = rd_kafka_queue_new(a->handle_->rk);
  return a;
}

Admin::~Admin() {
  if (handle_->queue != nullptr) rd_kafka_queue_destroy(handle_->queue);
  if (handle_->rk != nullptr) rd_kafka_destroy(handle_->rk);
}

namespace {

// Runs one admin request whose result event lists per-topic results; returns the error of
// the (single) topic.
template <typename Request, typename GetResult, typename GetTopics>
Status RunTopicAdmin(rd_kafka_t* rk, rd_kafka_queue_t* queue, rd_kafka_admin_op_t op,
                     int timeout_ms, std::string_view what, Request request,
                     GetResult get_result, GetTopics get_topics,
                     rd_kafka_resp_err_t* topic_err) {
  char err[512];
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, op);
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, err, sizeof err);
  request(options);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeout_ms + 5000);
  if (ev == nullptr) return IoError(fmt::format("kafka {}: no answer in {} ms", what, timeout_ms));
  Status st;
  if (rd_kafka_event_error(ev)) {
    st = IoError(fmt::format("kafka {}: {}", what, rd_kafka_event_error_string(ev)));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** topics = get_topics(get_result(ev), &n);
    *topic_err = n ? rd_kafka_topic_result_error(topics[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (*topic_err) {
      const char* msg = rd_kafka_topic_result_error_string(topics[0]);
      st = InvalidArgument(
          fmt::format("kafka {}: {}", what, msg && *msg ? msg : rd_kafka_err2str(*topic_err)));
    }
  }
  rd_kafka_event_destroy(ev);
  return st;
}

}  // namespace

Status Admin::CreateTopic(const TopicSpec& spec, bool if_missing, int timeout_ms) {
  char err[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                     spec.replication, err, sizeof err);
  const std::string what = fmt::format("create topic {}", spec.name);
  if (topic == nullptr) return InvalidArgument(fmt::format("kafka {}: {}", what, err));
  for (const auto& [k, v] : spec.configs) {
    if (rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(topic, k.c_str(), v.c_str())) {
      rd_kafka_NewTopic_destroy(topic);
      return InvalidArgument(fmt::format("kafka {}: config {}={}: {}", what, k, v, rd_kafka_err2str(e)));
    }
  }
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  Status st = RunTopicAdmin(
      handle_->rk, handle_->queue, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms, what,
      [&](rd_kafka_AdminOptions_t* o) {
        rd_kafka_CreateTopics(handle_->rk, &topic, 1, o, handle_->queue);
      },
      rd_kafka_event_CreateTopics_result, rd_kafka_CreateTopics_result_topics, &topic_err);
  rd_kafka_NewTopic_destroy(topic);
  if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && if_missing) st = Status::Ok();
  RETURN_IF_ERROR(st);
  // The controller has created it; wait until the brokers' metadata shows every partition,
  // so that producing right away does not meet an unknown topic.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    Result<int> n = PartitionCount(spec.name, 5000);
    if (n.ok() && (*n == spec.partitions || (if_missing && *n > 0))) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return IoError(fmt::format("kafka {}: partitions not visible after {} ms", what, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status Admin::DeleteTopic(const std::string& name, int timeout_ms) {
  rd_kafka_DeleteTopic_t* topic = rd_kafka_DeleteTopic_new(name.c_str());
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  Status st = RunTopicAdmin(
      handle_->rk, handle_->queue, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms,
      fmt::format("delete topic {}", name),
      [&](rd_kafka_AdminOptions_t* o) {
        rd_kafka_DeleteTopics(handle_->rk, &topic, 1, o, handle_->queue);
      },
      rd_kafka_event_DeleteTopics_result, rd_kafka_DeleteTopics_result_topics, &topic_err);
  rd_kafka_DeleteTopic_destroy(topic);
  if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return NotFound(fmt::format("kafka delete topic {}: no such topic", name));
  }
  return st;
}

Result<int> Admin::PartitionCount(const std::string& topic, int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  // All topics: asking for one by name could create it where the broker auto-creates topics.
  if (rd_kafka_resp_err_t e = rd_kafka_metadata(handle_->rk, 1, nullptr, &md, timeout_ms)) {
    return IoError(fmt::format("kafka metadata for {}: {}", topic, rd_kafka_err2str(e)));
  }
  Result<int> out = NotFound(fmt::format("kafka topic {} does not exist", topic));
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic) {
      if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) out = md->topics[i].partition_cnt;
      break;
    }
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

Result<Watermarks> Admin::QueryWatermarks(const std::string& topic, int32_t partition,
                                          int timeout_ms) {
  Watermarks w;
  if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(handle_->rk, topic.c_str(),
                                                               partition, &w.low, &w.high,
                                                               timeout_ms)) {
    return IoError(fmt::format("kafka watermarks of {} [{}]: {}", topic, partition,
                               rd_kafka_err2str(e)));
  }
  return w;
}

Result<int64_t> Admin::MessageCount(const std::string& topic, int timeout_ms) {
  ASSIGN_OR_RETURN(int partitions, PartitionCount(topic, timeout_ms));
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    ASSIGN_OR_RETURN(Watermarks w, QueryWatermarks(topic, p, timeout_ms));
    total += w.high - w.low;
  }
  return total;
}

}  // namespace lantern::stream
