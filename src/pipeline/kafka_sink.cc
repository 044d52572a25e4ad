#include "pipeline/kafka_sink.h"

#include <fmt/format.h>

#include "codec/canonical_form.h"
#include "codec/json.h"
#include "pipeline/outputs.h"
#include "stream/kafka.h"

namespace lantern::pipeline {
namespace {

stream::TopicSpec Topic(std::string name, int partitions,
                        std::map<std::string, std::string> configs = {}) {
  stream::TopicSpec t;
  t.name = std::move(name);
  t.partitions = partitions;
  t.configs = std::move(configs);
  return t;
}

}  // namespace

KafkaSink::KafkaSink(KafkaSinkOptions options, std::unique_ptr<stream::Producer> producer)
    : options_(std::move(options)), producer_(std::move(producer)) {}

KafkaSink::~KafkaSink() {
  // Without this the broker keeps the transaction open until transaction_timeout_ms, and
  // read_committed consumers of the output partitions wait for it.
  if (!options_.transactional_id.empty()) (void)producer_->AbortTransaction(10000);
}

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(const KafkaSinkOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<stream::Admin> admin,
                   stream::Admin::Create(options.bootstrap, options.config));
  const std::string& p = options.prefix;
  std::vector<stream::TopicSpec> topics = {Topic(p + ".alerts", options.partitions),
                                           Topic(p + ".deadletter", 1)};
  if (options.insert_format != "json" && options.insert_format != "avro") {
    return InvalidArgument(fmt::format("insert format '{}': use json or avro",
                                       options.insert_format));
  }
  if (options.insert_streams && options.insert_format == "avro") {
    // Fingerprint (hex) → wrapper schema document, the latest per key kept.
    topics.push_back(Topic(p + ".schemas", 1, {{"cleanup.policy", "compact"}}));
  }
  if (options.insert_streams) {
    topics.push_back(
        Topic(p + ".insert.objects", options.partitions, {{"cleanup.policy", "compact"}}));
    for (const char* t : {".insert.detections", ".insert.forced", ".insert.nondetections"}) {
      topics.push_back(Topic(p + t, options.partitions));
    }
  }
  for (uint32_t id : options.watchlist_ids) {
    topics.push_back(Topic(fmt::format("{}.watchlist.{}", p, id), 1));
  }
  for (const stream::TopicSpec& t : topics) {
    RETURN_IF_ERROR(admin->CreateTopic(t, /*if_missing=*/true));
  }
  stream::ProducerOptions po;
  po.bootstrap = options.bootstrap;
  po.compression = options.compression;
  po.extra = options.config;
  po.transactional_id = options.transactional_id;
  if (!po.transactional_id.empty()) po.message_timeout_ms = options.transaction_timeout_ms;
  ASSIGN_OR_RETURN(std::unique_ptr<stream::Producer> producer, stream::Producer::Create(po));
  if (!po.transactional_id.empty()) {
    RETURN_IF_ERROR(producer->InitTransactions(options.flush_timeout_ms)
                        .WithContext("kafka sink, transactional id " + po.transactional_id));
    RETURN_IF_ERROR(producer->BeginTransaction());
  }
  return std::unique_ptr<KafkaSink>(new KafkaSink(options, std::move(producer)));
}

Status KafkaSink::broken() const {
  std::lock_guard lock(broken_mu_);
  return broken_;
}

Status KafkaSink::CommitTransaction(const std::vector<stream::PartitionOffset>& offsets,
                                    const stream::Consumer& consumer) {
  RETURN_IF_ERROR(broken());
  const int timeout = options_.flush_timeout_ms;
  Status st = producer_->SendOffsetsToTransaction(offsets, consumer, timeout);
  if (st.ok()) st = producer_->CommitTransaction(timeout);
  if (st.ok()) st = producer_->BeginTransaction();
  if (st.ok()) return st;
  // librdkafka retries within `timeout`; what fails after it is not retried here: the batches
  // since the last commit are marked completed, so only a restart replays them.
  (void)producer_->AbortTransaction(timeout);
  st = st.WithContext(
      "kafka transaction (outputs since the last commit aborted; restart to redo them from the "
      "committed offsets)");
  std::lock_guard lock(broken_mu_);
  broken_ = st;
  return st;
}

Status KafkaSink::Write(const ProcessedBatch& batch) {
  RETURN_IF_ERROR(broken());
  const std::string& p = options_.prefix;
  const std::string alerts_topic = p + ".alerts";
  // Each alert's hits go into its enriched message.
  std::vector<std::vector<WatchlistHit>> hits(batch.alerts.size());
  for (const WatchlistHit& h : batch.watchlist_hits) {
    if (h.alert < hits.size()) hits[h.alert].push_back(h);
  }
  std::string value;
  for (size_t i = 0; i < batch.alerts.size(); ++i) {
    const ProcessedAlert& a = batch.alerts[i];
    if (a.alert == nullptr) continue;
    value.clear();
    EncodeEnrichedAlert(a, hits[i], &value);
    RETURN_IF_ERROR(producer_->Produce(alerts_topic, a.alert->object_id, value));
  }
  if (options_.insert_streams) {
    // One message per alert and table: a message per row cost ~0.6 µs of the process's CPU
    // each (9 % of it; docs/benchmarks.md).
    const std::string detections = p + ".insert.detections", forced = p + ".insert.forced",
                      nondetections = p + ".insert.nondetections";
    auto emit = [&](store::Table table, std::string_view key, std::string_view rows) {
      const std::string& topic = table == store::Table::kDetections ? detections
                                 : table == store::Table::kForced   ? forced
                                                                    : nondetections;
      return producer_->Produce(topic, key, rows);
    };
    if (options_.insert_format == "avro") {
      const std::string schemas_topic = p + ".schemas";
      auto publish_schema = [&](const InsertRowSchema& s) {
        return producer_->Produce(schemas_topic, codec::FingerprintHex(s.fingerprint), s.json);
      };
      RETURN_IF_ERROR(
          ForEachAvroRowArray(batch.rows, kMaxRowArrayBytes, &row_schemas_, publish_schema, emit));
    } else {
      RETURN_IF_ERROR(ForEachRowArray(batch.rows, kMaxRowArrayBytes, emit));
    }
    const std::string objects_topic = p + ".insert.objects";
    for (const store::ObjectRecord* o : batch.objects) {
      value.clear();
      AppendObjectRowJson(*o, &value);
      RETURN_IF_ERROR(producer_->Produce(objects_topic, o->light_curve.object_id, value));
    }
  }
  for (const WatchlistHit& h : batch.watchlist_hits) {
    if (h.alert >= batch.alerts.size() || batch.alerts[h.alert].alert == nullptr) continue;
    const alert::Alert& a = *batch.alerts[h.alert].alert;
    value = fmt::format(R"({{"wl_id":{},"name":)", h.watchlist_id);
    codec::AppendJsonString(h.target, &value);
    value += fmt::format(R"(,"arcsec":{:.4f},"objectId":)", h.sep_arcsec);
    codec::AppendJsonString(a.object_id, &value);
    value += fmt::format(R"(,"alertId":{},"mjd":{:.6f},"ra":{:.7f},"dec":{:.7f}}})", a.alert_id,
                         a.detection.mjd, a.detection.ra, a.detection.dec);
    RETURN_IF_ERROR(
        producer_->Produce(fmt::format("{}.watchlist.{}", p, h.watchlist_id), a.object_id, value));
  }
  for (const DeadLetterOut& d : batch.dead_letters) {
    value = R"({"origin":)";
    codec::AppendJsonString(d.message->origin, &value);
    value += fmt::format(R"(,"position":{},"reason":)", d.message->position);
    codec::AppendJsonString(d.reason, &value);
    value += R"(,"raw_base64":")" + codec::Base64(d.message->raw()) + "\"}";
    RETURN_IF_ERROR(producer_->Produce(p + ".deadletter", d.message->origin, value));
  }
  producer_->Poll(0);
  return Status::Ok();
}

Status KafkaSink::Flush() { return producer_->Flush(options_.flush_timeout_ms); }

uint64_t KafkaSink::delivered() const { return producer_->stats().delivered; }
uint64_t KafkaSink::failed() const { return producer_->stats().failed; }

}  // namespace lantern::pipeline
